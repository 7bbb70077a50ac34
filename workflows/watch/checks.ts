// Running checks: a slot's checks as one runTier activity (each probe bounded by its own timeout inside
// it), and a single check as a runCheck activity (a lever's verify check). Each with what the probe kept
// from the last run. Our own infrastructure failing past its retries is a failed check, not a failed watch.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { CheckRequest, CheckResult, RunnableCheck, TierCheck } from '../../core/messages';
import { parseDuration } from '../../plan/duration';
import type { CheckSpec } from '../../plan/schema';
import { probeRun, tierRun } from '../options';
import type { WatchRun } from './run';

/**
 * The checks of a slot (the tiers due at `hour`), in one activity; a result per check, in their order.
 * The request carries what the probes need and no more (it is in the history once per slot), and the
 * results go to `then` in the activity's own `then`: every promise in workflow code costs the SDK a
 * stack capture.
 */
export function runChecks<R>(
  w: WatchRun,
  checkIds: string[],
  hour: number,
  tiers: string[],
  label: string,
  then: (results: CheckResult[]) => R,
): Promise<Awaited<R>> {
  const { plan, state } = w;
  let longest = 0;
  const checks: TierCheck[] = checkIds.map((checkId) => {
    const spec = plan.checks[checkId];
    longest = Math.max(longest, parseDuration(spec.probe.timeout));
    const c: TierCheck = { checkId, check: runnable(spec), triggers: triggersOf(w, checkId), first: !(checkId in state.cursors) };
    if (state.cursors[checkId] !== undefined) c.cursor = state.cursors[checkId];
    return c;
  });
  const { runTier } = proxyActivities<Activities>(tierRun(longest, `${label}: ${checkIds.join(', ')}`));
  return runTier({
    watchId: state.watchId,
    hour,
    tiers,
    vars: workerVars(plan.vars),
    release: state.release,
    severities: Object.keys(plan.severities),
    checks,
  }).then(
    ({ results }) => then(checkIds.map((id) => results.find((r) => r.checkId === id) ?? couldNotRun(id, hour, 'no result for this check'))),
    (err: unknown) => then(checkIds.map((id) => couldNotRun(id, hour, err))),
  ) as Promise<Awaited<R>>;
}

/** The part of a check's spec its probe and conditions need (plain assignments: the bundle's spread helper is slow). */
function runnable(spec: CheckSpec): RunnableCheck {
  const out: RunnableCheck = { probe: spec.probe, conditions: spec.conditions, severity: spec.severity };
  if (spec.metric !== undefined) out.metric = spec.metric;
  if (spec.cost !== undefined) out.cost = spec.cost;
  return out;
}

/**
 * The plan's vars as the worker resolves them (a default, an environment variable), without their
 * descriptions: what every activity that resolves `${var}`s is sent.
 */
export function workerVars(vars: WatchRun['plan']['vars']): WatchRun['plan']['vars'] {
  const out: WatchRun['plan']['vars'] = {};
  for (const name of Object.keys(vars)) {
    const v = vars[name];
    const slim: (typeof out)[string] = {};
    if (v.default !== undefined) slim.default = v.default;
    if (v.env !== undefined) slim.env = v.env;
    out[name] = slim;
  }
  return out;
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
    vars: workerVars(plan.vars),
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
