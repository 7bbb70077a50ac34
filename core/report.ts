// Rendering a watch report from its status: a pure function, so any watch can be rendered anywhere.
import type { WatchStatus } from './status';

export interface ReportMeta {
  kind: 'daily' | 'final' | 'on-demand';
  hour: number;
}

export function reportName(meta: ReportMeta): string {
  if (meta.kind === 'final') return 'final';
  if (meta.kind === 'daily') return `day-${Math.max(1, Math.round(meta.hour / 24))}`;
  return `hour-${meta.hour}`;
}

export function renderMarkdown(s: WatchStatus, meta: ReportMeta): string {
  const out: string[] = [];
  const title = meta.kind === 'final' ? 'Final report' : meta.kind === 'daily' ? `Daily report, day ${Math.round(meta.hour / 24)}` : `Report at hour ${meta.hour}`;
  out.push(`# ${title}: ${s.service} ${s.release.version}`, '');
  out.push(`- Watch: \`${s.watchId}\` (plan ${s.plan}), started ${s.startedAt} by ${s.startedBy}`);
  out.push(`- Phase: **${s.phase}**, health: **${s.health}**, hour ${s.hour} of ${s.endHour}`);
  if (s.release.commit) out.push(`- Commit: \`${s.release.commit}\``);
  out.push('', '## Tier runs', '', '| tier | runs | passed | warned | failed | late | pass rate |', '|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, t] of Object.entries(s.tiers)) {
    out.push(`| ${name} | ${t.runs} | ${t.passed} | ${t.warned} | ${t.failed} | ${t.late} | ${t.runs ? ((t.passed / t.runs) * 100).toFixed(1) + '%' : '–'} |`);
  }
  out.push('', '## Checks', '', '| check | status | runs | warned | failed | last |', '|---|---|---:|---:|---:|---|');
  for (const [id, c] of Object.entries(s.checks)) {
    out.push(`| ${id} | ${c.status} | ${c.runs} | ${c.warns} | ${c.fails} | ${c.last ? `h${c.last.hour} ${c.last.outcome}: ${escapeCell(c.last.reason)}` : ''} |`);
  }
  out.push('', '## Incidents', '');
  if (s.incidents.length === 0) out.push('None.');
  else {
    out.push('| id | check | severity | state | opened | acked | resolved | holder |', '|---|---|---|---|---:|---:|---:|---|');
    for (const i of s.incidents) out.push(`| ${i.id} | ${i.check} | ${i.severity} | ${i.state} | h${i.openedHour} | ${i.ackedHour ?? '–'} | ${i.resolvedHour ?? '–'} | ${i.holder ?? ''} |`);
  }
  out.push('', '## Scheduled escalations', '');
  if (s.findings.length === 0) out.push('None.');
  for (const f of s.findings) out.push(`- day ${f.day}: ${f.description} — ${f.detail}`);
  out.push('', '## Checkpoints', '');
  for (const c of s.checkpoints) {
    out.push(`### ${c.title} (hour ${c.hour}): ${c.state}${c.decision ? ` — **${c.decision}** by ${c.by} at hour ${c.decidedHour}` : ''}`);
    if (c.note) out.push('', `> ${c.note}`);
    for (const k of c.criteria ?? []) out.push(`- [${k.met ? 'x' : ' '}] ${k.name}: ${k.detail}`);
    if (c.escalations) out.push(`- escalated ${c.escalations} time(s) while unanswered`);
    out.push('');
  }
  out.push('## Budget', '');
  const spend = Object.entries(s.spend);
  if (!s.budget) out.push('No budget in the plan.');
  else if (spend.length === 0) out.push(`Nothing spent (ceiling ${s.budget.daily.toFixed(2)} ${s.budget.currency} a day).`);
  else for (const [day, v] of spend) out.push(`- ${day}: ${v.toFixed(2)} ${s.budget.currency} of ${s.budget.daily.toFixed(2)}${v > s.budget.daily ? ' — **over budget**' : ''}`);
  out.push('', '## Notifications', '', `${s.notifications.sent} sent; ${s.notifications.undelivered.length} undelivered.`);
  for (const u of s.notifications.undelivered) out.push(`- ${u.eventId} → ${u.sink}: ${u.error}`);
  if (s.refused.length) {
    out.push('', '## Refused requests', '');
    for (const r of s.refused) out.push(`- hour ${r.hour} (${r.via}): ${r.reason}`);
  }
  out.push('');
  return out.join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 160);
}
