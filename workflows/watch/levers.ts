// Emergency levers: asked for by a person (some need a second person's approval within a time), pulled
// by the watch itself while a check it watches is failing, or by a rollback decision. A pull is one
// activity attempt; a lever with a verify check runs it afterwards.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { round1 } from '../../core/hours';
import { hourLabel } from '../../core/schedule';
import { automaticLevers, ROLLBACK_LEVER, type LeverRequest } from '../../core/levers';
import { leverApprovalNeeded, leverExpired, leverPulled, leverSummary } from '../../core/notices';
import { parseDuration } from '../../plan/duration';
import { leverPull } from '../options';
import { runCheck, workerVars } from './checks';
import type { WatchRun } from './run';

export function requestLever(w: WatchRun, lever: string, by: string, reason: string, automatic: boolean): LeverRequest {
  const { state } = w;
  const spec = w.plan.levers[lever]!;
  const now = Date.now();
  const needsApproval = !automatic && spec.approval.required;
  const req: LeverRequest = {
    seq: state.levers.length + 1,
    lever,
    by,
    reason,
    automatic,
    requestedAt: now,
    requestedHour: round1(w.hourNow()),
    state: needsApproval ? 'awaiting-approval' : 'running',
    expiresAt: needsApproval ? now + w.ms(spec.approval.within) : undefined,
  };
  state.levers.push(req);
  w.audit('lever', `${lever} requested by ${by}${automatic ? ' (automatic)' : ''}: ${reason}`);
  if (needsApproval) w.notify(leverApprovalNeeded(w.plan, state, req));
  else start(w, req);
  w.changed();
  return req;
}

export function approved(w: WatchRun, req: LeverRequest, by: string): LeverRequest {
  req.approvedBy = by;
  req.expiresAt = undefined;
  w.audit('lever', `${req.lever} (request ${req.seq}) approved by ${by}`);
  start(w, req);
  return req;
}

/** A rollback decision: through the rollback lever when the plan has one. */
export function requestRollback(w: WatchRun, by: string, reason: string): void {
  requestLever(w, ROLLBACK_LEVER, by, reason, false);
}

/** Levers the watch pulls by itself after a tier run: a watched check failing, uses left. */
export function pullAutomatic(w: WatchRun): void {
  for (const auto of automaticLevers(w.plan, w.state)) requestLever(w, auto.lever, 'release-watch', `automatic: ${auto.because}`, true);
}

export function expire(w: WatchRun, now: number): void {
  for (const req of w.state.levers) {
    if (req.state !== 'awaiting-approval' || req.expiresAt === undefined || req.expiresAt > now) continue;
    req.state = 'expired';
    w.audit('lever', `${req.lever} (request ${req.seq}) expired unapproved`);
    w.notify(leverExpired(w.plan, req));
  }
}

function start(w: WatchRun, req: LeverRequest): void {
  req.state = 'running';
  w.track(pull(w, req));
  w.changed();
}

async function pull(w: WatchRun, req: LeverRequest): Promise<void> {
  const { plan, state } = w;
  const spec = plan.levers[req.lever]!;
  const timeout = spec.steps.reduce((sum, st) => sum + parseDuration(st.timeout), 0) + 30_000;
  const { pullLever } = proxyActivities<Activities>(leverPull(timeout, `lever ${req.lever} (request ${req.seq})`));
  try {
    const result = await pullLever({ lever: req.lever, steps: spec.steps, vars: workerVars(plan.vars), release: state.release });
    req.steps = result.steps.map((x) => ({ step: x.step, ok: x.ok, detail: x.detail.slice(0, 300) }));
    req.state = result.ok ? 'done' : 'failed';
  } catch (err) {
    req.steps = [{ step: req.lever, ok: false, detail: `outcome unknown: ${String((err as Error)?.message ?? err)}`.slice(0, 300) }];
    req.state = 'failed';
  }
  if (spec.verify && req.state === 'done') {
    const hour = w.hourNow();
    const r = await runCheck(w, spec.verify, hour, `verify ${req.lever} check ${hourLabel(hour, state.schedule)}`);
    req.verify = { check: spec.verify, outcome: r.outcome, reason: r.reason };
  }
  req.finishedHour = round1(w.hourNow());
  w.audit('lever', leverSummary(req));
  w.notify(leverPulled(req));
  if (req.lever === ROLLBACK_LEVER && req.state === 'done') state.phase = 'rolled-back';
  w.changed();
}
