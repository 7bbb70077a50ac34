// Writing reports and incident documents to the reports folder. What a report says is decided in
// report/report.ts, from the watch's status alone.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WatchStatus } from '../core/status';
import { resolvePlanText, type Env } from '../core/vars';
import type { Plan } from '../plan/schema';
import { renderReportHtml } from '../report/html';
import { buildReport, renderReportJson, renderReportMarkdown, ReportMeta, reportName } from '../report/report';

/** Where reports go on the worker: the plan's folder unless the worker's environment names another. */
export const REPORTS_ENV = 'RELEASE_WATCH_REPORTS';

export interface ReportRequest extends ReportMeta {
  status: WatchStatus;
  reportsDir: string;
  /** The plan's vars, when reportsDir uses them. */
  vars?: Plan['vars'];
}

export function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Writes `<dir>/<watch>/<name>.md`, `.json` and `.html` from one ReportData, so the three agree;
 * the same request writes the same files (idempotent). `path` is the Markdown file.
 */
export async function writeReportFiles(req: ReportRequest, dir: string): Promise<{ path: string; json: string; html: string }> {
  const folder = join(dir, safeName(req.status.watchId));
  await mkdir(folder, { recursive: true });
  const base = join(folder, reportName(req));
  const data = buildReport(req.status, { kind: req.kind, hour: req.hour });
  await writeFile(`${base}.md`, renderReportMarkdown(data));
  await writeFile(`${base}.json`, renderReportJson(data, req.status));
  await writeFile(`${base}.html`, renderReportHtml(data));
  return { path: `${base}.md`, json: `${base}.json`, html: `${base}.html` };
}

export function createReportWriters(env: Env) {
  const folder = (planDir: string, vars: Plan['vars'] = {}) => env[REPORTS_ENV] ?? resolvePlanText(planDir, vars, env);
  return {
    async writeReport(req: ReportRequest): Promise<{ path: string; json: string; html: string }> {
      return writeReportFiles(req, folder(req.reportsDir, req.vars));
    },
    /** Writes `<dir>/<watch>/incidents/incident-<seq>.md`. */
    async writeIncidentDoc(req: {
      watchId: string;
      seq: number;
      reportsDir: string;
      markdown: string;
      vars?: Plan['vars'];
    }): Promise<{ path: string }> {
      const dir = join(folder(req.reportsDir, req.vars), safeName(req.watchId), 'incidents');
      await mkdir(dir, { recursive: true });
      const path = join(dir, `incident-${req.seq}.md`);
      await writeFile(path, req.markdown);
      return { path };
    },
  };
}
