// Running checks: a slot's checks as one runTier activity (each probe bounded by its own timeout inside
// it), and a single check as a runCheck activity (a lever's verify check). Each with what the probe kept
// from the last run. Our own infrastructure failing past its retries is a failed check, not a failed watch.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { CheckRequest, CheckResult, TierCheck } from '../../core/messages';
import { parseDuration } from '../../plan/duration';
import { probeRun, tierRun } from '../options';
import type { WatchRun } from './run';

/** The checks of a slot (the tiers due at `hour`), in one activity; a result per check, in their order. */
export async function runChecks(w: WatchRun, checkIds: string[], hour: number, tiers: string[], label: string): Promise<CheckResult[]> {
  const { plan, state } = w;
  const longest = Math.max(...checkIds.map((id) => parseDuration(plan.checks[id].probe.timeout)));
  const { runTier } = proxyActivities<Activities>(tierRun(longest, `${label}: ${checkIds.join(', ')}`));
  const checks: TierCheck[] = checkIds.map((checkId) => ({
    checkId,
    check: plan.checks[checkId],
    triggers: triggersOf(w, checkId),
    ...(state.cursors[checkId] !== undefined ? { cursor: state.cursors[checkId] } : {}),
    first: !(checkId in state.cursors),
  }));
  try {
    const { results } = await runTier({
      watchId: state.watchId,
      hour,
      tiers,
      vars: plan.vars,
      release: state.release,
      severities: Object.keys(plan.severities),
      checks,
    });
    return checkIds.map((id) => results.find((r) => r.checkId === id) ?? couldNotRun(id, hour, 'no result for this check'));
  } catch (err) {
    return checkIds.map((id) => couldNotRun(id, hour, err));
  }
}

/** One check as its own activity (options by its own timeout). */
export function runCheck(w: WatchRun, checkId: string, hour: number, label: string): Promise<CheckResult> {
  const { plan, state } = w;
  const check = plan.checks[checkId];
  const { runCheck } = proxyActivities<Activities>(probeRun(parseDuration(check.probe.timeout), `${label}: ${checkId}`));
  const req: CheckRequest = {
    watchId: state.watchId,
    checkId,
    hour,
    check,
    vars: plan.vars,
    release: state.release,
    severities: Object.keys(plan.severities),
    triggers: triggersOf(w, checkId),
    cursor: state.cursors[checkId],
    first: !(checkId in state.cursors),
  };
  return runCheck(req).catch((err: unknown) => couldNotRun(checkId, hour, err));
}

/** Trigger conditions over this check's values. */
function triggersOf(w: WatchRun, checkId: string): Array<{ name: string; when: string }> {
  return [...w.plan.escalation.immediate, ...w.plan.escalation.scheduled]
    .filter((t) => t.check === checkId && t.when)
    .map((t) => ({ name: t.name, when: t.when! }));
}

function couldNotRun(checkId: string, hour: number, err: unknown): CheckResult {
  const why = typeof err === 'string' ? err : String((err as Error)?.cause ?? (err as Error)?.message ?? err);
  const reason = `probe could not run: ${why}`.slice(0, 500);
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
}
