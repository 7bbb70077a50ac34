// The shipped example plans, each run end to end on the dev server against a small stand-in service that
// is not the Symphony simulator: an HTTP API with a JSON-lines log (severities sev1/sev2, two shifts,
// checkpoints at 6 h and 24 h), and a queue worker checked by a command and a text log. Clocks are
// compressed and checkpoints moved in; everything else is the plan as shipped.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { acknowledge, decide, Refused, resolveIncident, startWatch, watchStatusOf } from '../../client/watches';
import type { WatchStatus } from '../../core/status';
import type { Plan } from '../../plan/schema';
import { loadPlan } from '../../plan/validate';
import { billingQueue } from '../helpers/billing-queue';
import { startOrdersApi } from '../helpers/orders-api';
import { PLANS } from '../helpers/plans';
import { until } from '../helpers/poll';
import { devServerEnv, workflowBundle } from '../helpers/servers';

let env: TestWorkflowEnvironment;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rw-examples-'));
  env = await devServerEnv();
});

afterAll(async () => {
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

/** The plan on a fast clock, `hours` long, its checkpoints moved to the given hours. */
function compressed(file: string, hourMs: number, hours: number, checkpointHours: Record<string, number>): Plan {
  const plan = loadPlan(join(PLANS, 'examples', file));
  const tiers = Object.fromEntries(
    Object.entries(plan.tiers).map(([n, t]) => [n, t.at ? { ...t, at: [`${hours}h`] } : { ...t, to: `${hours}h` }]),
  );
  return {
    ...plan,
    clock: { hour: `${hourMs}ms`, duration: `${hours}h` },
    rotation: {
      ...plan.rotation,
      windows: plan.rotation.windows.map((w, i, all) => ({
        ...w,
        from: `${(hours / all.length) * i}h`,
        to: `${(hours / all.length) * (i + 1)}h`,
      })),
    },
    tiers,
    checkpoints: plan.checkpoints.map((c) => ({ ...c, at: `${checkpointHours[c.name]}h`, deadline: '2h' })),
  };
}

async function withWorker<T>(workerEnv: Record<string, string>, body: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `examples-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ env: { ...process.env, ...workerEnv } }),
  });
  return worker.runUntil(body(taskQueue));
}

const status = (id: string) => watchStatusOf(env.client, id, 100);
const waitFor = (id: string, what: string, ready: (s: WatchStatus) => boolean, timeoutMs = 90_000) =>
  until(
    async () => {
      const s = await status(id);
      return ready(s) && s;
    },
    what,
    timeoutMs,
    150,
  );

test('an HTTP API with a JSON-lines log: its own severities, shifts and checkpoints, errors matched on log fields', async () => {
  const api = await startOrdersApi(join(dir, 'orders-api'));
  const out = join(dir, 'orders-out');
  const plan = compressed('http-api.yaml', 1500, 8, { '6h': 3, '24h': 8 });
  try {
    await withWorker(
      {
        ORDERS_API_URL: api.url,
        ORDERS_API_LOG: api.logFile,
        ORDERS_API_NOTIFICATIONS: join(out, 'notifications'),
        ORDERS_API_REPORTS: join(out, 'reports'),
      },
      async (taskQueue) => {
        const { workflowId: id } = await startWatch(env.client, {
          plan,
          release: { service: 'orders-api', version: `v2.${randomUUID().slice(0, 6)}`, deployedAt: new Date().toISOString() },
          startedBy: 'test',
          taskQueue,
        });
        // A burst of server errors in the log: the immediate trigger opens a sev1 incident (its own severity).
        await waitFor(id, 'the first run', (s) => s.tiers.hourly.runs >= 1);
        api.burst(60);
        // The health endpoint goes down: two failures in a row open a sev1 incident for the health check.
        api.set({ healthy: false });
        const both = await waitFor(id, 'the incidents of the burst and the health check', (s) =>
          s.incidents.some((i) => i.check === 'health'),
        );
        // The check's failure is sev2 (the check's severity); the burst is sev1 (the trigger's own).
        expect(both.incidents.map((i) => [i.check, i.severity, i.trigger ?? ''])).toEqual([
          ['errors', 'sev2', ''],
          ['errors', 'sev1', 'error-burst'],
          ['health', 'sev1', ''],
        ]);
        api.set({ healthy: true });
        // The first shift's primary takes them; the incidents own their state and tell the watch.
        for (const i of both.incidents) {
          await acknowledge(env.client, id, { incident: i.id, by: 'dana' });
          await resolveIncident(env.client, id, {
            incident: i.id,
            by: 'dana',
            rootCause: 'a bad migration',
            resolution: 'rolled the migration back',
          });
        }
        await waitFor(id, 'the resolutions at the watch', (s) => s.incidents.every((i) => i.state === 'resolved'));
        await waitFor(id, 'the 6h checkpoint (moved to hour 3)', (s) => s.checkpoints[0].state === 'pending');
        await decide(env.client, id, { checkpoint: '6h', decision: 'continue', by: 'eli', note: 'errors explained' });
        // The last checkpoint: release is gated on every hourly run having passed; this one did not.
        await waitFor(id, 'the 24h checkpoint (moved to hour 8)', (s) => s.checkpoints[1].state === 'pending');
        const refused = (await decide(env.client, id, { checkpoint: '24h', decision: 'release', by: 'dana' }).catch(
          (e: unknown) => e,
        )) as Error;
        expect(refused).toBeInstanceOf(Refused);
        expect(refused.message).toMatch(/^"release" needs every criterion met; unmet: Every hourly run passed/);
        await decide(env.client, id, { checkpoint: '24h', decision: 'rollback', by: 'dana', note: 'too many failed runs' });
        await env.client.workflow.getHandle(id).result();
        const final = await status(id);
        expect(final.phase).toBe('rollback-requested');

        // The final report, written to the folder the plan's var names: who acknowledged, durations as
        // people write them, every notification counted, and no section the plan has nothing for.
        const report = readFileSync(final.reports.find((r) => r.kind === 'final')!.path!, 'utf8');
        expect(final.reports.find((r) => r.kind === 'final')!.path).toContain(join(out, 'reports'));
        expect(report).toMatch(/\| h\d+(\.\d)? by dana \|/);
        expect(report).toMatch(/\| 10 min \|/);
        expect(report).not.toMatch(/\d\.\d{3,} h/);
        expect(report).not.toContain('## Budget');
        expect(report).not.toContain('## Levers');
        const notified = readFileSync(join(out, 'notifications', 'orders-api.jsonl'), 'utf8')
          .trim()
          .split('\n');
        expect(final.sent.total).toBe(notified.length);
        expect(final.sent.incidents).toBeGreaterThan(0);
        expect(report).toContain(`Sent: ${notified.length} (the watch ${final.sent.watch}, its incidents ${final.sent.incidents})`);
      },
    );
  } finally {
    await api.stop();
  }
}, 240_000);

test('a queue worker by command and text log: one person on call, a condition of its own severity', async () => {
  const queue = billingQueue(join(dir, 'billing'));
  const plan = compressed('queue-worker.yaml', 1500, 6, { '12h': 3, '24h': 6 });
  await withWorker({ BILLING_QUEUE_STATS: queue.statsCommand, BILLING_WORKER_LOG: queue.logFile }, async (taskQueue) => {
    const { workflowId: id } = await startWatch(env.client, {
      plan,
      release: { service: 'billing-worker', version: `v7.${randomUUID().slice(0, 6)}`, deployedAt: new Date().toISOString() },
      startedBy: 'test',
      taskQueue,
    });
    queue.jobs(5, 0);
    const first = await waitFor(id, 'the first runs', (s) => (s.checks.queue?.runs ?? 0) >= 1 && (s.checks.jobs?.runs ?? 0) >= 1);
    expect(first.checks.queue.status).toBe('healthy');
    // The consumers drop off: the condition's own severity (critical), after two failures in a row.
    queue.set({ consumers: 0, depth: 5000, oldestSeconds: 900 });
    const opened = await waitFor(id, 'an incident for the queue', (s) => s.incidents.some((i) => i.check === 'queue'));
    const incident = opened.incidents.find((i) => i.check === 'queue')!;
    expect(incident).toMatchObject({ severity: 'critical', holder: 'gus' });
    queue.set({ consumers: 4, depth: 2, oldestSeconds: 1 });
    queue.jobs(3, 0);
    await acknowledge(env.client, id, { incident: incident.id, by: 'gus' });
    await resolveIncident(env.client, id, {
      incident: incident.id,
      by: 'gus',
      rootCause: 'consumers crashed on start',
      resolution: 'fixed the config',
    });
    await waitFor(id, 'the 12h checkpoint (moved to hour 3)', (s) => s.checkpoints[0].state === 'pending');
    await decide(env.client, id, { checkpoint: '12h', decision: 'continue', by: 'gus' });
    await waitFor(id, 'the 24h checkpoint (moved to hour 6)', (s) => s.checkpoints[1].state === 'pending');
    await decide(env.client, id, { checkpoint: '24h', decision: 'rollback', by: 'gus', note: 'the queue stalled once' });
    await env.client.workflow.getHandle(id).result();
    const final = await status(id);
    expect(final.incidents.find((i) => i.check === 'queue')).toMatchObject({ state: 'resolved', ackedBy: 'gus', resolvedBy: 'gus' });
    expect(final.categories.map((g) => g.category)).toEqual(['throughput']);
    expect(final.onCall).toMatchObject({ primary: 'gus', backup: 'gus', escalation: 'gus' });
  });
}, 240_000);
