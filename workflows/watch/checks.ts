// Running one check: its probe as an activity (options by its own timeout), with what the probe kept
// from the last run. Our own infrastructure failing past its retries is a failed check, not a failed watch.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { CheckResult } from '../../core/messages';
import { parseDuration } from '../../plan/duration';
import { probeRun } from '../options';
import type { WatchRun } from './run';

export function runCheck(w: WatchRun, checkId: string, hour: number, label: string): Promise<CheckResult> {
  const { plan, state } = w;
  const check = plan.checks[checkId];
  const { runCheck } = proxyActivities<Activities>(probeRun(parseDuration(check.probe.timeout), `${label}: ${checkId}`));
  const triggers = [...plan.escalation.immediate, ...plan.escalation.scheduled]
    .filter((t) => t.check === checkId && t.when)
    .map((t) => ({ name: t.name, when: t.when! }));
  return runCheck({
    watchId: state.watchId,
    checkId,
    hour,
    check,
    vars: plan.vars,
    release: state.release,
    severities: Object.keys(plan.severities),
    triggers,
    cursor: state.cursors[checkId],
    first: !(checkId in state.cursors),
  }).catch((err: unknown): CheckResult => {
    const reason = `probe could not run: ${String((err as Error)?.cause ?? (err as Error)?.message ?? err)}`.slice(0, 500);
    return {
      checkId,
      hour,
      outcome: 'fail',
      reason,
      conditions: [],
      durationMs: 0,
      triggers: [],
      evidence: reason,
      startedAt: new Date().toISOString(),
    };
  });
}
