// Plans for tests: the committed plans, optionally with a faster clock or a shorter watch.
import { join } from 'node:path';
import { loadPlan } from '../../plan/validate';
import type { Plan } from '../../plan/schema';

export const PLANS = join(__dirname, '..', '..', 'plans');

export function symphonyPlan(): Plan {
  return loadPlan(join(PLANS, 'symphony-orchestra.yaml'));
}

export function demoPlan(overrides: Partial<Plan['clock']> = {}): Plan {
  const plan = loadPlan(join(PLANS, 'demo.yaml'));
  return { ...plan, clock: { ...plan.clock, ...overrides } };
}
