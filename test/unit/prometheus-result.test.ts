import { aggregateRange, baselineRange, formatNumber, formatSeconds, promValues, type Series } from '../../probes/prometheus/result';

const vector = (...items: Array<[Record<string, string>, string]>) => ({
  resultType: 'vector',
  result: items.map(([metric, v]) => ({ metric, value: [1_700_000_000.5, v] })),
});

describe('promValues', () => {
  it('reads a one-series vector into VALUE and SERIES', () => {
    expect(promValues(vector([{ job: 'api' }, '0.0123']))).toEqual({
      VALUE: 0.0123,
      SERIES: [{ labels: { job: 'api' }, value: 0.0123 }],
      noData: false,
    });
  });

  it('leaves VALUE unset for several series', () => {
    const v = promValues(vector([{ code: '200' }, '12'], [{ code: '500' }, '3']));
    expect(v).toEqual({
      SERIES: [
        { labels: { code: '200' }, value: 12 },
        { labels: { code: '500' }, value: 3 },
      ],
      noData: false,
    });
  });

  it('keeps NaN, +Inf and -Inf as numbers', () => {
    const v = promValues(vector([{ q: 'nan' }, 'NaN'], [{ q: 'inf' }, '+Inf'], [{ q: 'neg' }, '-Inf'], [{ q: 'exp' }, '1.5e-05']));
    if ('error' in v) throw new Error(v.error);
    expect(v.SERIES.map((s) => s.value)).toEqual([NaN, Infinity, -Infinity, 0.000015]);
    // How they compare: NaN with nothing, the infinities beyond every number.
    const [nan, inf, neg] = v.SERIES.map((s) => s.value);
    expect([nan < 0.01, nan > 0.01, nan === nan]).toEqual([false, false, false]);
    expect([inf > 1e308, neg < -1e308]).toEqual([true, true]);
  });

  it('gives no data for an empty vector and for a matrix without samples', () => {
    expect(promValues({ resultType: 'vector', result: [] })).toEqual({ SERIES: [], noData: true });
    expect(promValues({ resultType: 'matrix', result: [{ metric: { a: '1' }, values: [] }] })).toEqual({ SERIES: [], noData: true });
  });

  it('reads a matrix: the last sample is the value, samples kept, empty series dropped', () => {
    const v = promValues({
      resultType: 'matrix',
      result: [
        {
          metric: { le: '0.5' },
          values: [
            [100, '1'],
            [101, 'NaN'],
            [102, '3'],
          ],
        },
        { metric: { le: '1' }, values: [] },
      ],
    });
    expect(v).toEqual({
      VALUE: 3,
      SERIES: [
        {
          labels: { le: '0.5' },
          value: 3,
          values: [
            [100, 1],
            [101, NaN],
            [102, 3],
          ],
        },
      ],
      noData: false,
    });
  });

  it('reads a scalar as one series without labels', () => {
    expect(promValues({ resultType: 'scalar', result: [1_700_000_000, '42'] })).toEqual({
      VALUE: 42,
      SERIES: [{ labels: {}, value: 42 }],
      noData: false,
    });
  });

  it.each([
    [{ resultType: 'string', result: [1, 'hello'] }, 'the query gives a string ("hello"), not a number'],
    [{ resultType: 'table', result: [] }, 'unknown result type "table" (expected vector, matrix, scalar or string)'],
    [{ resultType: 'vector', result: {} }, 'the result is not a list of series'],
    [{ resultType: 'vector', result: [42] }, 'result[0] is not a series object'],
    [{ resultType: 'vector', result: [{ metric: {} }] }, 'result[0] has no value'],
    [{ resultType: 'vector', result: [{ metric: {}, value: [1, 'abc'] }] }, 'result[0].value has the value "abc", not a number'],
    [
      { resultType: 'vector', result: [{ metric: {}, value: [1, 'constructor'] }] },
      'result[0].value has the value "constructor", not a number',
    ],
    [{ resultType: 'vector', result: [{ metric: {}, value: [1, 2] }] }, 'result[0].value has a value that is not a string (got 2)'],
    [{ resultType: 'vector', result: [{ metric: {}, value: ['x', '2'] }] }, 'result[0].value has no time (got "x")'],
    [{ resultType: 'vector', result: [{ metric: { a: 1 }, value: [1, '2'] }] }, 'result[0].metric.a is not a string'],
    [{ resultType: 'vector', result: [{ metric: {}, value: [1] }] }, 'result[0].value is not a [time, "value"] pair'],
    [{ resultType: 'matrix', result: [{ metric: {}, values: 'x' }] }, 'result[0].values is not a list of samples'],
    [{ resultType: 'matrix', result: [{ metric: {}, values: [[1, '1'], null] }] }, 'result[0].values[1] is not a [time, "value"] pair'],
    [{ resultType: 'scalar', result: null }, 'the scalar is not a [time, "value"] pair'],
    [
      { resultType: 'vector', result: [{ metric: {}, histogram: [1, { count: '3' }] }] },
      'result[0] is a native histogram, which has no single value; use histogram_quantile() or histogram_count() on it',
    ],
  ])('refuses a malformed answer: %j', (answer, error) => {
    expect(promValues(answer)).toEqual({ error });
  });
});

describe('aggregateRange', () => {
  const series: Series = {
    labels: {},
    value: 4,
    values: [
      [1, 2],
      [2, NaN],
      [3, 6],
      [4, 4],
    ],
  };

  it('averages, takes the largest, smallest and last sample, leaving NaN out', () => {
    expect(aggregateRange(series, 'avg')).toBe(4);
    expect(aggregateRange(series, 'max')).toBe(6);
    expect(aggregateRange(series, 'min')).toBe(2);
    expect(aggregateRange({ ...series, values: [...series.values!, [5, NaN]] }, 'last')).toBe(4);
  });

  it('is NaN without samples, counts an infinity, and takes an instant series as its value', () => {
    expect(aggregateRange({ labels: {}, value: NaN, values: [[1, NaN]] }, 'avg')).toBeNaN();
    expect(
      aggregateRange(
        {
          labels: {},
          value: 1,
          values: [
            [1, 1],
            [2, Infinity],
          ],
        },
        'max',
      ),
    ).toBe(Infinity);
    expect(aggregateRange({ labels: {}, value: 0.25 }, 'avg')).toBe(0.25);
    expect(() => aggregateRange(series, 'median' as never)).toThrow('unknown aggregation "median" (avg, max, min or last)');
  });
});

describe('baselineRange', () => {
  it('is the window that ends at the deploy', () => {
    const deployedAt = new Date('2026-03-01T12:00:00Z');
    expect(baselineRange(deployedAt, 3_600_000, 60)).toEqual({
      start: new Date('2026-03-01T11:00:00Z'),
      end: deployedAt,
      stepSeconds: 60,
    });
  });

  it('refuses a bad window or step, naming it', () => {
    const at = new Date('2026-03-01T12:00:00Z');
    expect(() => baselineRange(at, 0, 60)).toThrow('baselineRange: the window must be a positive number of ms (got 0)');
    expect(() => baselineRange(at, 60_000, -1)).toThrow('baselineRange: the step must be a positive number of seconds (got -1)');
    expect(() => baselineRange(at, 60_000, 120)).toThrow('baselineRange: the step (120 s) is longer than the window (60 s)');
    expect(() => baselineRange(new Date('nope'), 60_000, 1)).toThrow('baselineRange: deployedAt is not a valid time');
  });
});

describe('formatNumber', () => {
  it.each([
    [0, '0'],
    [0.0123, '0.0123'],
    [0.012345, '0.0123'],
    [0.5, '0.5'],
    [42, '42'],
    [999, '999'],
    [12.345, '12.3'],
    [999.96, '1k'],
    [1500, '1.5k'],
    [1234567, '1.23M'],
    [999_999, '1M'],
    [2.5e9, '2.5G'],
    [7e12, '7T'],
    [1.234e18, '1.23e+18'],
    [-1234567, '-1.23M'],
    [-0.25, '-0.25'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('%p → %p', (n, text) => {
    expect(formatNumber(n)).toBe(text);
  });
});

describe('formatSeconds', () => {
  it.each([
    [0.2, '200 ms'],
    [1.5, '1.5 s'],
    [90, '1.5 min'],
    [0, '0 s'],
    [0.0123, '12.3 ms'],
    [0.0004975, '498 µs'],
    [0.9996, '1 s'],
    [59.99, '1 min'],
    [7200, '2 h'],
    [172_800, '2 d'],
    [-0.5, '-500 ms'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
  ])('%p → %p', (s, text) => {
    expect(formatSeconds(s)).toBe(text);
  });
});
