// `release-watch list`: watches found by their search attributes.
import type { Client } from '@temporalio/client';
import { SA } from '../workflows/definitions';

export interface WatchRow {
  workflowId: string;
  status: string;
  service?: string;
  release?: string;
  phase?: string;
  health?: string;
  openIncidents?: number;
  startTime: string;
}

const SAFE = /^[A-Za-z0-9._-]+$/;

export function listQuery(f: { service?: string; release?: string; phase?: string }): string {
  const parts = ["WorkflowType = 'watchWorkflow'"];
  for (const [key, value] of [
    [SA.service.name, f.service],
    [SA.release.name, f.release],
    [SA.phase.name, f.phase],
  ] as const) {
    if (value === undefined) continue;
    if (!SAFE.test(value)) throw new Error(`filter value ${JSON.stringify(value)} may hold only letters, digits, dot, dash and underscore`);
    parts.push(`${key} = '${value}'`);
  }
  return parts.join(' AND ');
}

export async function listWatches(
  client: Client,
  f: { service?: string; release?: string; phase?: string; limit?: number },
): Promise<WatchRow[]> {
  const rows: WatchRow[] = [];
  for await (const w of client.workflow.list({ query: listQuery(f) })) {
    const sa = w.typedSearchAttributes;
    rows.push({
      workflowId: w.workflowId,
      status: w.status.name,
      service: sa.get(SA.service),
      release: sa.get(SA.release),
      phase: sa.get(SA.phase),
      health: sa.get(SA.health),
      openIncidents: sa.get(SA.openIncidents),
      startTime: w.startTime.toISOString(),
    });
    if (rows.length >= (f.limit ?? 50)) break;
  }
  return rows;
}

/** The rows under a header, in columns as wide as their widest value. */
export function formatList(rows: WatchRow[]): string {
  if (rows.length === 0) return 'no watches';
  const table = [
    ['WATCH', 'SERVICE', 'RELEASE', 'PHASE', 'HEALTH', 'OPEN INCIDENTS', 'STATUS', 'STARTED'],
    ...rows.map((r) => [
      r.workflowId,
      r.service ?? '',
      r.release ?? '',
      r.phase ?? '',
      r.health ?? '',
      String(r.openIncidents ?? 0),
      r.status,
      r.startTime.slice(0, 16).replace('T', ' '),
    ]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
