// The check activity: run the check's probe (its kind from probes/), judge the values against the
// check's conditions. A service that answers badly gives a failed result, never a throw; only our own
// infrastructure faults throw, so Temporal retries them.
import { performance } from 'node:perf_hooks';
import { clip, holds, judge, metricBands, valueOf } from '../core/conditions';
import type { CheckRequest, CheckResult } from '../core/messages';
import { VarError, type Env } from '../core/vars';
import { SpanStatusCode } from '@opentelemetry/api';
import { probeKind } from '../probes';
import { inSpan } from '../worker/tracing';
import { activityContext, cancellationSignal, isResourceExhaustion } from '../probes/runtime';
import type { Observation, ProbeContext } from '../probes/types';

const MAX_EVIDENCE = 2_000;

export function createRunCheck(env: Env) {
  const run = runCheckWith(env);
  // One span per probe under its tier run's (a no-op when tracing is off): the check, its kind and outcome.
  return async function runCheck(req: CheckRequest): Promise<CheckResult> {
    return inSpan(
      `probe ${req.checkId}`,
      { 'rw.check': req.checkId, 'rw.probe.kind': req.check.probe.kind, 'rw.hour': req.hour },
      async (span) => {
        const result = await run(req);
        span.setAttribute('rw.outcome', result.outcome);
        if (result.outcome === 'fail') span.setStatus({ code: SpanStatusCode.ERROR, message: result.reason.slice(0, 200) });
        return result;
      },
    );
  };
}

function runCheckWith(env: Env) {
  return async function runCheck(req: CheckRequest): Promise<CheckResult> {
    const startedAt = new Date().toISOString();
    const started = performance.now();
    const { check } = req;
    const kind = probeKind(check.probe.kind);
    const observation = await observe(req, env);
    const placeholders = kind?.placeholdersFor?.(check.probe) ?? kind?.placeholders;
    const verdict = judge(check.conditions, observation.values, check.severity, placeholders, req.severities);
    const unjudged = observation.failure === undefined ? observation.inconclusive : undefined;
    const outcome = observation.failure ? 'fail' : unjudged ? unjudged.outcome : verdict.outcome;
    const severity = outcome === 'ok' ? undefined : !unjudged && verdict.outcome === outcome ? verdict.severity : check.severity;
    const metricExpr = check.metric;
    const metric = metricExpr === undefined ? undefined : valueOf(metricExpr, observation.values);
    const cost = check.cost === undefined ? undefined : valueOf(check.cost, observation.values);
    const bands = metricExpr === undefined ? undefined : metricBands(check.conditions, metricExpr, observation.values);
    const unit = placeholders?.find((p) => metricExpr?.replace(/\s+/g, '') === `[${p.name}]`)?.unit;
    activityContext()
      ?.metricMeter.createHistogram('release_watch_probe_seconds', 'float', 's', 'Time a probe took, by kind')
      .record((performance.now() - started) / 1000, { kind: check.probe.kind });
    const failing = unjudged ? [] : verdict.conditions.filter((c) => c.outcome !== 'ok');
    return {
      checkId: req.checkId,
      hour: req.hour,
      outcome,
      ...(severity ? { severity } : {}),
      reason: observation.failure ?? unjudged?.reason ?? verdict.reason,
      conditions: unjudged ? [] : verdict.conditions,
      durationMs: performance.now() - started,
      ...(metric !== undefined ? { metric } : {}),
      ...(cost !== undefined ? { cost } : {}),
      triggers: (req.triggers ?? []).filter((t) => holds(t.when, observation.values)).map((t) => t.name),
      evidence: clip(
        [
          ...(observation.failure ? [`probe: ${observation.failure}`] : []),
          ...(unjudged ? [`${unjudged.outcome}: ${unjudged.reason} (the conditions were not judged)`] : []),
          ...failing.map((c) => `${c.outcome}: ${c.name}${c.detail ? ` (${c.detail})` : ''}`),
          ...observation.evidence,
        ].join('\n'),
        MAX_EVIDENCE,
      ),
      ...(observation.cursor !== undefined ? { cursor: observation.cursor } : {}),
      ...(observation.log ? { log: observation.log } : {}),
      ...(observation.baseline ? { baseline: observation.baseline } : {}),
      ...(bands ? { bands } : {}),
      ...(unit && metric !== undefined ? { unit } : {}),
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
