// A regression test for what the chaos suite found: after a worker crash, a query answered by a
// worker that does not have the watch cached can run the watch on a stale clock (the TypeScript SDK
// 1.24 applies the events after the last completed workflow task, here a slot's timer, with that
// task's time, and keeps the result for the next task). Acting on it made the watch start other
// commands than a replay does, and it stuck on a nondeterminism error. The watch now refuses a stale
// clock (workflows/clock.ts, ClockGuard, run before any job by workflows/interceptors.ts): the query
// fails, the watch goes on, its history replays.
import { Worker } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { decideBySignal, startWatch, watchStatusOf } from '../../client/watches';
import { demoPlan } from '../helpers/plans';
import { shortPlan } from '../helpers/world';
import { workflowBundle } from '../helpers/servers';
import { ChaosWorld, until } from './harness';

/** How long the constructed queries wait for a worker: longer than the sticky queue's 10 s. */
const LINGER_MS = 60_000;

jest.setTimeout(180_000);

const HOUR_MS = 5000;
// Long enough that no slot or deadline falls in the 10 s a query waits on a dead worker's queue.
const SLOW_HOUR_MS = 20_000;
let w: ChaosWorld | undefined;

beforeAll(async () => {
  w = new ChaosWorld();
  await w.start();
}, 120_000);

afterAll(async () => {
  await w?.close();
}, 60_000);

test('a query served by a fresh worker after a crash does not wedge the watch (stale clock refused)', async () => {
  const world = w!;
  const plan = world.withSinks({ ...shortPlan(demoPlan(), 8, `${HOUR_MS}ms`), checkpoints: [] });
  const release = { service: 'symphony', version: `v6.stale.${Date.now()}`, deployedAt: new Date().toISOString() };
  const { workflowId } = await startWatch(world.client, { plan, release, startedBy: 'stale-clock-test', taskQueue: world.taskQueue });
  const ranAt = async () => (await watchStatusOf(world.client, workflowId)).tiers.hourly.ranAt;

  // The watch is cached on the worker and idle, its timer for slot 2 a few seconds away.
  await until(async () => (await ranAt()).includes(1), 'hourly run 1', 60_000);
  let query: Promise<string> | undefined;
  await world.kill('random', undefined, () => {
    // Sent while nothing is pending: it goes to the dead worker's sticky queue and reaches the fresh
    // worker about 10 s later, after slot 2's timer fired (that task waits on the dead queue as well).
    // The CLI gives up after 10 s; this query is made to wait, as a slower client's would.
    query = watchStatusOf(world.client, workflowId, 30, LINGER_MS).then(
      (s) => `answered (hour ${s.hour})`,
      (err: Error) => `refused: ${err.message}`,
    );
  });
  const answer = await query!;
  console.log(`the query sent right after the crash: ${answer.slice(0, 300)}`);
  expect(answer).toMatch(/^answered|stale workflow clock/);

  // The watch goes on; a worker that replays its whole history (after another crash) agrees with it.
  await until(async () => (await ranAt()).includes(4), 'hourly run 4', 60_000);
  await world.kill('random');
  await until(async () => (await ranAt()).includes(6), 'hourly run 6', 60_000);
  const history = await world.client.workflow.getHandle(workflowId).fetchHistory();
  const failed = (history.events ?? [])
    .filter((e) => e.workflowTaskFailedEventAttributes)
    .map((e) => e.workflowTaskFailedEventAttributes!.failure?.message);
  expect(failed).toEqual([]);
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
  await world.client.workflow.getHandle(workflowId).terminate('stale-clock test over');
});

test('a stale query that carries a decision does not take the worker down (commands beside a query answer)', async () => {
  // What failed CI (chaos seed 901986778): the events the query brought (there, a lever's timeout)
  // ran workflow code that started a command before the clock was refused, and the SDK sent that
  // command with the query's answer; the server's core rejects that and shuts the worker down.
  // Here the event is a checkpoint decision sent as a signal, whose handler sends a notification.
  const world = w!;
  const base = world.withSinks(shortPlan(demoPlan(), 4, `${SLOW_HOUR_MS}ms`));
  const checkpoint = { ...demoPlan().checkpoints[0], at: '1h', deadline: '2h' };
  const plan = { ...base, checkpoints: [checkpoint] };
  const release = { service: 'symphony', version: `v6.stale-signal.${Date.now()}`, deployedAt: new Date().toISOString() };
  const { workflowId } = await startWatch(world.client, { plan, release, startedBy: 'stale-clock-test', taskQueue: world.taskQueue });
  const status = () => watchStatusOf(world.client, workflowId);
  await until(
    async () => (await status()).checkpoints.find((c) => c.name === checkpoint.name)?.state === 'pending',
    'checkpoint pending',
    60_000,
  );

  let query: Promise<string> | undefined;
  await world.kill('random', undefined, () => {
    // Nothing is pending: the query goes to the dead worker's sticky queue and reaches the fresh
    // worker some 10 s later, with the decision (sent below, once that worker is up) in its history.
    query = watchStatusOf(world.client, workflowId, 30, LINGER_MS).then(
      (s) => `answered (hour ${s.hour})`,
      (err: Error) => `refused: ${err.message}`,
    );
  });
  await decideBySignal(world.client, workflowId, {
    checkpoint: checkpoint.name,
    decision: 'continue',
    by: 'release-captain',
    note: 'stale-clock test',
  });
  const answer = await query!;
  console.log(`the query sent right after the crash, with a decision behind it: ${answer.slice(0, 300)}`);
  expect(answer).toMatch(/^answered|stale workflow clock/);

  await until(
    async () => (await status()).checkpoints.find((c) => c.name === checkpoint.name)?.state === 'decided',
    'the decision applied',
    60_000,
  );
  await until(async () => (await status()).hour >= 2.2, 'the watch past hour 2', 60_000);
  expect(world.workerOutput()).not.toMatch(/Malformed|Initiating Worker shutdown/);
  expect(world.unexpectedExits).toEqual([]);
  const decided = readFileSync(world.notificationsFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`${workflowId}:decision:${checkpoint.name}`));
  expect(decided).toHaveLength(1);

  const history = await world.client.workflow.getHandle(workflowId).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
  await world.client.workflow.getHandle(workflowId).terminate('stale-clock test over');
});
