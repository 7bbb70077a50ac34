// The shipped metrics example end to end on the dev server: a real Prometheus scrapes a stand-in service
// whose error rate the test sets; the watch takes its baseline from before the deploy, keeps it in its
// state (status shows it), pages when errors rise after the deploy, and the report charts the metric
// beside its thresholds and the baseline.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { startWatch, watchStatusOf } from '../../client/watches';
import type { WatchStatus } from '../../core/status';
import type { Plan } from '../../plan/schema';
import { loadPlan } from '../../plan/validate';
import { renderHtml } from '../../report/html';
import { startMetricsService, type MetricsService } from '../helpers/metrics-service';
import { PLANS } from '../helpers/plans';
import { until } from '../helpers/poll';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus';
import { devServerEnv, workflowBundle } from '../helpers/servers';

let env: TestWorkflowEnvironment;
let svc: MetricsService;
let prom: PrometheusServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rw-metrics-e2e-'));
  svc = await startMetricsService({ errorRate: 0.005, latencyMs: 20, rps: 200 });
  prom = await startPrometheus({ targets: [svc.target], dir: join(dir, 'prometheus') });
  env = await devServerEnv();
});

afterAll(async () => {
  await env?.teardown();
  await prom?.stop();
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The example on a 2 s watch hour, 8 hours long; rate windows and the baseline window shrunk to fit. */
function compressed(): Plan {
  const plan = loadPlan(join(PLANS, 'examples', 'metrics-api.yaml'));
  const checks = Object.fromEntries(
    Object.entries(plan.checks).map(([id, c]) => {
      const probe = { ...(c.probe as Extract<typeof c.probe, { kind: 'prometheus' }>) };
      probe.query = probe.query.replace(/\[5m\]/g, '[3s]');
      if (probe.baseline) probe.baseline = { ...probe.baseline, window: '8s' };
      return [id, { ...c, probe }];
    }),
  );
  return {
    ...plan,
    clock: { hour: '2000ms', duration: '8h' },
    rotation: { ...plan.rotation, windows: plan.rotation.windows.map((w) => ({ ...w, from: '0h', to: '8h' })) },
    checks,
    tiers: { hourly: { ...plan.tiers.hourly, to: '8h' }, end: { ...plan.tiers.end, at: ['8h'] } },
    checkpoints: plan.checkpoints.map((c) => ({ ...c, at: '8h', deadline: '2h' })),
  };
}

const ratio = 'sum(rate(http_requests_total{code="500"}[3s])) / sum(rate(http_requests_total[3s]))';

test('a baseline from before the deploy, a regression after it paged, and the metric charted', async () => {
  // Ten seconds of 0.5 % errors (one a second) before the deploy.
  await prom.waitForSeries(ratio, (s) => s[0].value > 0.002 && s[0].value < 0.008, 60_000);
  const since = Date.now();
  await until(async () => Date.now() - since >= 10_000, 'ten seconds of history', 20_000, 500);

  const taskQueue = `metrics-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ env: { ...process.env, PROMETHEUS_URL: prom.url, CHECKOUT_JOB: 'stand-in' } }),
  });
  await worker.runUntil(async () => {
    const { workflowId: id } = await startWatch(env.client, {
      plan: compressed(),
      release: { service: 'checkout', version: `v3.${randomUUID().slice(0, 6)}`, deployedAt: new Date().toISOString() },
      startedBy: 'test',
      taskQueue,
    });
    const waitFor = (what: string, ready: (s: WatchStatus) => boolean) =>
      until(
        async () => {
          const s = await watchStatusOf(env.client, id, 100);
          return ready(s) && s;
        },
        what,
        90_000,
        200,
      );

    const first = await waitFor('the first run', (s) => (s.checks.errors?.runs ?? 0) >= 1);
    expect(first.checks.errors.last?.outcome).toBe('ok');
    const baseline = first.checks.errors.baseline!;
    expect(baseline.value).toBeGreaterThan(0.002);
    expect(baseline.value).toBeLessThan(0.009);
    expect(baseline).toEqual({ value: baseline.value, text: expect.stringMatching(/^0\.\d+ %$/), window: '8s' });

    // The regression: 10 % errors after the deploy pages, and the baseline stays what it was.
    svc.set({ errorRate: 0.1 });
    const paged = await waitFor('an incident for the errors check', (s) => s.incidents.some((i) => i.check === 'errors'));
    expect(paged.checks.errors.baseline).toEqual(baseline);
    const incident = paged.incidents.find((i) => i.check === 'errors')!;
    expect(incident.reason).toMatch(/\[VALUE\] = \d+(\.\d+)? %/);

    // The report charts both metrics; the errors chart has its bands and the baseline.
    const html = renderHtml(paged, { kind: 'on-demand', hour: paged.hour });
    expect(html).toMatch(/data-chart="metric" data-check="errors"/);
    expect(html).toMatch(/data-chart="metric" data-check="latency"/);
    expect(html).toContain(`class="threshold threshold-baseline" data-value="${baseline.value}"`);
    expect(html).toContain('class="threshold threshold-pass" data-value="0.01"');
    expect(html).toContain(`baseline ${baseline.text}`);
    svc.set({ errorRate: 0.005 });
  });
}, 180_000);
