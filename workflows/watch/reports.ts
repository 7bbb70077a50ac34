// The watch's reports: a daily one where a tier asks for it (with the day's scheduled escalations), and
// the final one when the watch ends. A report that cannot be written is recorded; the history still
// holds everything it would have said.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { round1 } from '../../core/hours';
import { scheduledEscalation } from '../../core/notices';
import { onCallAt } from '../../core/rotation';
import { scheduledFindings, watchDay } from '../../core/state';
import { watchStatus } from '../../core/status';
import { DELIVERY } from '../options';
import { workerVars } from './checks';
import type { WatchRun } from './run';

const { writeReport } = proxyActivities<Activities>(DELIVERY);

export async function writeDailyReport(w: WatchRun, hour: number): Promise<void> {
  const { plan, state } = w;
  const day = watchDay(Math.max(0, hour - 1));
  const findings = scheduledFindings(plan, state, day);
  state.findings.push(...findings);
  if (findings.length) {
    const to = onCallAt(plan, hour).escalation;
    w.audit('escalation', `day ${day}: ${findings.map((f) => f.description).join(', ')} → ${to}`, hour);
    w.notify(scheduledEscalation(day, findings, to));
  }
  try {
    const res = await writeReport({
      kind: 'daily',
      hour,
      status: watchStatus(plan, state, Date.now(), w.hourMs, 0),
      reportsDir: plan.notify.reportsDir,
      vars: workerVars(plan.vars),
    });
    state.reports.push({ hour, kind: 'daily', path: res.path });
    w.audit('report', `daily report written: ${res.path}`, hour);
  } catch (err) {
    w.audit('report', `daily report failed: ${String((err as Error)?.message ?? err)}`, hour);
  }
}

export async function writeFinalReport(w: WatchRun): Promise<void> {
  const { plan, state } = w;
  const hour = round1(w.hourNow());
  try {
    const res = await writeReport({
      kind: 'final',
      hour,
      status: watchStatus(plan, state, Date.now(), w.hourMs, 0),
      reportsDir: plan.notify.reportsDir,
      vars: workerVars(plan.vars),
    });
    state.reports.push({ hour, kind: 'final', path: res.path });
  } catch {
    // the history still holds everything the report would have said
  }
}
