// Log watching counts each line exactly once, across a worker restart: the read offsets live in the
// watch's state and only move when a log-watch result is recorded, so lines written while no worker
// runs are read once by the first run after the restart, and lines already read are not read again.
import { randomUUID } from 'node:crypto';
import { appendFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { startWatch, watchStatusOf } from '../../client/watches';
import { checkRequest } from '../../activities/tiers';
import type { CheckRequest, CheckResult, LogCursor, TierRequest, TierResult } from '../../core/messages';
import type { WatchStatus } from '../../core/status';
import type { Plan } from '../../plan/schema';
import { demoPlan } from '../helpers/plans';
import { devServerEnv } from '../helpers/servers';
import { realWorker, startWorld, waitForStatus, World } from '../helpers/world';

const HOUR_MS = 1000;

let env: TestWorkflowEnvironment;
let world: World;
let worker: Worker | undefined;
let running: Promise<void> | undefined;
let watchId: string | undefined;
const taskQueue = `e2e-logs-${randomUUID()}`;

beforeAll(async () => {
  env = await devServerEnv();
  world = await startWorld();
}, 120_000);

afterAll(async () => {
  if (watchId)
    await env.client.workflow
      .getHandle(watchId)
      .terminate('end of the log test')
      .catch(() => undefined);
  worker?.shutdown();
  await running;
  await env?.teardown();
  await world?.close();
}, 60_000);

async function startWorker(): Promise<void> {
  worker = await realWorker(env, taskQueue);
  running = worker.run();
}

async function stopWorker(): Promise<void> {
  worker!.shutdown();
  await running;
  worker = undefined;
  running = undefined;
}

/** The demo plan with only log-watch, every watch hour (1 s), for longer than the test. */
function logPlan(dir: string): Plan {
  const demo = demoPlan({ hour: `${HOUR_MS}ms`, duration: '1000h' });
  return {
    ...demo,
    tiers: { hourly: { ...demo.tiers.hourly, every: '1h', from: '0h', to: '1000h', checks: ['log-watch'] } },
    checkpoints: [],
    notify: { sinks: [{ kind: 'file', path: join(dir, 'notifications.jsonl') }], reportsDir: join(dir, 'reports') },
  } as Plan;
}

const files = () => ({
  triggers: join(world.dir, 'sim', 'logs', 'triggers.log'),
  overrides: join(world.dir, 'sim', 'logs', 'overrides.jsonl'),
});

let written = 0;
/** Appends `n` distinct override lines, each costing 1.0, split over the two log files (one write per file). */
function appendLines(n: number, batch: string): void {
  const line = (i: number) =>
    `${JSON.stringify({ ts: new Date().toISOString(), event: 'override', batch, seq: written + i, task: 'code', detail: 'LOA override applied outside policy', cost: 1.0 })}\n`;
  const lines = Array.from({ length: n }, (_, i) => line(i));
  const half = Math.ceil(n / 2);
  appendFileSync(files().overrides, lines.slice(0, half).join(''));
  appendFileSync(files().triggers, lines.slice(half).join(''));
  written += n;
}

/** Each log line costs 1.0, so the spend the watch keeps is the number of lines it counted. */
const counted = (s: WatchStatus) => Object.values(s.spend).reduce((a, b) => a + b, 0);
const logWatch = (s: WatchStatus) => s.checks['log-watch'];

function until(ready: (s: WatchStatus) => boolean, what: string): Promise<WatchStatus> {
  return waitForStatus(env.client, watchId!, ready, what, 60_000);
}

/** Every completed log-watch run in the history (one check of a tier run), with the request it answered. */
async function logRuns(handle: WorkflowHandle): Promise<Array<{ req: CheckRequest; res: CheckResult }>> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map<string, TierRequest>();
  const out: Array<{ req: CheckRequest; res: CheckResult }> = [];
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s?.activityType?.name === 'runTier') scheduled.set(String(e.eventId), defaultPayloadConverter.fromPayload(s.input!.payloads![0]));
    const c = e.activityTaskCompletedEventAttributes;
    const tier = c ? scheduled.get(String(c.scheduledEventId)) : undefined;
    const check = tier?.checks.find((x) => x.checkId === 'log-watch');
    if (!c || !tier || !check) continue;
    const { results } = defaultPayloadConverter.fromPayload<TierResult>(c.result!.payloads![0]);
    out.push({ req: checkRequest(tier, check), res: results.find((r) => r.checkId === 'log-watch')! });
  }
  return out;
}

test('each log line is counted once across a worker restart', async () => {
  await startWorker();
  const plan = logPlan(world.dir);
  const release = { service: 'symphony', version: `v1.l${randomUUID().slice(0, 6)}`, deployedAt: new Date().toISOString() };
  watchId = (await startWatch(env.client, { plan, release, startedBy: 'e2e-logs', taskQueue })).workflowId;
  const handle = env.client.workflow.getHandle(watchId);

  // The first read starts at the files' end; lines after it are the watch's to count.
  const first = await until((s) => (logWatch(s)?.runs ?? 0) >= 2, 'two log-watch runs');
  expect(logWatch(first)).toMatchObject({ status: 'healthy', warns: 0 });
  const startedAt = Date.parse(first.startedAt);

  appendLines(6, 'a: worker up');
  const a = await until((s) => counted(s) >= written, 'batch a counted');
  expect(counted(a)).toBe(6);
  expect(logWatch(a).last).toMatchObject({ outcome: 'warn', severity: 'medium' });

  // No worker: lines pile up while the watch's hours pass unrun.
  await stopWorker();
  const stoppedAtHour = (Date.now() - startedAt) / HOUR_MS;
  appendLines(5, 'b: worker down');
  await new Promise((r) => setTimeout(r, 2.5 * HOUR_MS)); // let watch hours pass with no worker to run them
  appendLines(4, 'c: worker still down');

  // A new worker on the same task queue: the missed hours run (late), the first one reads b and c.
  await startWorker();
  const restartedAtHour = (Date.now() - startedAt) / HOUR_MS;
  expect(restartedAtHour - stoppedAtHour).toBeGreaterThan(2);
  const bc = await until((s) => (logWatch(s).last?.hour ?? 0) > restartedAtHour + 1, 'log-watch runs after the restart');
  expect(counted(bc)).toBe(15);

  appendLines(7, 'd: new worker');
  await until((s) => counted(s) >= written, 'batch d counted');
  const doneAtHour = (Date.now() - startedAt) / HOUR_MS;
  const end = await until((s) => (logWatch(s).last?.hour ?? 0) > doneAtHour + 2, 'two more log-watch runs');
  expect(counted(end)).toBe(written); // 22: no line counted twice, none lost

  // Stop the watch so the history and the status hold the same runs, then compare them.
  await handle.terminate('log test done');
  watchId = undefined;
  const final = await watchStatusOf(env.client, handle.workflowId, 0);
  expect(counted(final)).toBe(written);

  // Every hour ran exactly once, the ones missed while no worker ran included.
  const ranAt = final.tiers.hourly.ranAt;
  expect(ranAt).toEqual([...Array(ranAt.length).keys()]);
  expect(final.tiers.hourly.late).toBeGreaterThan(0);

  // The history says the same, line by line: the runs' line counts add up to the lines written, each
  // run starts where the recorded one before it stopped, and the last offsets are the files' sizes.
  const runs = await logRuns(handle);
  expect(runs.length).toBe(logWatch(final).runs);
  expect(runs.reduce((n, r) => n + (r.res.log?.lines ?? 0), 0)).toBe(written);
  expect(runs.reduce((n, r) => n + (r.res.log?.counts.warning ?? 0), 0)).toBe(written);
  expect(runs.filter((r) => (r.res.log?.lines ?? 0) > 0).length).toBe(logWatch(final).warns);
  for (let i = 1; i < runs.length; i++) expect(runs[i].req.cursor).toEqual(runs[i - 1].res.cursor);
  const last = (runs[runs.length - 1].res.cursor as LogCursor).files;
  for (const path of Object.values(files())) expect({ path, offset: last[path]?.offset }).toEqual({ path, offset: statSync(path).size });
}, 180_000);
