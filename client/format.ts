// The human-readable `status`.
import type { WatchStatus } from '../core/status';

const MARK: Record<string, string> = { ok: '✔', warn: '!', fail: '✘' };

export function formatStatus(s: WatchStatus): string {
  const lines: string[] = [];
  lines.push(`${s.watchId}  ${s.service} ${s.release.version}  (plan ${s.plan})`);
  lines.push(
    `phase ${s.phase} · health ${s.health} · hour ${s.hour}/${s.endHour} · on call ${s.onCall.primary} (backup ${s.onCall.backup}, escalation ${s.onCall.escalation})`,
  );
  lines.push('', 'tiers:');
  for (const [name, t] of Object.entries(s.tiers)) {
    lines.push(
      `  ${name.padEnd(8)} ${t.runs} runs: ${t.passed} passed, ${t.warned} warned, ${t.failed} failed${t.lastHour !== undefined ? ` · last h${t.lastHour} ${MARK[t.lastOutcome ?? 'ok']} ${t.lastOutcome}` : ''}`,
    );
  }
  const troubled = Object.entries(s.checks).filter(([, c]) => c.status !== 'healthy');
  if (troubled.length) {
    lines.push('', 'checks not healthy:');
    for (const [id, c] of troubled) lines.push(`  ${id}: ${c.status} — ${c.last?.reason ?? ''}`);
  }
  lines.push('', 'checkpoints:');
  for (const c of s.checkpoints) {
    const head = `  ${c.name.padEnd(6)} hour ${String(c.hour).padEnd(3)} ${c.state}`;
    if (c.state === 'decided') lines.push(`${head}: ${c.decision} by ${c.by} at hour ${c.decidedHour}${c.note ? ` — ${c.note}` : ''}`);
    else if (c.state === 'pending') {
      lines.push(`${head}, escalated ${c.escalations}×, next escalation ${c.deadline}`);
      for (const k of c.criteria ?? []) lines.push(`      ${k.met ? '✔' : '✘'} ${k.name}: ${k.detail}`);
      lines.push(`      answer: release-watch decide ${s.watchId} --checkpoint ${c.name} --decision <decision> --by <person>`);
    } else lines.push(head);
  }
  lines.push('', `incidents: ${s.incidents.length} (${s.openIncidents} open)`);
  for (const i of s.incidents)
    lines.push(
      `  ${i.id} · ${i.severity} · ${i.check} · ${i.state} · opened h${i.openedHour}${i.holder ? ` · held by ${i.holder}` : ''}${i.nextDeadline ? ` · next deadline ${i.nextDeadline}` : ''}`,
    );
  if (s.notifications.undelivered.length) lines.push('', `undelivered notifications: ${s.notifications.undelivered.length}`);
  if (s.refused.length) {
    lines.push('', 'refused requests:');
    for (const r of s.refused.slice(-5)) lines.push(`  h${r.hour} ${r.via}: ${r.reason}`);
  }
  if (s.events.length) {
    lines.push('', 'recent:');
    for (const e of s.events) lines.push(`  h${String(e.hour).padEnd(5)} ${e.kind.padEnd(12)} ${e.text}`);
  }
  return lines.join('\n');
}
