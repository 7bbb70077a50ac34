// Do a tier's Prometheus checks really run side by side? Ten checks (instant, range, subqueries)
// against a real Prometheus scraping the stand-in service, all at once as the watch runs a tier: each
// round runs every check alone, then the ten as one tier run (the runTier activity's code), and sets the tier's wall time against its
// slowest query alone in that round. Once straight to the local Prometheus, once through a stand-in
// that holds each query 20-200 ms as a remote one would (there, queries one after another would miss
// the target by far, so meeting it shows they overlap).
// Run: npx tsx bench/prometheus.ts   (prints JSON, writes bench/results-prometheus.json; not part of the tests)
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RequestListener } from 'node:http';
import { createRunCheck } from '../activities/checks';
import { createRunTier } from '../activities/tiers';
import type { CheckResult, TierCheck, TierRequest } from '../core/messages';
import { PrometheusProbe } from '../probes/prometheus';
import type { PromQuery } from '../probes/prometheus/query';
import { startMetricsService } from '../test/helpers/metrics-service';
import { startPrometheus } from '../test/helpers/prometheus';
import { proxyTo, startStandIn } from '../test/helpers/stand-ins';

const ROUNDS = 10;
/** Scrapes kept before measuring, so the windows and subqueries below are full. */
const HISTORY_S = 70;
const TARGET = (slowestMs: number) => 1.1 * slowestMs + 50;

const ERROR_RATIO = 'sum(rate(http_requests_total{code=~"5.."}[30s])) / sum(rate(http_requests_total[30s]))';
const quantile = (q: number, window = '30s') =>
  `histogram_quantile(${q}, sum by (le) (rate(http_request_duration_seconds_bucket[${window}])))`;

type Shape = Pick<PromQuery, 'query' | 'mode'> & { rangeS?: number };
const TIER: Array<Shape & { name: string }> = [
  { name: 'error ratio', query: ERROR_RATIO, mode: 'instant' },
  { name: 'p99', query: quantile(0.99), mode: 'instant' },
  { name: 'p50', query: quantile(0.5), mode: 'instant' },
  { name: 'requests by code', query: 'sum by (code) (rate(http_requests_total[30s]))', mode: 'instant' },
  { name: 'up', query: 'up', mode: 'instant' },
  { name: 'error ratio, 1 min range', query: ERROR_RATIO, mode: 'range', rangeS: 60 },
  { name: 'p99, 1 min range', query: quantile(0.99), mode: 'range', rangeS: 60 },
  { name: 'p99 subquery, 1 min at 50 ms', query: `max_over_time(${quantile(0.99, '5s')}[1m:50ms])`, mode: 'instant' },
  {
    name: 'error ratio subquery, 1 min at 20 ms',
    query: `avg_over_time((${ERROR_RATIO.replace(/30s/g, '5s')})[1m:20ms])`,
    mode: 'instant',
  },
  { name: 'rate subquery, 1 min at 10 ms', query: 'max_over_time(sum(rate(http_requests_total[5s]))[1m:10ms])', mode: 'instant' },
];

/** How long the stand-in for a remote Prometheus holds each query of the tier (ms), as network and a busier server would. */
const REMOTE_DELAYS_MS = [20, 40, 60, 80, 100, 120, 140, 160, 180, 200];

interface Row {
  round: number;
  wallMs: number;
  /** The slowest query of the tier run alone, just before (the same round). */
  slowestAloneMs: number;
  /** The tier run one query after another. */
  sumAloneMs: number;
  /** The slowest query's own duration inside the tier. */
  slowestInTierMs: number;
  ratio: number;
  targetMs: number;
  ok: boolean;
}

async function main(): Promise<void> {
  const svc = await startMetricsService({ errorRate: 0.02, latencyMs: 40, rps: 100 });
  const prom = await startPrometheus({ targets: [svc.target] });
  const remote = await startStandIn(delayedProxyTo(prom.url));
  try {
    process.stderr.write(`bench: waiting for ${HISTORY_S} s of scrapes\n`);
    await prom.waitForSeries(`count_over_time(up[${HISTORY_S}s]) >= ${HISTORY_S - 1}`, undefined, (HISTORY_S + 30) * 1000);
    const direct = await benchTier(TIER.map(() => prom.url));
    const delayed = await benchTier(REMOTE_DELAYS_MS.map((ms) => `${remote.url}/delay/${ms}`));
    const summary = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      prometheus: '2.42 (Debian package), 1 s scrapes of the stand-in service (100 requests/s)',
      queries: TIER.map((t) => t.name),
      target: 'wall of the tier run (10 prometheus checks at once) ≤ 1.1 × its slowest check run alone in the same round + 50 ms',
      direct: { note: 'straight to the local Prometheus: the queries compete for the 2 cores', ...summarise(direct) },
      remote: {
        note: `through a stand-in that holds query i for ${REMOTE_DELAYS_MS.join(', ')} ms before forwarding it, as a remote Prometheus would`,
        ...summarise(delayed),
      },
    };
    const text = JSON.stringify(summary, null, 2);
    console.log(text);
    writeFileSync(join(__dirname, 'results-prometheus.json'), text + '\n');
  } finally {
    await remote.stop();
    await prom.stop();
    await svc.stop();
  }
}

/**
 * Rounds of: each check alone (the runCheck activity's code), one after another; then all ten as one
 * tier run (the runTier activity's code: the probe kind, the judging, the bounding per check).
 */
async function benchTier(urls: string[]): Promise<Row[]> {
  const runCheck = createRunCheck(process.env);
  const runTier = createRunTier(runCheck);
  const release = { service: 'bench', version: 'v1', deployedAt: new Date().toISOString() };
  const checks: TierCheck[] = TIER.map((shape, i) => ({
    checkId: `q${i}`,
    check: {
      probe: PrometheusProbe.parse({
        kind: 'prometheus',
        url: urls[i],
        query: shape.query,
        ...(shape.rangeS ? { range: `${shape.rangeS}s`, step: '1s' } : {}),
      }),
      conditions: ['len([SERIES]) >= 0'],
      severity: 'high',
    },
    triggers: [],
    first: true,
  }));
  const request = (only: TierCheck[]): TierRequest => ({ watchId: 'bench', hour: 1, tiers: ['metrics'], vars: {}, release, checks: only });
  const durations = (results: CheckResult[]) => {
    const failed = results.flatMap((r, i) => (r.outcome === 'ok' ? [] : [`${TIER[i].name}: ${r.reason}`]));
    if (failed.length) throw new Error(failed.join('; '));
    return results.map((r) => r.durationMs);
  };
  // Warm-up: connections, JIT, Prometheus' caches.
  durations((await runTier(request(checks))).results);

  const rows: Row[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const alone: number[] = [];
    for (const c of checks) {
      const t = performance.now();
      durations((await runTier(request([c]))).results);
      alone.push(performance.now() - t);
    }
    const t0 = performance.now();
    const inTier = durations((await runTier(request(checks))).results);
    const wallMs = performance.now() - t0;
    const slowestAloneMs = Math.max(...alone);
    rows.push({
      round,
      wallMs: r1(wallMs),
      slowestAloneMs: r1(slowestAloneMs),
      sumAloneMs: r1(alone.reduce((a, b) => a + b, 0)),
      slowestInTierMs: r1(Math.max(...inTier)),
      ratio: r3(wallMs / slowestAloneMs),
      targetMs: r1(TARGET(slowestAloneMs)),
      ok: wallMs <= TARGET(slowestAloneMs),
    });
  }
  return rows;
}

function summarise(rows: Row[]) {
  return {
    wallMedianMs: median(rows.map((r) => r.wallMs)),
    slowestAloneMedianMs: median(rows.map((r) => r.slowestAloneMs)),
    sumAloneMedianMs: median(rows.map((r) => r.sumAloneMs)),
    ratioMedian: median(rows.map((r) => r.ratio)),
    ratioMax: Math.max(...rows.map((r) => r.ratio)),
    overheadMaxMs: r1(Math.max(...rows.map((r) => r.wallMs - r.slowestAloneMs))),
    allWithinTarget: rows.every((r) => r.ok),
    rounds: rows,
  };
}

/** Forwards /delay/<ms>/api/... to Prometheus after <ms>. */
function delayedProxyTo(target: string): RequestListener {
  const forward = proxyTo(target, () => true);
  return (req, res) => {
    const m = /^\/delay\/(\d+)(\/.*)$/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    req.url = m[2];
    setTimeout(() => forward(req, res), Number(m[1]));
  };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const r1 = (n: number) => Math.round(n * 10) / 10;
const r3 = (n: number) => Math.round(n * 1000) / 1000;

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
