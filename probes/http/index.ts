// The http probe kind: one bounded request; [STATUS], [RESPONSE_TIME] and [BODY] for its conditions.
// Also a lever step (an HTTP call that must answer below 400).
import { z } from 'zod';
import { formatMs } from '../../core/conditions';
import { resolveDeep, resolveText } from '../../core/vars';
import { Duration } from '../../plan/fields';
import { parseDuration } from '../../plan/duration';
import { excerpt } from '../evidence';
import type { Observation, ProbeContext, ProbeKind, StepResult } from '../types';
import { probeHttp, type HttpRequestSpec } from './request';

const OUTPUT_MAX = 500;

export const HttpProbe = z.strictObject({
  kind: z.literal('http'),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('GET'),
  url: z.string().min(1),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.unknown().optional(),
  timeout: Duration.default('30s'),
  /** HMAC-SHA256 over the raw body; the secret comes from the worker's environment, never the plan. */
  sign: z
    .strictObject({
      secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'an environment variable name' }),
      header: z.string().default('X-Signature-256'),
    })
    .optional(),
  maxBodyBytes: z.number().int().positive().default(65_536),
});
export type HttpProbeSpec = z.output<typeof HttpProbe>;

/** The request the spec stands for, with its `${var}` references resolved. */
export function httpRequest(probe: HttpProbeSpec, ctx: ProbeContext): HttpRequestSpec {
  return {
    method: probe.method,
    url: resolveText(probe.url, ctx.vars, ctx.env, ctx.release),
    headers: resolveDeep(probe.headers, ctx.vars, ctx.env, ctx.release) as Record<string, string>,
    body: resolveDeep(probe.body, ctx.vars, ctx.env, ctx.release),
    timeoutMs: parseDuration(probe.timeout),
    ...(probe.sign ? { sign: probe.sign } : {}),
    maxBodyBytes: probe.maxBodyBytes,
  };
}

export const httpProbe: ProbeKind<HttpProbeSpec> = {
  kind: 'http',
  schema: HttpProbe,
  placeholders: [
    { name: 'STATUS', doc: 'the HTTP status code', fields: 'none' },
    { name: 'RESPONSE_TIME', doc: 'time to the whole answer', fields: 'none', unit: 'ms' },
    { name: 'BODY', doc: 'the body, parsed as JSON when it is JSON (else its text)', fields: 'any' },
  ],

  async observe(probe, ctx): Promise<Observation> {
    const spec = httpRequest(probe, ctx);
    const seen = await probeHttp(spec, ctx.env);
    const values: Record<string, unknown> = { RESPONSE_TIME: seen.responseTimeMs };
    if (seen.status !== undefined) values.STATUS = seen.status;
    if (seen.failure === undefined) values.BODY = seen.body;
    const evidence = [`${spec.method} ${spec.url} → ${seen.status ?? 'no answer'} in ${formatMs(seen.responseTimeMs)}`];
    if (seen.bodyText) {
      evidence.push(`body${seen.bodyTruncated ? ` (truncated at ${spec.maxBodyBytes} bytes)` : ''}${seen.bodyIsJson ? '' : ', not JSON'}:`);
      evidence.push(excerpt(seen.bodyText, 12, 800));
    }
    return { values, evidence, ...(seen.failure ? { failure: seen.failure } : {}) };
  },

  async act(probe, ctx): Promise<StepResult> {
    const spec = httpRequest(probe, ctx);
    const out = await probeHttp(spec, ctx.env);
    const ok = !out.failure && out.status !== undefined && out.status < 400;
    return {
      step: `${spec.method} ${spec.url}`,
      ok,
      detail: out.failure ?? `HTTP ${out.status}: ${out.bodyText.slice(0, OUTPUT_MAX)}`,
      durationMs: out.responseTimeMs,
    };
  },
};
