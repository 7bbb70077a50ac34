// `release-watch repair` on the dev server: a workflow whose history no longer replays is found, reset
// to the last workflow task before the failing event, and goes on with the new code, with the update
// it had accepted after that task re-applied. The nondeterminism here comes from a code change (a
// small workflow in two versions), which makes it certain; the SDK bug of test/replay/upstream.test.ts
// breaks a history the same way and is repaired the same way.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { applyRepair, formatRepairPlan, planRepair, RepairPlan } from '../../client/repair';
import { Refused, watchStatusOf } from '../../client/watches';
import { newStub } from '../helpers/stubs';
import { startStubbedWatch } from '../helpers/overdue';
import { until } from '../helpers/poll';
import { devServerEnv } from '../helpers/servers';
import { bump } from '../helpers/repair-subject/v1';

const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'bin', 'release-watch');
const noop = () => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };
const bundleOf = (version: string) =>
  bundleWorkflowCode({ workflowsPath: require.resolve(`../helpers/repair-subject/${version}`), logger: quiet });

let env: TestWorkflowEnvironment;
let v1: WorkflowBundleWithSourceMap;
let v2: WorkflowBundleWithSourceMap;
jest.setTimeout(180_000);

beforeAll(async () => {
  env = await devServerEnv();
  [v1, v2] = await Promise.all([bundleOf('v1'), bundleOf('v2')]);
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

const worker = (taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap) =>
  Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities: { ping: async () => undefined } });

test('a history that does not replay is reset to the task before the failing event, and goes on with its update re-applied', async () => {
  const taskQueue = `repair-${randomUUID()}`;
  const handle = await env.client.workflow.start('repairSubject', { taskQueue, workflowId: `repair-${randomUUID()}` });
  // v1 runs the timer and the activity, then accepts one update and waits for more.
  await (
    await worker(taskQueue, v1)
  ).runUntil(async () => {
    await until(
      async () => (await handle.fetchHistory()).events?.some((e) => e.activityTaskCompletedEventAttributes),
      'the activity to complete',
    );
    expect(await handle.executeUpdate(bump, { args: [1] })).toBe(1);
  });

  expect(await planRepair(env.client, handle.workflowId, v1)).toMatchObject({ replays: true });
  // Only this replay fails so far: a repair then needs --force (this code may not be what the workers run).
  const early = await planRepair(env.client, handle.workflowId, v2);
  expect(early).toMatchObject({ replays: false, stuck: false });
  expect(early.cautions).toEqual([
    'no workflow task has failed on it yet (the workers hold it in memory): make sure this release-watch is the version the workers run',
  ]);
  await expect(applyRepair(env.client, early, 'repair-test')).rejects.toBeInstanceOf(Refused);

  // A v2 worker takes its next task (a signal brings one), fails it on the changed code, and retries: stuck.
  const v2worker = await worker(taskQueue, v2);
  await v2worker.runUntil(async () => {
    await handle.signal('poke');
    await until(
      async () => (await handle.fetchHistory()).events?.some((e) => e.workflowTaskFailedEventAttributes),
      'a workflow task to fail',
    );
  });
  const plan = await planRepair(env.client, handle.workflowId, v2);
  const events = (await handle.fetchHistory()).events ?? [];
  const kind = (id: number | undefined) =>
    Object.keys(events.find((e) => Number(e.eventId) === id) ?? {}).find((k) => k.endsWith('EventAttributes'));
  expect(plan).toMatchObject({ replays: false, stuck: true, status: 'RUNNING', cautions: [] });
  expect(kind(plan.failsAt)).toBe('activityTaskScheduledEventAttributes');
  expect(kind(plan.resetTo)).toBe('workflowTaskCompletedEventAttributes');
  expect(plan.resetTo).toBe(plan.failsAt! - 1);
  expect(plan.redone).toMatchObject({ activities: 1, timers: 0, incidentsOpened: 0 });
  expect(plan.reapplied).toEqual({ updates: 1, signals: 1 });
  const text = formatRepairPlan(plan);
  expect(text).toContain('and its workflow tasks fail on it: it is stuck');
  expect(text).toContain(`reset to event ${plan.resetTo} (the last workflow task before event ${plan.failsAt})`);
  expect(text).toMatch(/^ {2}\[TMPRL1100\] Nondeterminism error: .*HistoryEvent\(id: \d+, ActivityTaskScheduled\)$/m);
  expect(text).toContain('re-applied: 1 updates, 1 signals');

  const newRunId = await applyRepair(env.client, plan, 'repair-test');
  expect(newRunId).not.toBe(plan.runId);
  // A second apply of the same plan (a retried command) would reset again and end the repaired run.
  await expect(applyRepair(env.client, plan, 'repair-test')).rejects.toThrow(
    new Refused(`${handle.workflowId} is now in run ${newRunId}, not the run ${plan.runId} that was checked: check it again`),
  );

  // v2 goes on from the reset: the update accepted before it counts, one more completes the count.
  const repaired = env.client.workflow.getHandle(handle.workflowId);
  const result = await (
    await worker(taskQueue, v2)
  ).runUntil(async () => {
    expect(await repaired.executeUpdate(bump, { args: [1] })).toBe(2);
    return repaired.result();
  });
  expect(result).toBe(2);
  expect((await repaired.describe()).runId).toBe(newRunId);
  expect(await planRepair(env.client, handle.workflowId, v2)).toMatchObject({ replays: true, runId: newRunId });
});

test('nothing to repair and an unknown workflow are told apart, from the CLI, without changing anything', async () => {
  const cliEnv = { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' };
  const unknown = await run(CLI, ['repair', 'watch-that-never-was', '--apply'], { env: cliEnv }).catch((e) => e);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/refused: no workflow "watch-that-never-was"/);
  await expect(planRepair(env.client, 'watch-that-never-was', v1)).rejects.toBeInstanceOf(Refused);

  const { workflowId, worker: watchWorker } = await startStubbedWatch(
    env,
    '60s',
    newStub(() => 'ok'),
  );
  await (
    await watchWorker()
  ).runUntil(async () => {
    await until(
      async () => ((await env.client.workflow.getHandle(workflowId).fetchHistory()).events?.length ?? 0) > 10,
      'the watch to get going',
    );
  });
  const before = await env.client.workflow.getHandle(workflowId).describe();
  const ok = await run(CLI, ['repair', workflowId, '--apply', '--json'], { env: cliEnv });
  expect(JSON.parse(ok.stdout)).toMatchObject({ workflowId, runId: before.runId, replays: true });
  const after = await env.client.workflow.getHandle(workflowId).describe();
  expect({ runId: after.runId, status: after.status.name }).toEqual({ runId: before.runId, status: 'RUNNING' });
  await env.client.workflow.getHandle(workflowId).terminate('test over');
});

test('a watch reset to before it opened an incident goes on with that incident, not a second one', async () => {
  const stub = newStub((c, h) => (c === 'fast-pulse' && h >= 1 ? { outcome: 'fail', severity: 'critical' } : 'ok'));
  const { workflowId, worker: watchWorker } = await startStubbedWatch(env, '4s', stub);
  const watch = env.client.workflow.getHandle(workflowId);
  const incidentId = await (
    await watchWorker()
  ).runUntil(() => until(async () => (await watchStatusOf(env.client, workflowId)).incidents[0]?.id, 'the incident to open'));
  const events = (await watch.fetchHistory()).events ?? [];
  const opened = Number(events.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)!.eventId);
  const resetTo = Math.max(
    ...events.filter((e) => e.workflowTaskCompletedEventAttributes && Number(e.eventId) < opened).map((e) => Number(e.eventId)),
  );
  const { runId } = await watch.describe();
  // The plan repair would make if the watch failed to replay on the incident's start.
  const plan: RepairPlan = {
    workflowId,
    runId,
    status: 'RUNNING',
    replays: false,
    failsAt: opened,
    resetTo,
    cautions: ['incidents opened after it'],
  };
  await expect(applyRepair(env.client, plan, 'repair-test')).rejects.toBeInstanceOf(Refused);
  const newRunId = await applyRepair(env.client, plan, 'repair-test', true);

  await (
    await watchWorker()
  ).runUntil(async () => {
    // The re-run opens the incident again; the server refuses (it is open), and the watch goes on with it.
    await until(
      async () =>
        ((await env.client.workflow.getHandle(workflowId, newRunId).fetchHistory()).events ?? []).some(
          (e) => e.startChildWorkflowExecutionFailedEventAttributes,
        ),
      'the re-run to try the incident again',
    );
    const s = await until(async () => {
      const st = await watchStatusOf(env.client, workflowId);
      return st.hour > 2 ? st : undefined;
    }, 'the repaired watch to go on');
    expect(s.incidents.map((i) => [i.id, i.state])).toEqual([[incidentId, 'open']]);
  });
  expect((await watch.describe()).status.name).toBe('RUNNING');
  await watch.terminate('test over');
  await env.client.workflow.getHandle(incidentId).terminate('test over');
});
