// Pulling an emergency lever: the plan's steps in order (an HTTP call or a command, run by that probe
// kind's `act`, with the same `${var}` resolution as its probes), stopping at the first that fails. A
// step that fails is a result, not an exception: the watch records it.
import type { Release } from '../core/messages';
import { VarError, type Env } from '../core/vars';
import type { Plan, StepSpec } from '../plan/schema';
import { probeKind } from '../probes';
import { activityContext } from '../probes/runtime';
import type { StepResult } from '../probes/types';

export interface LeverRequestInput {
  lever: string;
  steps: StepSpec[];
  vars: Plan['vars'];
  release: Release;
}

export interface LeverResult {
  ok: boolean;
  steps: StepResult[];
}

export function createPullLever(env: Env) {
  return async function pullLever(req: LeverRequestInput): Promise<LeverResult> {
    const steps: StepResult[] = [];
    for (const spec of req.steps) {
      const result = await runStep(spec, req, env);
      steps.push(result);
      activityContext()?.heartbeat(steps.length);
      if (!result.ok) break;
    }
    return { ok: steps.length === req.steps.length && steps.every((s) => s.ok), steps };
  };
}

async function runStep(spec: StepSpec, req: LeverRequestInput, env: Env): Promise<StepResult> {
  const kind = probeKind(spec.kind);
  if (!kind?.act) return { step: spec.kind, ok: false, detail: `a ${spec.kind} step cannot act`, durationMs: 0 };
  try {
    return await kind.act(spec, { vars: req.vars, env, release: req.release, first: false });
  } catch (err) {
    if (err instanceof VarError) return { step: spec.kind, ok: false, detail: err.message, durationMs: 0 };
    throw err;
  }
}
