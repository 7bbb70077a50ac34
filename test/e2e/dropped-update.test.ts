// The known SDK 1.24 bug can drop an update a worker took ("wasn't processed by worker"). Every client
// path that sends an answer sends such a dropped update again with the same update ID, a bounded number
// of times, so the answer is neither lost nor applied twice.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { KEYRING_ENV } from '../../client/keys';
import { acknowledge, decide, emergency, isDroppedUpdate, startWatch, watchStatusOf } from '../../client/watches';
import { bundleOptions, workflowInterceptorModules } from '../../worker/bundle';
import { decideUpdate } from '../../workflows/definitions';
import { playRound } from '../../scripts/query-replay-bug/scenario';
import { symphonyPlan } from '../helpers/plans';
import { until } from '../helpers/poll';
import { devServerEnv } from '../helpers/servers';
import { newStub, stubActivities } from '../helpers/stubs';

const quiet = () => undefined;
const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error };
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  process.env[KEYRING_ENV] ??= join(__dirname, '..', '..', 'plans', 'keys');
  env = await devServerEnv();
});

afterAll(async () => {
  await env?.teardown();
});

const accepted = async (workflowId: string) =>
  ((await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).filter(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes,
  ).length;

test('decide, emergency and ack: each first delivery dropped by the worker, sent again, applied once', async () => {
  const workflowBundle: WorkflowBundle = await bundleWorkflowCode({
    ...bundleOptions,
    workflowInterceptorModules: [...workflowInterceptorModules, require.resolve('../helpers/drop-updates')],
    logger,
  });
  const taskQueue = `dropped-${randomUUID()}`;
  const stub = newStub((check, hour) => (check === 'fast-pulse' && hour >= 1 ? { outcome: 'fail', severity: 'critical' } : 'ok'));
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities: stubActivities(stub) });
  const base = symphonyPlan();
  const plan = { ...base, clock: { hour: '1s', duration: '24h' }, checkpoints: [{ ...base.checkpoints[0], at: '2h', criteria: [] }] };
  await worker.runUntil(async () => {
    const { workflowId } = await startWatch(env.client, {
      plan,
      release: { service: 'symphony', version: `v1.${randomUUID().slice(0, 8)}`, deployedAt: new Date().toISOString() },
      startedBy: 'test',
      taskQueue,
    });
    const open = await until(async () => {
      const s = await watchStatusOf(env.client, workflowId);
      return s.incidents.length === 1 && s.checkpoints[0].state === 'pending' && s;
    }, 'incident 1 and the checkpoint');

    // Without sending again, the SDK's drop reaches the caller.
    const once = await env.client.workflow
      .getHandle(workflowId)
      .executeUpdate(decideUpdate, { args: [{ checkpoint: '12h', decision: 'continue', by: 'release-captain' }], updateId: randomUUID() })
      .catch((e: unknown) => e);
    expect(isDroppedUpdate(once)).toBe(true);

    // Through the client helpers: sent again, accepted once each.
    expect(
      await decide(env.client, workflowId, {
        checkpoint: '12h',
        decision: 'continue',
        by: 'release-captain',
        note: 'sent twice, taken once',
      }),
    ).toMatchObject({
      state: 'decided',
    });
    expect(await emergency(env.client, workflowId, { lever: 'conservative-mode', by: 'duty-engineer', reason: 'slow' })).toMatchObject({
      lever: 'conservative-mode',
      by: 'duty-engineer',
    });
    expect(await acknowledge(env.client, workflowId, { incident: '1', by: 'duty-engineer' })).toMatchObject({ state: 'acknowledged' });
    const after = await watchStatusOf(env.client, workflowId);
    expect(after.decisions).toHaveLength(1);
    expect(after.levers.filter((l) => l.lever === 'conservative-mode')).toHaveLength(1);
    expect(await accepted(workflowId)).toBe(2);
    expect(await accepted(open.incidents[0].id)).toBe(1);
    for (const id of [workflowId, open.incidents[0].id]) await env.client.workflow.getHandle(id).terminate('test over');
  });
});

test("the bug's own scenario (a query waiting for a worker, an update in the next task): every answer applied exactly once", async () => {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../scripts/query-replay-bug/workflow'),
    workflowInterceptorModules,
    logger,
  });
  const rounds = [];
  for (let n = 1; n <= 4; n++) rounds.push(await playRound(env, workflowBundle, `dropped-scenario-${randomUUID()}`, true));
  // Whatever the SDK did in a round (dropped the update or not), the answer arrived once.
  for (const r of rounds)
    expect({ update: r.update, count: r.count, accepted: r.accepted }).toEqual({ update: 'done', count: 1, accepted: 1 });
  console.log(`scenario rounds: ${rounds.map((r) => `${r.query}, update dropped ${r.dropped}×, history ${r.replay}`).join(' | ')}`);
}, 120_000);
