// The production-shaped cluster (PostgreSQL, four service processes) runs a small workflow with a
// timer and an activity, finds it by a search attribute, and brings workflows waiting on timers to
// completion through a SIGKILL of matching, a SIGKILL of history and restarts of PostgreSQL.
import { existsSync } from 'node:fs';
import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Cluster, startCluster } from '../helpers/cluster';
import { timerThenActivity } from '../helpers/cluster-workflows';
import { until } from '../helpers/poll';

const EventType = temporal.api.enums.v1.EventType;
const TASK_QUEUE = 'cluster-smoke';
const TIMER_MS = 2_000;
const BATCH = 5;

let cluster: Cluster;
let connection: Connection;
let client: Client;
let nativeConnection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;
/** How often the activity ran per service name. */
const greeted = new Map<string, number>();

beforeAll(async () => {
  // The worker's own retries during the outages below are expected: keep them out of the output.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  cluster = await startCluster();
  connection = await Connection.connect({ address: cluster.address });
  client = new Client({ connection, namespace: cluster.namespace });
  nativeConnection = await NativeConnection.connect({ address: cluster.address });
  worker = await Worker.create({
    connection: nativeConnection,
    namespace: cluster.namespace,
    taskQueue: TASK_QUEUE,
    workflowsPath: require.resolve('../helpers/cluster-workflows'),
    activities: {
      greet: async (service: string) => {
        greeted.set(service, (greeted.get(service) ?? 0) + 1);
        return `hello ${service}`;
      },
    },
  });
  workerRun = worker.run();
}, 300_000);

afterAll(async () => {
  if (worker) {
    worker.shutdown();
    await workerRun;
  }
  await nativeConnection?.close();
  await connection?.close();
  await cluster?.stop();
}, 120_000);

function startBatch(label: string, count = BATCH): Promise<WorkflowHandle<typeof timerThenActivity>[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      client.workflow.start(timerThenActivity, {
        taskQueue: TASK_QUEUE,
        workflowId: `${label}-${i}`,
        args: [`${label}-${i}`, TIMER_MS],
      }),
    ),
  );
}

async function eventTypes(handle: WorkflowHandle): Promise<number[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).map((e) => e.eventType ?? 0);
}

/** When the first event of `type` was written (ms since the epoch). */
async function eventTime(handle: WorkflowHandle, type: number): Promise<number> {
  const event = (await handle.fetchHistory()).events?.find((e) => e.eventType === type);
  if (!event?.eventTime) throw new Error(`${handle.workflowId} has no event of type ${type}`);
  return tsToMs(event.eventTime);
}

/** The latest moment one of the workflows' timers is due. */
async function lastTimerDue(handles: WorkflowHandle[]): Promise<number> {
  const started = await Promise.all(handles.map((h) => eventTime(h, EventType.EVENT_TYPE_TIMER_STARTED)));
  return Math.max(...started) + TIMER_MS;
}

/** The outage lasts until every timer is overdue: they can only fire once the part is back. */
async function untilOverdue(due: number): Promise<void> {
  await until(() => Date.now() > due + 500, 'every timer to be overdue', 30_000, 100);
}

async function expectFiredAfter(handles: WorkflowHandle[], back: number): Promise<void> {
  for (const h of handles) expect(await eventTime(h, EventType.EVENT_TYPE_TIMER_FIRED)).toBeGreaterThanOrEqual(back);
}

async function untilEvery(handles: WorkflowHandle[], type: number, what: string): Promise<void> {
  await until(
    async () => (await Promise.all(handles.map(async (h) => (await eventTypes(h)).includes(type)))).every(Boolean),
    what,
    60_000,
    200,
  );
}

/** Every workflow completes with its greeting; its timer fired once and its activity ran. */
async function expectCompleted(handles: WorkflowHandle<typeof timerThenActivity>[]): Promise<void> {
  await until(
    async () => (await Promise.all(handles.map(async (h) => (await h.describe()).status.name === 'COMPLETED'))).every(Boolean),
    `${handles.map((h) => h.workflowId).join(', ')} to complete`,
    120_000,
    250,
  );
  for (const h of handles) {
    expect(await h.result()).toBe(`hello ${h.workflowId}`);
    const types = await eventTypes(h);
    expect(types.filter((t) => t === EventType.EVENT_TYPE_TIMER_FIRED)).toHaveLength(1);
    expect(types.filter((t) => t === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)).toHaveLength(1);
    expect(greeted.get(h.workflowId)).toBeGreaterThanOrEqual(1);
  }
}

const running = (pid: number) => existsSync(`/proc/${pid}`);

test('a workflow with a timer and an activity completes, and a list query by its search attributes finds it', () =>
  cluster.keepOnFailure(async () => {
    const [handle] = await startBatch('smoke', 1);
    await expectCompleted([handle]);

    const found = await until(
      async () => {
        const ids: string[] = [];
        for await (const w of client.workflow.list({
          query: `RwService = 'smoke-0' AND RwPhase = 'done' AND ExecutionStatus = 'Completed'`,
        }))
          ids.push(w.workflowId);
        return ids.length > 0 && ids;
      },
      'the list query to find smoke-0',
      30_000,
      200,
    );
    expect(found).toEqual(['smoke-0']);
    const none = await client.workflow.count(`RwService = 'smoke-0' AND RwPhase = 'waiting'`);
    expect(none.count).toBe(0);

    const cpu = cluster.cpuSeconds();
    expect(Object.keys(cpu).sort()).toEqual(['frontend', 'history', 'matching', 'postgres', 'worker']);
    for (const seconds of Object.values(cpu)) expect(seconds).toBeGreaterThan(0);
  }));

test('matching is SIGKILLed while workflows wait on timers; the timers fire while it is down; started again, the workflows complete', () =>
  cluster.keepOnFailure(async () => {
    const handles = await startBatch('matching');
    await untilEvery(handles, EventType.EVENT_TYPE_TIMER_STARTED, 'every timer to start');
    const matching = cluster.services.matching;
    const before = matching.pid;
    const cpuBefore = cluster.cpuSeconds().matching;

    await matching.kill('SIGKILL');
    expect(running(before)).toBe(false);
    expect(matching.pid).toBe(0);
    // History fires the timers without matching; the workflow tasks they make wait for it.
    await untilEvery(handles, EventType.EVENT_TYPE_TIMER_FIRED, 'every timer to fire while matching is down');
    expect((await handles[0].describe()).status.name).toBe('RUNNING');

    await matching.start();
    expect(matching.pid).not.toBe(before);
    expect(running(matching.pid)).toBe(true);
    await expectCompleted(handles);
    expect(cluster.cpuSeconds().matching).toBeGreaterThanOrEqual(cpuBefore); // earlier incarnations count
  }));

test('history is SIGKILLed while workflows wait on timers and stays down past their due time; started again, it takes its shards back, fires them and the workflows complete', () =>
  cluster.keepOnFailure(async () => {
    const handles = await startBatch('history');
    await untilEvery(handles, EventType.EVENT_TYPE_TIMER_STARTED, 'every timer to start');
    const due = await lastTimerDue(handles);
    const history = cluster.services.history;
    const before = history.pid;

    await history.kill('SIGKILL');
    expect(running(before)).toBe(false);
    expect(history.pid).toBe(0);
    await untilOverdue(due);

    const back = Date.now();
    await history.start();
    expect(history.pid).not.toBe(before);
    await expectCompleted(handles);
    await expectFiredAfter(handles, back);
  }));

test('PostgreSQL restarts (fast shutdown) while workflows wait on timers; the workflows complete', () =>
  cluster.keepOnFailure(async () => {
    const handles = await startBatch('pg-restart');
    await untilEvery(handles, EventType.EVENT_TYPE_TIMER_STARTED, 'every timer to start');
    const before = cluster.postgres.pid;

    await cluster.postgres.restart();
    expect(running(before)).toBe(false);
    expect(cluster.postgres.pid).not.toBe(before);
    await expectCompleted(handles);
  }));

test('PostgreSQL is SIGKILLed with its backends while workflows wait on timers and stays down past their due time; started again (crash recovery), the workflows complete', () =>
  cluster.keepOnFailure(async () => {
    const handles = await startBatch('pg-kill');
    await untilEvery(handles, EventType.EVENT_TYPE_TIMER_STARTED, 'every timer to start');
    const due = await lastTimerDue(handles);
    const before = cluster.postgres.pid;

    await cluster.postgres.kill('SIGKILL');
    expect(running(before)).toBe(false);
    expect(cluster.postgres.pid).toBe(0);
    await untilOverdue(due);

    const back = Date.now();
    await cluster.postgres.start();
    expect(cluster.postgres.pid).not.toBe(before);
    await expectCompleted(handles);
    await expectFiredAfter(handles, back);
  }));
