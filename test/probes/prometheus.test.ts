// The prometheus probe's query client and result reading against a real Prometheus (1 s scrapes) that
// scrapes a stand-in service whose error rate and latency the test sets, and the simulator.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryPrometheus, type PromAnswer, type PromQuery } from '../../probes/prometheus/query';
import { aggregateRange, baselineRange, formatNumber, formatSeconds, promValues, type PromValues } from '../../probes/prometheus/result';
import type { Simulator } from '../../sim/server';
import { startMetricsService, type MetricsService } from '../helpers/metrics-service';
import { until } from '../helpers/poll';
import { promtoolBinary, startPrometheus, type PrometheusServer } from '../helpers/prometheus';
import { proxyTo, selfSignedCertificate, startSilentServer, startStandIn, type Certificate } from '../helpers/stand-ins';
import { post, startTestSim, stopTestSim } from '../sim/helpers';

const ERROR_RATIO = 'sum(rate(http_requests_total{code=~"5.."}[30s])) / sum(rate(http_requests_total[30s]))';
const P99 = 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[30s])))';
const REQUEST_RATE = 'sum(rate(http_requests_total[5s]))';

/** The bands a plan would write as conditions: below 1 % passes, below 5 % warns, else fails. */
const errorBand = (ratio: number) => (ratio < 0.01 ? 'pass' : ratio < 0.05 ? 'warn' : 'fail');

let svc: MetricsService;
let sim: Simulator;
let prom: PrometheusServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rw-prom-test-'));
  svc = await startMetricsService({ errorRate: 0, latencyMs: 20, rps: 50 });
  sim = await startTestSim();
  prom = await startPrometheus({ targets: [svc.target, new URL(sim.url).host], dir: join(dir, 'prometheus') });
  // Two scrapes of the stand-in: rates exist from here on.
  await prom.waitForSeries(ERROR_RATIO, undefined, 60_000);
});

afterAll(async () => {
  await prom?.stop();
  await svc?.stop();
  await stopTestSim(sim);
  rmSync(dir, { recursive: true, force: true });
});

function ask(query: string, more: Partial<PromQuery> = {}, env?: NodeJS.ProcessEnv): Promise<PromAnswer> {
  return queryPrometheus({ url: prom.url, query, mode: 'instant', timeoutMs: 5_000, ...more }, env);
}

async function valuesOf(query: string, more: Partial<PromQuery> = {}): Promise<PromValues> {
  const answer = await ask(query, more);
  if (!answer.ok) throw new Error(answer.reason);
  const values = promValues(answer);
  if ('error' in values) throw new Error(values.error);
  return values;
}

/** Polls the one value of a query until `accept` takes it. */
function valueWhen(query: string, accept: (v: number) => boolean, what: string): Promise<number> {
  return until(
    async () => {
      const v = (await valuesOf(query)).VALUE;
      return v !== undefined && accept(v) ? v : undefined;
    },
    what,
    45_000,
    250,
  );
}

describe('error ratio against a real Prometheus', () => {
  it('passes while the service answers without errors', async () => {
    const v = await valuesOf(ERROR_RATIO);
    expect(v).toEqual({ VALUE: 0, SERIES: [{ labels: {}, value: 0 }], noData: false });
    expect(errorBand(v.VALUE!)).toBe('pass');
  });

  it('warns when 3 % of requests fail', async () => {
    svc.set({ errorRate: 0.03 });
    const ratio = await valueWhen(ERROR_RATIO, (v) => v >= 0.01, 'the error ratio to reach 1 %');
    expect(errorBand(ratio)).toBe('warn');
  });

  it('fails when 20 % of requests fail', async () => {
    svc.set({ errorRate: 0.2 });
    const ratio = await valueWhen(ERROR_RATIO, (v) => v >= 0.05, 'the error ratio to reach 5 %');
    expect(errorBand(ratio)).toBe('fail');
    expect(ratio).toBeLessThanOrEqual(0.2 + 1e-9);
    expect(formatNumber(ratio)).toMatch(/^0\.\d{1,4}$/);
  });
});

describe('queries', () => {
  it('reads a range over a window: one series, a sample a step, at the rate the service runs', async () => {
    // 15 s of scrapes: every 5 s rate in the last 10 s has a full window.
    await prom.waitForSeries(`count_over_time(up{instance="${svc.target}"}[15s]) >= 15`, undefined, 30_000);
    const end = new Date();
    const start = new Date(end.getTime() - 10_000);
    const v = await valuesOf(REQUEST_RATE, { mode: 'range', range: { start, end, stepSeconds: 1 } });
    expect(v.noData).toBe(false);
    expect(v.SERIES).toHaveLength(1);
    const samples = v.SERIES[0].values!;
    expect(samples.length).toBeGreaterThanOrEqual(8);
    for (const [t] of samples) {
      expect(t * 1000).toBeGreaterThanOrEqual(start.getTime() - 1);
      expect(t * 1000).toBeLessThanOrEqual(end.getTime() + 1);
    }
    // The stand-in makes 50 requests a second.
    const avg = aggregateRange(v.SERIES[0], 'avg');
    expect(avg).toBeGreaterThan(45);
    expect(avg).toBeLessThan(55);
    expect(v.VALUE).toBe(samples[samples.length - 1][1]);
  });

  it('gives no data for a metric that does not exist', async () => {
    const answer = await ask('sum(rate(no_such_metric_total[30s]))');
    expect(answer).toMatchObject({ ok: true, resultType: 'vector', result: [] });
    expect(promValues(answer as { resultType: string; result: unknown })).toEqual({ SERIES: [], noData: true });
  });

  it('says a syntax error is a bad query, quoting the query and the parser', async () => {
    const answer = await ask('sum(rate(http_requests_total[30s])');
    expect(answer).toMatchObject({ ok: false, kind: 'bad-query' });
    expect((answer as { reason: string }).reason).toMatch(
      /^Prometheus refused the query "sum\(rate\(http_requests_total\[30s\]\)": invalid parameter "query": 1:\d+: parse error: unclosed left parenthesis$/,
    );
  });

  it('says a query Prometheus cannot evaluate is a bad query', async () => {
    // Two series on each side (code 200 and 500) with nothing to match them by.
    const answer = await ask('http_requests_total / on() http_requests_total');
    expect(answer).toMatchObject({ ok: false, kind: 'bad-query' });
    expect((answer as { reason: string }).reason).toMatch(
      /^Prometheus could not evaluate the query "http_requests_total \/ on\(\) http_requests_total": .*duplicate series/,
    );
  });

  it('sends long queries in the body', async () => {
    const codes = Array.from({ length: 4_000 }, (_, i) => String(600 + i)).join('|');
    const query = `sum(rate(http_requests_total{code=~"200|${codes}"}[30s]))`;
    expect(query.length).toBeGreaterThan(16_000);
    const v = await valuesOf(query);
    expect(v.VALUE).toBeGreaterThan(0);
  });

  it('bounds the answer it reads', async () => {
    const end = new Date();
    const answer = await ask('http_requests_total', {
      mode: 'range',
      range: { start: new Date(end.getTime() - 10_000), end, stepSeconds: 1 },
      maxBytes: 256,
    });
    expect(answer).toMatchObject({ ok: false, kind: 'bad-answer' });
    expect((answer as { reason: string }).reason).toBe(
      `Prometheus at ${prom.url} answered the query "http_requests_total" with more than 256 bytes; narrow the query (aggregate with sum by, or a shorter range or larger step)`,
    );
  });

  it("exports /metrics pages that promtool's linter passes (the stand-in's and the simulator's)", async () => {
    for (const url of [svc.url, sim.url]) {
      const page = await (await fetch(`${url}/metrics`)).text();
      expect(page).toMatch(/^# HELP /);
      // Exits non-zero, printing the problems, on a page that breaks the format or its conventions.
      expect(execFileSync(promtoolBinary(), ['check', 'metrics'], { input: page, encoding: 'utf8' })).toBe('');
    }
  });

  it('scrapes the simulator: its /metrics is valid exposition format', async () => {
    await post(sim, '/route/decide', { task: 'code', loa: 1 });
    const up = await prom.waitForSeries(`up{instance="${new URL(sim.url).host}"}`);
    expect(up.map((s) => s.value)).toEqual([1]);
    const decisions = await prom.waitForSeries('symphony_route_decisions_total{decision="allowed"}', ([s]) => s.value >= 1);
    expect(decisions[0].labels).toMatchObject({ job: 'stand-in', decision: 'allowed' });
  });
});

describe('latency against a baseline from before the deploy', () => {
  it('reads the p99 of a histogram, and finds a regression injected at the deploy', async () => {
    const before = await valuesOf(P99);
    // Every request takes 20 ms: the p99 is interpolated inside the (0.01, 0.025] bucket.
    expect(before.VALUE).toBeGreaterThan(0.01);
    expect(before.VALUE).toBeLessThanOrEqual(0.025);
    expect(formatSeconds(before.VALUE!)).toMatch(/^\d+(\.\d)? ms$/);

    const deployedAt = new Date();
    svc.set({ latencyMs: 300 });
    const after = await valueWhen(P99, (v) => v > 0.25, 'the p99 to pass 250 ms');
    expect(after).toBeLessThanOrEqual(0.5);

    const window = baselineRange(deployedAt, 10_000, 1);
    const baseline = await valuesOf(P99, { mode: 'range', range: window });
    expect(baseline.SERIES).toHaveLength(1);
    const baselineP99 = aggregateRange(baseline.SERIES[0], 'max');
    expect(baselineP99).toBeLessThanOrEqual(0.025);
    expect(after / baselineP99).toBeGreaterThan(10);

    // The request rate did not change at the deploy: no regression there.
    const rateBefore = aggregateRange((await valuesOf(REQUEST_RATE, { mode: 'range', range: window })).SERIES[0], 'avg');
    const rateAfter = (await valuesOf(REQUEST_RATE)).VALUE!;
    expect(rateAfter / rateBefore).toBeGreaterThan(0.8);
    expect(rateAfter / rateBefore).toBeLessThan(1.25);
  });
});

describe('behind TLS and credentials', () => {
  let cert: Certificate;
  let proxy: { url: string; stop(): Promise<void> };
  const env = { PROM_TOKEN: 'bearer-secret', PROM_USER: 'watch', PROM_PASSWORD: 'basic-secret', WRONG_TOKEN: 'nope' };

  beforeAll(async () => {
    cert = selfSignedCertificate(dir);
    const basic = `Basic ${Buffer.from('watch:basic-secret').toString('base64')}`;
    const allowed = (auth?: string) => auth === 'Bearer bearer-secret' || auth === basic;
    proxy = await startStandIn(
      proxyTo(prom.url, (req) => allowed(req.headers.authorization)),
      cert,
    );
  });
  afterAll(() => proxy?.stop());

  const viaProxy = (more: Partial<PromQuery>) => ask('up{job="stand-in"}', { url: proxy.url, ...more }, env);

  it('answers through HTTPS with the CA file and a bearer token from the environment', async () => {
    const answer = await viaProxy({ tls: { caFile: cert.certFile }, auth: { bearerTokenEnv: 'PROM_TOKEN' } });
    expect(answer).toMatchObject({ ok: true, resultType: 'vector' });
    expect((promValues(answer as { resultType: string; result: unknown }) as PromValues).SERIES).toHaveLength(2);
  });

  it('answers with basic auth, and with verification skipped', async () => {
    expect(
      await viaProxy({ tls: { caFile: cert.certFile }, auth: { basicUserEnv: 'PROM_USER', basicPasswordEnv: 'PROM_PASSWORD' } }),
    ).toMatchObject({ ok: true });
    expect(await viaProxy({ tls: { insecureSkipVerify: true }, auth: { bearerTokenEnv: 'PROM_TOKEN' } })).toMatchObject({ ok: true });
  });

  it('does not trust a certificate it has no CA for', async () => {
    const answer = await viaProxy({ auth: { bearerTokenEnv: 'PROM_TOKEN' } });
    expect(answer).toMatchObject({ ok: false, kind: 'unreachable' });
    expect((answer as { reason: string }).reason).toBe(
      `cannot reach Prometheus at ${proxy.url} to run the query "up{job=\\"stand-in\\"}": its TLS certificate is not trusted (self-signed certificate); give tls.caFile with the CA that signed it`,
    );
  });

  it('says when credentials are missing or refused', async () => {
    const tls = { caFile: cert.certFile };
    expect(await viaProxy({ tls })).toMatchObject({
      ok: false,
      kind: 'auth',
      reason: `Prometheus at ${proxy.url} wants credentials (none were configured): HTTP 401 for the query "up{job=\\"stand-in\\"}"`,
    });
    expect(await viaProxy({ tls, auth: { bearerTokenEnv: 'WRONG_TOKEN' } })).toMatchObject({
      ok: false,
      kind: 'auth',
      reason: expect.stringContaining('refused the credentials: HTTP 401'),
    });
  });

  it('names what is not configured: an unset variable, a missing CA file, half of basic auth', async () => {
    expect(await viaProxy({ tls: { caFile: cert.certFile }, auth: { bearerTokenEnv: 'UNSET_TOKEN' } })).toMatchObject({
      ok: false,
      kind: 'unconfigured',
      reason: 'cannot run the query "up{job=\\"stand-in\\"}": environment variable UNSET_TOKEN (the bearer token) is not set',
    });
    expect(await viaProxy({ tls: { caFile: join(dir, 'missing.pem') } })).toMatchObject({
      ok: false,
      kind: 'unconfigured',
      reason: `cannot run the query "up{job=\\"stand-in\\"}": cannot read the CA file ${join(dir, 'missing.pem')} (ENOENT)`,
    });
    expect(await viaProxy({ auth: { basicUserEnv: 'PROM_USER' } })).toMatchObject({
      kind: 'unconfigured',
      reason: expect.stringContaining('basic auth needs both basicUserEnv and basicPasswordEnv'),
    });
    expect(await ask('up', { auth: { bearerTokenEnv: 'BAD_TOKEN' } }, { BAD_TOKEN: 'line\nbreak' })).toMatchObject({
      kind: 'unconfigured',
      reason: 'cannot run the query "up": a header (the credentials?) has characters HTTP does not allow',
    });
    expect(await ask('up', { maxBytes: 0 })).toMatchObject({
      kind: 'unconfigured',
      reason: 'cannot run the query "up": maxBytes must be a positive whole number (got 0)',
    });
    expect(await ask('up', { url: 'prometheus:9090' })).toMatchObject({
      kind: 'unconfigured',
      reason: 'cannot run the query "up": the Prometheus URL prometheus:9090 must start with http:// or https://',
    });
  });
});

describe('answers that are not Prometheus', () => {
  it('tells a proxy error page, garbage and a warning apart', async () => {
    let reply: { status: number; body: string } = { status: 200, body: '' };
    const standIn = await startStandIn((_req, res) => res.writeHead(reply.status, { 'content-type': 'text/html' }).end(reply.body));
    try {
      const at = (more: Partial<PromQuery> = {}) => ask('up', { url: `${standIn.url}/prometheus`, ...more });
      reply = { status: 502, body: '<html><body>Bad Gateway</body></html>' };
      expect(await at()).toMatchObject({
        kind: 'http',
        reason: `Prometheus at ${standIn.url}/prometheus answered HTTP 502 to the query "up" (not Prometheus' JSON: <html><body>Bad Gateway</body></html>)`,
      });
      reply = { status: 200, body: 'OK' };
      expect(await at()).toMatchObject({
        kind: 'bad-answer',
        reason: `Prometheus at ${standIn.url}/prometheus answered the query "up" with not Prometheus' JSON: OK`,
      });
      reply = { status: 200, body: '{"status":"success","data":{"resultType":"vector","result":[]},"warnings":["results truncated"]}' };
      expect(await at()).toMatchObject({ ok: true, result: [], warnings: ['results truncated'] });
      reply = { status: 200, body: '{"status":"success","data":{}}' };
      expect(await at()).toMatchObject({ kind: 'bad-answer', reason: expect.stringContaining('success but no result of a known type') });
      reply = { status: 503, body: '{"status":"error","errorType":"timeout","error":"query timed out in query execution"}' };
      expect(await at()).toMatchObject({
        kind: 'timeout',
        reason: 'Prometheus gave up evaluating the query "up" (timeout): query timed out in query execution',
      });
    } finally {
      await standIn.stop();
    }
  });
});

describe('kept-alive connections', () => {
  it('sends a query again on a fresh connection when the kept-alive one was closed', async () => {
    // Answers the first request on each connection; drops a connection on its second (as a server that
    // closed it while idle would look to the client). A query only reads, so sending it twice is safe.
    const perSocket = new WeakMap<object, number>();
    let dropped = 0;
    const standIn = await startStandIn((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n > 1) {
        dropped++;
        req.socket.destroy();
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"status":"success","data":{"resultType":"scalar","result":[1,"7"]}}');
    });
    try {
      expect(await ask('vector(7)', { url: standIn.url })).toMatchObject({ ok: true, result: [1, '7'] });
      expect(await ask('vector(7)', { url: standIn.url })).toMatchObject({ ok: true, result: [1, '7'] });
      expect(dropped).toBe(1);
    } finally {
      await standIn.stop();
    }
  });
});

describe('a server that does not answer', () => {
  it('times out, saying after how long and on which query', async () => {
    const silent = await startSilentServer();
    try {
      const answer = await ask(ERROR_RATIO, { url: silent.url, timeoutMs: 300 });
      expect(answer).toMatchObject({
        ok: false,
        kind: 'timeout',
        reason: `Prometheus at ${silent.url} did not answer the query "${ERROR_RATIO.replace(/"/g, '\\"')}" within 300ms`,
      });
      expect(answer.durationMs).toBeGreaterThanOrEqual(299);
      expect(silent.accepted()).toBe(1);
    } finally {
      await silent.stop();
    }
  });

  it('stops at cancellation with its reason, not an answer', async () => {
    const silent = await startSilentServer();
    try {
      const cancel = new AbortController();
      const asked = ask('up', { url: silent.url, timeoutMs: 30_000, signal: cancel.signal });
      await until(() => silent.accepted() === 1, 'the query to connect', 5_000, 10);
      cancel.abort(new Error('activity cancelled'));
      await expect(asked).rejects.toThrow('activity cancelled');
    } finally {
      await silent.stop();
    }
  });

  it('says the server is unreachable once Prometheus is stopped', async () => {
    await prom.stop();
    const answer = await ask(ERROR_RATIO, { timeoutMs: 2_000 });
    expect(answer).toMatchObject({ ok: false, kind: 'unreachable' });
    expect((answer as { reason: string }).reason).toBe(
      `cannot reach Prometheus at ${prom.url} to run the query "${ERROR_RATIO.replace(/"/g, '\\"')}": connection refused (is it running?) (connect ECONNREFUSED ${prom.url.slice('http://'.length)})`,
    );
  });
});
