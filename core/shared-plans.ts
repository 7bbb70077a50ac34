// One copy of each plan per worker: every watch of a plan reads the same object rather than its own
// parse of it (the Symphony plan is some 27 KB of each cached watch's heap). The copy is frozen, so a
// watch that tried to change its plan would fail loudly instead of changing another watch's.
//
// Like core/ed25519.ts, this is module-level state in a shared module (worker/bundle.ts): each entry
// is a plan exactly as a workflow received it, found by its own JSON, so a watch gets an equal plan
// whichever watch brought it first, and its results never depend on the cache.
import type { Plan } from '../plan/schema';

/** Plans kept per worker; one evicted is still held by the watches that use it. */
const MAX_PLANS = 32;
const plans = new Map<string, Plan>();

/** The worker's copy of `plan` (this one, frozen, if it is the first of its kind). */
export function sharedPlan(plan: Plan): Plan {
  const key = JSON.stringify(plan);
  const have = plans.get(key);
  if (have) return have;
  freeze(plan);
  if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value!);
  plans.set(key, plan);
  return plan;
}

function freeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) freeze(v);
}
