// Emergency levers: who may ask for one, who must approve it, and when the watch pulls one itself.
import type { LeverId, Plan } from '../plan/schema';
import type { Signature } from './signatures';
import { TEXT_MAX } from './incidents';
import { isEnded, type LeverRequest, type WatchState } from './state';

export type { LeverRequest };

/** The lever a checkpoint's rollback decision pulls, when the plan has one by this name. */
export const ROLLBACK_LEVER = 'rollback';

export interface Emergency {
  lever: string;
  by: string;
  reason: string;
  signature?: Signature;
}

export interface Approve {
  request: string;
  by: string;
  /** Where it came from (slack); the CLI and the console leave it out. */
  via?: string;
  signature?: Signature;
}

export function findRequest(state: WatchState, ref: string): LeverRequest | undefined {
  const key = String(ref)
    .trim()
    .replace(/^request-/, '');
  return state.levers.find((r) => String(r.seq) === key);
}

function text(field: string, v: unknown, required = true): string | undefined {
  if (typeof v !== 'string' || (required && !v.trim())) return `${field} is required`;
  if (v.length > TEXT_MAX) return `${field} is too long (${v.length} characters, at most ${TEXT_MAX})`;
  return undefined;
}

export function emergencyError(plan: Plan, state: WatchState, e: Emergency): string | undefined {
  if (!e || typeof e !== 'object') return 'an emergency needs lever, by and reason';
  const bad = text('lever', e.lever) ?? text('by', e.by) ?? text('reason', e.reason);
  if (bad) return bad;
  if (isEnded(state)) return `the watch has ended (${state.phase})`;
  const lever = Object.hasOwn(plan.levers, e.lever) ? plan.levers[e.lever as LeverId] : undefined;
  if (!lever) return `no lever "${e.lever}" in the plan (levers: ${Object.keys(plan.levers).join(', ') || 'none'})`;
  if (!Object.hasOwn(plan.people, e.by)) return `${e.by} is not on the plan's roster`;
  if (lever.requesters && !lever.requesters.includes(e.by))
    return `${e.by} may not ask for ${e.lever} (requesters: ${lever.requesters.join(', ')})`;
  const open = state.levers.find((r) => r.lever === e.lever && (r.state === 'awaiting-approval' || r.state === 'running'));
  if (open) return `${e.lever} is already ${open.state === 'running' ? 'being pulled' : 'awaiting approval'} (request ${open.seq})`;
  return undefined;
}

export function approveError(plan: Plan, state: WatchState, a: Approve): string | undefined {
  if (!a || typeof a !== 'object') return 'an approval needs request and by';
  const bad = text('request', String(a.request ?? '')) ?? text('by', a.by);
  if (bad) return bad;
  const req = findRequest(state, a.request);
  if (!req) return `no lever request "${a.request}" (requests: ${state.levers.map((r) => r.seq).join(', ') || 'none'})`;
  if (req.state !== 'awaiting-approval') return `request ${req.seq} (${req.lever}) is not awaiting approval: ${req.state}`;
  const approvers = plan.levers[req.lever]?.approval.approvers ?? [];
  if (!Object.hasOwn(plan.people, a.by)) return `${a.by} is not on the plan's roster`;
  if (a.by === req.by) return `a second person must approve: ${a.by} asked for request ${req.seq}`;
  if (!approvers.includes(a.by)) return `${a.by} may not approve ${req.lever} (approvers: ${approvers.join(', ')})`;
  return undefined;
}

/** Levers the watch pulls by itself now: a watched check failing (at the plan's severity), uses left. */
export function automaticLevers(plan: Plan, state: WatchState): Array<{ lever: LeverId; because: string }> {
  const out: Array<{ lever: LeverId; because: string }> = [];
  for (const [name, lever] of Object.entries(plan.levers) as Array<[LeverId, NonNullable<Plan['levers'][LeverId]>]>) {
    const auto = lever?.automatic;
    if (!auto) continue;
    const used = state.levers.filter((r) => r.lever === name && r.automatic).length;
    if (used >= auto.max) continue;
    if (state.levers.some((r) => r.lever === name && (r.state === 'running' || r.state === 'awaiting-approval'))) continue;
    const failing = auto.whenFailing.find(
      (id) => state.checks[id]?.status === 'failing' && (!auto.severity || state.checks[id].failSeverity === auto.severity),
    );
    if (failing) out.push({ lever: name, because: `${failing} failing (${state.checks[failing].failSeverity})` });
  }
  return out;
}

/** A request for this lever that went ahead in this watch (approved, or needing no approval). */
export function leverPulled(state: WatchState, lever?: string): boolean {
  return !!lever && state.levers.some((r) => r.lever === lever && (r.state === 'running' || r.state === 'done'));
}
