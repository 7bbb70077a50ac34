// The prometheus probe kind as a check runs it (the runCheck activity's own code), against a real
// Prometheus (1 s scrapes) of a stand-in service whose error rate and latency the test sets: bands,
// a histogram quantile, no data, a bad query, a server that is down, series with max(), a range since
// the last run, and a baseline from before the deploy with a regression injected after it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunCheck } from '../../activities/checks';
import type { CheckRequest, Release } from '../../core/messages';
import { Check, type CheckSpec } from '../../plan/schema';
import { validatePlanText } from '../../plan/validate';
import { startMetricsService, type MetricsService } from '../helpers/metrics-service';
import { until } from '../helpers/poll';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus';
import { startSilentServer } from '../helpers/stand-ins';

const RATIO = 'sum(rate(http_requests_total{code="500"}[4s])) / sum(rate(http_requests_total[4s]))';
const P99 = 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[4s])))';
const BY_CODE = 'sum by (code) (rate(http_requests_total[4s]))';

const runCheck = createRunCheck(process.env);
let svc: MetricsService;
let prom: PrometheusServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rw-prom-kind-'));
  svc = await startMetricsService({ errorRate: 0, latencyMs: 20, rps: 100 });
  prom = await startPrometheus({ targets: [svc.target], dir: join(dir, 'prometheus') });
  await prom.waitForSeries(RATIO, undefined, 60_000);
});

afterAll(async () => {
  await prom?.stop();
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function release(deployedAt = new Date()): Release {
  return { service: 'orders', version: 'v2', deployedAt: deployedAt.toISOString() };
}

function request(probe: Record<string, unknown>, conditions: unknown[], more: Partial<CheckRequest> = {}): CheckRequest {
  const check = Check.parse({
    description: 'metric',
    severity: 'high',
    probe: { kind: 'prometheus', url: '${prometheus}', ...probe },
    conditions,
  });
  return {
    watchId: 'w',
    checkId: 'errors',
    hour: 1,
    check: { ...(check as CheckSpec), metric: '[VALUE]' },
    vars: { prometheus: { default: prom.url } },
    release: release(),
    triggers: [],
    first: true,
    ...more,
  };
}

/** The error ratio Prometheus sees, once it has settled where `accept` says. */
function ratioWhen(accept: (v: number) => boolean, what: string): Promise<unknown> {
  return prom
    .waitForSeries(RATIO, (s) => s.length === 1 && accept(s[0].value), 45_000)
    .catch((err) => {
      throw new Error(`${what}: ${(err as Error).message}`);
    });
}

const BANDS = [{ name: 'error ratio', pass: '[VALUE] < 0.01', warn: '[VALUE] < 0.05' }];

describe('bands on an error ratio', () => {
  it('passes, warns and fails as the service errs more, with the ratio read as a percentage', async () => {
    const req = request({ query: RATIO, unit: 'ratio' }, BANDS);
    await ratioWhen((v) => v === 0, 'no errors');
    const ok = await runCheck(req);
    expect(ok.outcome).toBe('ok');
    expect(ok.metric).toBe(0);
    expect(ok.bands).toEqual({ direction: 'upper', pass: 0.01, warn: 0.05 });
    expect(ok.unit).toBe('ratio');

    svc.set({ errorRate: 0.02 });
    await ratioWhen((v) => Math.abs(v - 0.02) < 0.002, '2 % errors');
    const warn = await runCheck(req);
    expect(warn.outcome).toBe('warn');
    // A rate over a few scrapes moves a little around the 2 % set.
    expect(warn.reason).toMatch(/^error ratio: \[VALUE\] = [1-4](\.\d+)? %$/);

    svc.set({ errorRate: 0.1 });
    await ratioWhen((v) => Math.abs(v - 0.1) < 0.005, '10 % errors');
    const fail = await runCheck(req);
    expect(fail.outcome).toBe('fail');
    expect(fail.severity).toBe('high');
    expect(fail.evidence).toContain(`instant query at ${prom.url}: ${RATIO}`);
    svc.set({ errorRate: 0 });
  });

  it('judges a histogram quantile in seconds and prints it as a latency', async () => {
    const r = await runCheck(request({ query: P99, unit: 'seconds' }, [{ name: 'p99 under 100 ms', pass: '[VALUE] < 0.1' }]));
    expect(r.outcome).toBe('ok');
    expect(r.metric).toBeGreaterThan(0);
    expect(r.metric).toBeLessThan(0.1);
    const slow = await runCheck(request({ query: P99, unit: 'seconds' }, [{ name: 'p99 under 1 ms', pass: '[VALUE] < 0.001' }]));
    expect(slow.outcome).toBe('fail');
    expect(slow.reason).toMatch(/^p99 under 1 ms: \[VALUE\] = [\d.]+ ms$/);
  });

  it('reads every series with its labels, and max() over them', async () => {
    const r = await runCheck(request({ query: BY_CODE }, ["max([SERIES], 'value') < 1000", "count([SERIES], 'labels.code', '200') == 1"]));
    expect(r.outcome).toBe('ok');
    expect(r.evidence).toMatch(/2 series:\n {2}\{code="200"\} [\d.]+\n {2}\{code="500"\} /);
    // No series reaches 1000 requests a second (the service makes 100).
    const low = await runCheck(request({ query: BY_CODE }, ["min([SERIES], 'value') > 1000"]));
    expect(low.outcome).toBe('fail');
    expect(low.reason).toMatch(
      /^min\(\[SERIES\], 'value'\) > 1000: min\(\[SERIES\], "value"\) = \d+(\.\d{1,2})?, \[SERIES\] = \[\{"labels"/,
    );
  });
});

describe('what cannot be judged', () => {
  const NONE = 'http_requests_total{code="418"}';

  it.each([
    ['fail', 'fail'],
    ['warn', 'warn'],
    ['pass', 'ok'],
  ])('no data with noData: %s gives %s, saying so', async (noData, outcome) => {
    const r = await runCheck(request({ query: NONE, noData }, ['[VALUE] < 1']));
    expect(r.outcome).toBe(outcome);
    expect(r.reason).toBe(`no data: the query "${NONE}" returned no series`);
    expect(r.conditions).toEqual([]);
  });

  it('a PromQL syntax error fails the check, naming the query', async () => {
    const r = await runCheck(request({ query: 'sum(rate(' }, ['[VALUE] < 1']));
    expect(r.outcome).toBe('fail');
    expect(r.reason).toMatch(/sum\(rate\(/);
    expect(r.reason).toMatch(/^Prometheus refused the query "sum\(rate\(": .*parse error/);
    expect(r.evidence).toContain('instant query at');
  });

  it('a server that is down fails the check, saying it cannot be reached', async () => {
    const silent = await startSilentServer();
    await silent.stop();
    const r = await runCheck(request({ query: RATIO }, ['[VALUE] < 1'], { vars: { prometheus: { default: silent.url } } }));
    expect(r.outcome).toBe('fail');
    expect(r.reason).toMatch(/^cannot reach Prometheus at http:\/\/127\.0\.0\.1:\d+\/? to run the query/);
  });

  it('a server that does not answer in time fails the check with the timeout', async () => {
    const silent = await startSilentServer();
    try {
      const r = await runCheck(
        request({ query: RATIO, timeout: '1s' }, ['[VALUE] < 1'], { vars: { prometheus: { default: silent.url } } }),
      );
      expect(r.outcome).toBe('fail');
      expect(r.reason).toMatch(/did not answer the query .* within 1s/);
    } finally {
      await silent.stop();
    }
  });
});

describe('a range since the last run', () => {
  it('queries from the previous run to now, and keeps when it ran', async () => {
    const first = await runCheck(request({ query: RATIO, range: 'since-last', aggregate: 'max' }, ['[VALUE] < 0.5']));
    expect(first.outcome).toBe('ok');
    const lastAt = (first.cursor as { lastAt: number }).lastAt;
    expect(lastAt).toBeGreaterThan(Date.now() - 60_000);
    const second = await runCheck(
      request({ query: RATIO, range: 'since-last', aggregate: 'max' }, ['[VALUE] < 0.5'], { cursor: first.cursor, first: false }),
    );
    const range = /range (\S+) → (\S+), step/.exec(second.evidence);
    expect(range).not.toBeNull();
    expect(Date.parse(range![1])).toBeGreaterThanOrEqual(Math.min(lastAt, Date.parse(range![2]) - 1_000));
  });
});

describe('a baseline from before the deploy', () => {
  const COMPARED = [{ name: 'no worse than before', pass: '[VALUE] <= 1.5 * [BASELINE]' }];

  it('compares with the service before the deploy, keeps the baseline, and sees a regression', async () => {
    svc.set({ errorRate: 0.02 });
    await ratioWhen((v) => Math.abs(v - 0.02) < 0.002, '2 % errors before the deploy');
    // Ten seconds of 2 % errors, then the deploy.
    const steadySince = Date.now();
    await until(async () => (Date.now() - steadySince >= 10_000 ? true : undefined), 'ten seconds of history', 20_000, 500);
    const deployedAt = new Date();
    const probe = { query: RATIO, unit: 'ratio', baseline: { window: '8s' } };
    const before = await runCheck(request(probe, COMPARED, { release: release(deployedAt) }));
    expect(before.outcome).toBe('ok');
    expect(before.baseline?.value).toBeCloseTo(0.02, 2);
    expect(before.baseline?.text).toMatch(/^[12](\.\d+)? %$/);
    expect(before.baseline?.window).toBe('8s');
    expect(before.bands?.pass).toBeCloseTo(1.5 * before.baseline!.value, 6);
    expect((before.cursor as { baseline: { value: number } }).baseline.value).toBe(before.baseline!.value);

    // The regression: 10 % errors after the deploy.
    svc.set({ errorRate: 0.1 });
    await ratioWhen((v) => Math.abs(v - 0.1) < 0.005, '10 % errors after the deploy');
    const after = await runCheck(request(probe, COMPARED, { release: release(deployedAt), cursor: before.cursor, first: false }));
    expect(after.outcome).toBe('fail');
    expect(after.baseline).toEqual(before.baseline);
    expect(after.reason).toMatch(/^no worse than before: \[VALUE\] = [\d.]+ %, \[BASELINE\] = [12](\.\d+)? %$/);
    svc.set({ errorRate: 0 });
  });

  it.each([
    ['warn', 'warn'],
    ['fail', 'fail'],
    ['pass', 'ok'],
  ])('a baseline that cannot be had (no data before the deploy), unavailable: %s, gives %s', async (unavailable, outcome) => {
    const probe = { query: RATIO, baseline: { window: '1h', unavailable } };
    const r = await runCheck(request(probe, COMPARED, { release: release(new Date('2001-01-01T00:00:00Z')) }));
    expect(r.outcome).toBe(outcome);
    expect(r.reason).toBe('no baseline: the query returned no data in the 1h before the deploy');
    expect((r.cursor as { baseline?: unknown }).baseline).toBeUndefined();
  });

  it('a plan that reads [BASELINE] without a baseline window is refused', () => {
    const text = [
      'service: orders',
      'people: { ann: { name: Ann } }',
      'vars: { prometheus: { default: "http://127.0.0.1:9090" } }',
      'checks:',
      '  errors:',
      '    probe: { kind: prometheus, url: "${prometheus}", query: "up" }',
      '    conditions: ["[VALUE] <= 1.2 * [BASELINE]"]',
      'tiers: { pulse: { every: 1h, checks: [errors] } }',
    ].join('\n');
    const result = validatePlanText(text, 'orders.yaml');
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).toContain('[BASELINE] needs probe.baseline');
  });
});
