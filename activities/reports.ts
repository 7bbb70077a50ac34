// Writing reports to the reports folder. What a report says is decided in core/report.ts.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderMarkdown, ReportMeta, reportName } from '../core/report';
import type { WatchStatus } from '../core/status';

export interface ReportRequest extends ReportMeta {
  status: WatchStatus;
  reportsDir: string;
}

/** Writes `<dir>/<watch>/<name>.md` and `.json`; the same request writes the same files (idempotent). */
export async function writeReport(req: ReportRequest): Promise<{ path: string }> {
  const dir = join(process.env.RELEASE_WATCH_REPORTS ?? req.reportsDir, safeName(req.status.watchId));
  await mkdir(dir, { recursive: true });
  const base = join(dir, reportName(req));
  await writeFile(`${base}.md`, renderMarkdown(req.status, req));
  await writeFile(`${base}.json`, JSON.stringify({ report: { kind: req.kind, hour: req.hour }, ...req.status }, null, 2));
  return { path: `${base}.md` };
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
