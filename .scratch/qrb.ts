// Shows the Temporal SDK bug of test/replay/upstream.test.ts with a small workflow, on a dev server of
// its own, and what the watch's stale-clock guard does about it. Each round:
//   1. a worker runs the workflow to its first timer, then stops (no worker polls the task queue);
//   2. a query is sent: nothing is pending, so the server hands it to matching, where it waits;
//   3. the timer fires, and an update is sent (it joins the workflow task the timer scheduled);
//   4. a new worker starts and takes the waiting query and that task;
//   5. once the update is done, the history is replayed.
// When the new worker answers the query first, it applies the timer's event to do so and keeps the
// activity that schedules for the task; the update is then accepted after it, which a replay does not
// reproduce. With the guard (workflows/interceptors.ts), the query is refused when its clock is stale.
// Which the new worker takes first (the query or the task, or both at once) varies, so rounds differ:
// some replay, some do not, and in some the SDK drops the update (the client gets an error).
// Usage: npx tsx scripts/query-replay-bug.ts [rounds per mode, default 4]
import { WorkflowUpdateStage } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Runtime, Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { replayFailureReason } from '../client/repair';
import { until } from '../test/helpers/poll';
import { devServerEnv } from '../test/helpers/servers';
import { bumpUpdate, countQuery } from '../scripts/query-replay-bug/workflow';

const noop = () => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
Runtime.install({ logger: quiet });

async function round(env: TestWorkflowEnvironment, workflowBundle: WorkflowBundleWithSourceMap, guarded: boolean, n: number): Promise<string> {
  const taskQueue = `query-bug-${guarded ? 'guarded' : 'bare'}-${n}`;
  const worker = () => Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities: { ping: async () => undefined } });
  const handle = await env.client.workflow.start('tickWorkflow', { taskQueue, workflowId: `${taskQueue}-${Date.now()}` });
  const history = async () => (await handle.fetchHistory()).events ?? [];
  await (await worker()).runUntil(() => until(async () => (await history()).some((e) => e.timerStartedEventAttributes), 'the first timer', 30_000, 20));
  const query = handle.query(countQuery).then(
    (c) => `answered ${c}`,
    (e: Error) => `refused (${/stale workflow clock/.test(e.message) ? 'stale clock' : e.message.slice(0, 60)})`,
  );
  await until(async () => (await history()).some((e) => e.timerFiredEventAttributes), 'the timer to fire', 30_000, 20);
  const update = handle.startUpdate(bumpUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED });
  await new Promise((r) => setTimeout(r, 300));
  const outcome = await (await worker()).runUntil(async () => {
    const asked = await query;
    const bumped = await (await update).result().then(
      () => 'update done',
      (e: any) => `update failed (${e.constructor.name}: ${e.message} / cause ${e.cause?.constructor?.name}: ${e.cause?.message} code ${e.cause?.code} details ${e.cause?.details})`,
    );
    return `query ${asked}, ${bumped}`;
  });
  await handle.terminate('round over');
  const replay = await Worker.runReplayHistory({ workflowBundle, replayName: taskQueue }, await handle.fetchHistory(), handle.workflowId).then(
    () => 'replays',
    (e: Error) => `DOES NOT REPLAY (${replayFailureReason(e.message).slice(0, 200)})`,
  );
  return `${guarded ? 'with the guard   ' : 'without the guard'} round ${n}: ${outcome}; the history ${replay}`;
}

async function main() {
  const rounds = Number(process.argv[2] ?? 4);
  const env = await devServerEnv();
  try {
    for (const guarded of [false, true]) {
      const workflowBundle = await bundleWorkflowCode({
        workflowsPath: require.resolve('../scripts/query-replay-bug/workflow'),
        workflowInterceptorModules: guarded ? [require.resolve('../workflows/interceptors')] : [],
        logger: quiet,
      });
      for (let n = 1; n <= rounds; n++) console.log(await round(env, workflowBundle, guarded, n));
    }
  } finally {
    await env.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
