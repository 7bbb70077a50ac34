// Reading a PromQL answer into values a condition can judge, and showing numbers the way a person
// reads them. Pure: no I/O, no Node built-ins.
//
// Special values. Prometheus sends NaN, +Inf and -Inf as the strings "NaN", "+Inf" and "-Inf"; they
// are kept as the numbers NaN, Infinity and -Infinity. They compare as IEEE numbers do: NaN is neither
// less than, greater than nor equal to anything (itself included), so every comparison with it is false
// and a condition such as `[VALUE] < 0.01` fails on NaN. That is what an error ratio with no traffic
// gives (0/0): add a condition for no traffic, or write the query to give 0 then (`... or vector(0)`).
// +Inf is greater than every number (histogram_quantile gives it when the quantile falls in the +Inf
// bucket), -Inf less than every number.

export interface Series {
  labels: Record<string, string>;
  /** The instant value, or for a range the last sample. */
  value: number;
  /** A range's samples: [unix seconds, value]. */
  values?: Array<[number, number]>;
}

export interface PromValues {
  /** Set for a scalar, and for a vector or matrix with exactly one series. */
  VALUE?: number;
  /** Every series (a scalar is one series without labels). */
  SERIES: Series[];
  /** No series at all, or a matrix whose series have no samples. */
  noData: boolean;
}

export type Aggregation = 'avg' | 'max' | 'min' | 'last';

/** The values in an answer's `resultType` and `result`, or what is wrong with them. */
export function promValues(answer: { resultType: string; result: unknown }): PromValues | { error: string } {
  try {
    const series = readSeries(answer.resultType, answer.result);
    return { ...(series.length === 1 ? { VALUE: series[0].value } : {}), SERIES: series, noData: series.length === 0 };
  } catch (err) {
    if (err instanceof Malformed) return { error: err.message };
    throw err;
  }
}

class Malformed extends Error {}

function readSeries(resultType: string, result: unknown): Series[] {
  switch (resultType) {
    case 'scalar':
      return [{ labels: {}, value: sample(result, 'the scalar')[1] }];
    case 'vector':
      return list(result).map((item, i) => {
        const where = `result[${i}]`;
        const s = entry(item, where, 'value');
        return { labels: labels(s.metric, where), value: sample(s.value, `${where}.value`)[1] };
      });
    case 'matrix':
      return list(result).flatMap((item, i) => {
        const where = `result[${i}]`;
        const s = entry(item, where, 'values');
        if (!Array.isArray(s.values)) throw new Malformed(`${where}.values is not a list of samples`);
        const values = s.values.map((v, j) => sample(v, `${where}.values[${j}]`));
        // A series without samples in the range has nothing to judge.
        return values.length === 0 ? [] : [{ labels: labels(s.metric, where), value: values[values.length - 1][1], values }];
      });
    case 'string': {
      const text = Array.isArray(result) ? result[1] : result;
      throw new Malformed(`the query gives a string (${JSON.stringify(String(text)).slice(0, 80)}), not a number`);
    }
    default:
      throw new Malformed(`unknown result type ${JSON.stringify(resultType)} (expected vector, matrix, scalar or string)`);
  }
}

function list(result: unknown): unknown[] {
  if (!Array.isArray(result)) throw new Malformed('the result is not a list of series');
  return result;
}

function entry(item: unknown, where: string, field: 'value' | 'values'): Record<string, unknown> {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new Malformed(`${where} is not a series object`);
  const s = item as Record<string, unknown>;
  if (!(field in s) && ('histogram' in s || 'histograms' in s)) {
    throw new Malformed(`${where} is a native histogram, which has no single value; use histogram_quantile() or histogram_count() on it`);
  }
  if (!(field in s)) throw new Malformed(`${where} has no ${field}`);
  return s;
}

function labels(metric: unknown, where: string): Record<string, string> {
  if (metric === undefined) return {};
  if (typeof metric !== 'object' || metric === null || Array.isArray(metric)) throw new Malformed(`${where}.metric is not a set of labels`);
  for (const [k, v] of Object.entries(metric)) {
    if (typeof v !== 'string') throw new Malformed(`${where}.metric.${k} is not a string`);
  }
  return { ...(metric as Record<string, string>) };
}

const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const SPECIAL = new Map([
  ['NaN', NaN],
  ['+Inf', Infinity],
  ['Inf', Infinity],
  ['-Inf', -Infinity],
]);

/** A [unix seconds, "value"] pair. */
function sample(v: unknown, where: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw new Malformed(`${where} is not a [time, "value"] pair`);
  const [t, text] = v;
  if (typeof t !== 'number' || !Number.isFinite(t)) throw new Malformed(`${where} has no time (got ${JSON.stringify(t)})`);
  if (typeof text !== 'string') throw new Malformed(`${where} has a value that is not a string (got ${JSON.stringify(text)})`);
  const special = SPECIAL.get(text);
  if (special !== undefined) return [t, special];
  if (!DECIMAL.test(text)) throw new Malformed(`${where} has the value ${JSON.stringify(text.slice(0, 40))}, not a number`);
  return [t, Number(text)];
}

/**
 * One number for a range: its average, largest, smallest or last sample. NaN samples (0/0: no traffic
 * then) are left out; with no sample left the answer is NaN. An instant series counts as its one value.
 */
export function aggregateRange(series: Series, how: Aggregation): number {
  const samples = (series.values ?? [[0, series.value]]).map(([, v]) => v).filter((v) => !Number.isNaN(v));
  if (samples.length === 0) return NaN;
  switch (how) {
    case 'avg':
      return samples.reduce((a, b) => a + b, 0) / samples.length;
    case 'max':
      return Math.max(...samples);
    case 'min':
      return Math.min(...samples);
    case 'last':
      return samples[samples.length - 1];
    default:
      throw new Error(`unknown aggregation ${JSON.stringify(how)} (avg, max, min or last)`);
  }
}

/** The window before the deploy, for a range query: [deployedAt - window, deployedAt]. */
export function baselineRange(deployedAt: Date, window: number, stepSeconds: number): { start: Date; end: Date; stepSeconds: number } {
  if (!Number.isFinite(deployedAt.getTime())) throw new Error('baselineRange: deployedAt is not a valid time');
  if (!(window > 0) || !Number.isFinite(window))
    throw new Error(`baselineRange: the window must be a positive number of ms (got ${window})`);
  if (!(stepSeconds > 0) || !Number.isFinite(stepSeconds))
    throw new Error(`baselineRange: the step must be a positive number of seconds (got ${stepSeconds})`);
  if (stepSeconds * 1000 > window)
    throw new Error(`baselineRange: the step (${stepSeconds} s) is longer than the window (${window / 1000} s)`);
  return { start: new Date(deployedAt.getTime() - window), end: new Date(deployedAt.getTime()), stepSeconds };
}

// The formats live in core/units.ts (conditions print with them too); kept importable from here.
export { formatNumber, formatSeconds } from '../../core/units';
