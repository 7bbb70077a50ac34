// The check activity: run the check's probe (its kind from probes/), judge the values against the
// check's conditions. A service that answers badly gives a failed result, never a throw; only our own
// infrastructure faults throw, so Temporal retries them.
import { performance } from 'node:perf_hooks';
import { clip, holds, judge, valueOf } from '../core/conditions';
import type { CheckRequest, CheckResult } from '../core/messages';
import { VarError, type Env } from '../core/vars';
import { probeKind } from '../probes';
import { cancellationSignal, isResourceExhaustion } from '../probes/runtime';
import type { Observation, ProbeContext } from '../probes/types';

const MAX_EVIDENCE = 2_000;

export function createRunCheck(env: Env) {
  return async function runCheck(req: CheckRequest): Promise<CheckResult> {
    const startedAt = new Date().toISOString();
    const started = performance.now();
    const { check } = req;
    const kind = probeKind(check.probe.kind);
    const observation = await observe(req, env);
    const verdict = judge(check.conditions, observation.values, check.severity, kind?.placeholders, req.severities);
    const outcome = observation.failure ? 'fail' : verdict.outcome;
    const severity = outcome === 'ok' ? undefined : verdict.outcome === outcome ? verdict.severity : check.severity;
    const metric = check.metric === undefined ? undefined : valueOf(check.metric, observation.values);
    const cost = check.cost === undefined ? undefined : valueOf(check.cost, observation.values);
    const failing = verdict.conditions.filter((c) => c.outcome !== 'ok');
    return {
      checkId: req.checkId,
      hour: req.hour,
      outcome,
      ...(severity ? { severity } : {}),
      reason: observation.failure ?? verdict.reason,
      conditions: verdict.conditions,
      durationMs: performance.now() - started,
      ...(metric !== undefined ? { metric } : {}),
      ...(cost !== undefined ? { cost } : {}),
      triggers: (req.triggers ?? []).filter((t) => holds(t.when, observation.values)).map((t) => t.name),
      evidence: clip(
        [
          ...(observation.failure ? [`probe: ${observation.failure}`] : []),
          ...failing.map((c) => `${c.outcome}: ${c.name}${c.detail ? ` (${c.detail})` : ''}`),
          ...observation.evidence,
        ].join('\n'),
        MAX_EVIDENCE,
      ),
      ...(observation.cursor !== undefined ? { cursor: observation.cursor } : {}),
      ...(observation.log ? { log: observation.log } : {}),
      startedAt,
    };
  };
}

async function observe(req: CheckRequest, env: Env): Promise<Observation> {
  const kind = probeKind(req.check.probe.kind);
  if (!kind)
    return { values: {}, failure: `unknown probe kind "${req.check.probe.kind}" (this worker may be older than the plan)`, evidence: [] };
  const ctx: ProbeContext = { vars: req.vars, env, release: req.release, cursor: req.cursor, first: req.first ?? false };
  try {
    return await kind.observe(req.check.probe, ctx);
  } catch (err) {
    if (isResourceExhaustion(err) || cancellationSignal()?.aborted) throw err;
    const failure = err instanceof VarError ? `cannot resolve the probe: ${err.message}` : `probe error: ${(err as Error).message}`;
    return { values: {}, failure, evidence: [] };
  }
}
