// The prometheus probe kind: a PromQL query (instant, or a range since the check's previous run) for
// [VALUE] and [SERIES], and optionally [BASELINE]: the same query over a window before the deploy,
// taken once and kept by the watch with the check's cursor, so it survives continue-as-new and a
// worker restart. What no data and a missing baseline mean is the plan's choice per check.
import { z } from 'zod';
import type { Unit } from '../../core/conditions';
import { formatUnit } from '../../core/units';
import { resolveText } from '../../core/vars';
import { formatDuration, parseDuration } from '../../plan/duration';
import { Duration } from '../../plan/fields';
import type { Observation, ProbeContext, ProbeKind } from '../types';
import { queryPrometheus, type PromQuery } from './query';
import { aggregateRange, promValues, type PromValues } from './result';

const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'an environment variable name' });
/** What a check makes of an answer it cannot judge: fail it, warn, or let it pass (Argo's "inconclusive"). */
const Verdict = z.enum(['fail', 'warn', 'pass']);
const Aggregate = z.enum(['avg', 'max', 'min', 'last']);

export const PrometheusProbe = z.strictObject({
  kind: z.literal('prometheus'),
  /** Base URL of the Prometheus HTTP API, usually a var (`${prometheus}`); a path prefix is kept. */
  url: z.string().min(1),
  query: z.string().min(1),
  /** A range query: `since-last` (the time since this check's previous run: its tier's interval) or a duration. */
  range: z.union([z.literal('since-last'), Duration]).optional(),
  /** The range query's resolution (default: a sixtieth of the range, at least 1s). */
  step: Duration.optional(),
  /** How a range gives one number per series for [VALUE] and [SERIES]. */
  aggregate: Aggregate.default('avg'),
  /** How the numbers read in reasons, reports and charts. */
  unit: z.enum(['number', 'ratio', 'percent', 'seconds', 'ms', 'bytes']).default('number'),
  /** The query returned no series (or only empty ones). */
  noData: Verdict.default('fail'),
  baseline: z
    .strictObject({
      /** How far before the deploy the baseline looks, e.g. 1h: [deployedAt - window, deployedAt]. */
      window: Duration,
      aggregate: Aggregate.default('avg'),
      /** The baseline cannot be had (no data then, the server unreachable): what this check's runs are. */
      unavailable: Verdict.default('warn'),
    })
    .optional(),
  auth: z
    .strictObject({ bearerTokenEnv: EnvName.optional(), basicUserEnv: EnvName.optional(), basicPasswordEnv: EnvName.optional() })
    .optional(),
  tls: z.strictObject({ caFile: z.string().optional(), insecureSkipVerify: z.boolean().default(false) }).optional(),
  timeout: Duration.default('10s'),
  /** Largest answer read. */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
});
export type PrometheusProbeSpec = z.output<typeof PrometheusProbe>;

/** What the watch keeps for this check between runs. */
interface PromCursor {
  /** When the previous run queried (ms): a `since-last` range starts there. */
  lastAt?: number;
  baseline?: { value: number; from: string; to: string };
}

const PLACEHOLDERS = [
  { name: 'VALUE', doc: 'the number of a single-series answer (a range: aggregated)', fields: 'none' },
  { name: 'SERIES', doc: 'every series: a list of { labels, value }', fields: 'any' },
  { name: 'BASELINE', doc: "the query's value over the window before the deploy (probe.baseline)", fields: 'none' },
] as const;

export const prometheusProbe: ProbeKind<PrometheusProbeSpec> = {
  kind: 'prometheus',
  schema: PrometheusProbe,
  placeholders: PLACEHOLDERS,
  // [SERIES] too: max()/min() over it print in the unit.
  placeholdersFor: (spec) => PLACEHOLDERS.map((p) => ({ ...p, unit: spec.unit as Unit })),
  defaultMetric: '[VALUE]',

  async observe(probe, ctx): Promise<Observation> {
    const cursor = (isCursor(ctx.cursor) ? ctx.cursor : {}) as PromCursor;
    const now = Date.now();
    const base = baseQuery(probe, ctx);
    const query: PromQuery = { ...base, ...window(probe, cursor, ctx, now) };
    const evidence = [`${query.mode} query at ${base.url}: ${probe.query}`];
    if (query.range)
      evidence.push(`range ${query.range.start.toISOString()} → ${query.range.end.toISOString()}, step ${query.range.stepSeconds}s`);
    const next: PromCursor = { ...cursor, lastAt: now };

    const baseline = probe.baseline ? await baselineOf(probe, base, cursor, ctx) : undefined;
    if (baseline && 'value' in baseline) next.baseline = baseline;

    const answer = await queryPrometheus(query, ctx.env);
    if (!answer.ok) return { values: {}, failure: answer.reason, evidence, cursor: next };
    if (answer.warnings?.length) evidence.push(`Prometheus warns: ${answer.warnings.join('; ')}`);
    const read = promValues(answer);
    if ('error' in read)
      return { values: {}, failure: `Prometheus gave an answer that cannot be read: ${read.error}`, evidence, cursor: next };

    const values = valuesOf(read, probe);
    evidence.push(...seriesLines(values.SERIES as Array<{ labels: Record<string, string>; value: number }>, probe.unit));
    const out: Observation = { values, evidence, cursor: next };
    if (baseline && 'value' in baseline) {
      values.BASELINE = baseline.value;
      out.baseline = { value: baseline.value, text: formatUnit(baseline.value, probe.unit), window: probe.baseline!.window };
      evidence.push(`baseline ${formatUnit(baseline.value, probe.unit)} (${baseline.from} → ${baseline.to})`);
    } else if (baseline) {
      evidence.push(`baseline: ${baseline.error}`);
      out.inconclusive = { outcome: verdict(probe.baseline!.unavailable), reason: `no baseline: ${baseline.error}` };
    }
    if (read.noData)
      out.inconclusive = { outcome: verdict(probe.noData), reason: `no data: the query ${quote(probe.query)} returned no series` };
    return out;
  },
};

/** The query as the client takes it, vars resolved; the mode and time are set per use. */
function baseQuery(probe: PrometheusProbeSpec, ctx: ProbeContext): PromQuery {
  return {
    url: resolveText(probe.url, ctx.vars, ctx.env, ctx.release),
    query: resolveText(probe.query, ctx.vars, ctx.env, ctx.release),
    mode: 'instant',
    timeoutMs: parseDuration(probe.timeout),
    maxBytes: probe.maxBytes,
    ...(probe.auth ? { auth: probe.auth } : {}),
    ...(probe.tls ? { tls: probe.tls } : {}),
  };
}

/** An instant query now, or a range ending now. */
function window(probe: PrometheusProbeSpec, cursor: PromCursor, ctx: ProbeContext, now: number): Partial<PromQuery> {
  if (probe.range === undefined) return { mode: 'instant', time: new Date(now) };
  const deployedAt = Date.parse(ctx.release.deployedAt);
  const since =
    probe.range === 'since-last'
      ? (cursor.lastAt ?? (Number.isFinite(deployedAt) ? deployedAt : now - 60_000))
      : now - parseDuration(probe.range);
  const spanMs = Math.max(now - since, 1_000);
  return { mode: 'range', range: { start: new Date(now - spanMs), end: new Date(now), stepSeconds: stepSeconds(probe, spanMs) } };
}

function stepSeconds(probe: PrometheusProbeSpec, spanMs: number): number {
  if (probe.step) return Math.max(parseDuration(probe.step) / 1000, 0.001);
  return Math.max(1, Math.round(spanMs / 60 / 1000));
}

/** The kept baseline, or the same query over the window before the deploy, or why there is none. */
async function baselineOf(
  probe: PrometheusProbeSpec,
  base: PromQuery,
  cursor: PromCursor,
  ctx: ProbeContext,
): Promise<{ value: number; from: string; to: string } | { error: string }> {
  if (cursor.baseline) return cursor.baseline;
  const spec = probe.baseline!;
  const deployedAt = Date.parse(ctx.release.deployedAt);
  if (!Number.isFinite(deployedAt)) return { error: `the release's deployedAt (${ctx.release.deployedAt}) is not a time` };
  const windowMs = parseDuration(spec.window);
  const range = { start: new Date(deployedAt - windowMs), end: new Date(deployedAt), stepSeconds: stepSeconds(probe, windowMs) };
  const answer = await queryPrometheus({ ...base, mode: 'range', range }, ctx.env);
  if (!answer.ok) return { error: answer.reason };
  const read = promValues(answer);
  if ('error' in read) return { error: `Prometheus gave an answer that cannot be read: ${read.error}` };
  if (read.noData) return { error: `the query returned no data in the ${formatDuration(windowMs)} before the deploy` };
  if (read.SERIES.length > 1)
    return {
      error: `the query returned ${read.SERIES.length} series before the deploy; a baseline needs one (aggregate it, e.g. sum(...))`,
    };
  const value = aggregateRange(read.SERIES[0], spec.aggregate);
  if (!Number.isFinite(value)) return { error: `the baseline is ${formatUnit(value, probe.unit)} (no traffic before the deploy?)` };
  return { value, from: range.start.toISOString(), to: range.end.toISOString() };
}

/** [VALUE] for one series, [SERIES] always; a range's series give one number each, by `aggregate`. */
function valuesOf(read: PromValues, probe: PrometheusProbeSpec): Record<string, unknown> {
  const series = read.SERIES.map((s) => ({ labels: s.labels, value: s.values ? aggregateRange(s, probe.aggregate) : s.value }));
  const values: Record<string, unknown> = { SERIES: series };
  if (series.length === 1) values.VALUE = series[0].value;
  return values;
}

const SERIES_SHOWN = 8;

function seriesLines(series: Array<{ labels: Record<string, string>; value: number }>, unit: Unit): string[] {
  const lines = series.slice(0, SERIES_SHOWN).map((s) => {
    const labels = Object.entries(s.labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(', ');
    return `  {${labels}} ${formatUnit(s.value, unit)}`;
  });
  if (series.length > SERIES_SHOWN) lines.push(`  … and ${series.length - SERIES_SHOWN} more series`);
  return series.length ? [`${series.length} series:`, ...lines] : ['no series'];
}

function verdict(v: 'fail' | 'warn' | 'pass'): 'fail' | 'warn' | 'ok' {
  return v === 'pass' ? 'ok' : v;
}

function quote(text: string): string {
  return text.length > 120 ? `"${text.slice(0, 119)}…"` : `"${text}"`;
}

function isCursor(c: unknown): c is PromCursor {
  return typeof c === 'object' && c !== null && !Array.isArray(c);
}
