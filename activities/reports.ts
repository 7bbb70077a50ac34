// Writing reports to the reports folder. What a report says is decided in core/report.ts.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildReport, renderReportJson, renderReportMarkdown, ReportMeta, reportName } from '../core/report';
import { renderReportHtml } from '../core/report-html';
import type { WatchStatus } from '../core/status';

export interface ReportRequest extends ReportMeta {
  status: WatchStatus;
  reportsDir: string;
}

/**
 * Writes `<dir>/<watch>/<name>.md`, `.json` and `.html` from one ReportData, so the three agree;
 * the same request writes the same files (idempotent). `path` is the Markdown file.
 */
export async function writeReport(req: ReportRequest): Promise<{ path: string; json: string; html: string }> {
  const dir = join(process.env.RELEASE_WATCH_REPORTS ?? req.reportsDir, safeName(req.status.watchId));
  await mkdir(dir, { recursive: true });
  const base = join(dir, reportName(req));
  const meta: ReportMeta = { kind: req.kind, hour: req.hour };
  const data = buildReport(req.status, meta);
  await writeFile(`${base}.md`, renderReportMarkdown(data));
  await writeFile(`${base}.json`, renderReportJson(data, req.status));
  await writeFile(`${base}.html`, renderReportHtml(data));
  return { path: `${base}.md`, json: `${base}.json`, html: `${base}.html` };
}

export function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Writes `<dir>/<watch>/incidents/incident-<seq>.md`. */
export async function writeIncidentDoc(req: { watchId: string; seq: number; reportsDir: string; markdown: string }): Promise<{ path: string }> {
  const dir = join(process.env.RELEASE_WATCH_REPORTS ?? req.reportsDir, safeName(req.watchId), 'incidents');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `incident-${req.seq}.md`);
  await writeFile(path, req.markdown);
  return { path };
}
