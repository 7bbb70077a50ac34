// One round of the SDK bug's scenario (docs/sdk-query-bug.md), for the script and for the test that
// shows a dropped answer is sent again and applied once:
//   1. a worker runs the workflow to its first timer, then stops (no worker polls the task queue);
//   2. a query is sent: nothing is pending, so the server hands it to matching, where it waits;
//   3. the timer fires, and an update is sent (it joins the workflow task the timer scheduled);
//   4. a new worker starts and takes the waiting query and that task;
//   5. once the update is done, the history is replayed.
import { WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { replayFailureReason } from '../../client/repair';
import { executeUpdate } from '../../client/watches';
import { until } from '../../test/helpers/poll';
import { bumpUpdate, countQuery } from './workflow';

export interface RoundOutcome {
  query: string;
  /** 'done', or why it failed. */
  update: string;
  /** Times the update was dropped by the SDK and sent again (with `retry`). */
  dropped: number;
  /** The workflow's count after the round, and the updates its history accepted. */
  count: number;
  accepted: number;
  replay: string;
  workflowId: string;
  /** The round's history, as the server gave it. */
  history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
}

/** `retry`: send the update as release-watch's clients do (sent again with the same ID when dropped). */
export async function playRound(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundle,
  name: string,
  retry: boolean,
): Promise<RoundOutcome> {
  const taskQueue = name;
  const worker = () =>
    Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities: { ping: async () => undefined } });
  const handle = await env.client.workflow.start('tickWorkflow', { taskQueue, workflowId: `${taskQueue}-${Date.now()}` });
  const history = async () => (await handle.fetchHistory()).events ?? [];
  await (
    await worker()
  ).runUntil(() => until(async () => (await history()).some((e) => e.timerStartedEventAttributes), 'the first timer', 30_000, 20));
  const query = handle.query(countQuery).then(
    (c) => `answered ${c}`,
    (e: Error) => `refused (${/stale workflow clock/.test(e.message) ? 'stale clock' : e.message.slice(0, 60)})`,
  );
  await until(async () => (await history()).some((e) => e.timerFiredEventAttributes), 'the timer to fire', 30_000, 20);
  let dropped = 0;
  const updateId = `bump-${taskQueue}`;
  const update = retry
    ? executeUpdate(handle, bumpUpdate, [], updateId, () => dropped++)
    : handle.startUpdate(bumpUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED, updateId }).then((u) => u.result());
  const settled = update.then(
    () => 'done',
    (e: Error) => `failed (${(e.cause as Error | undefined)?.message ?? e.message})`.slice(0, 120),
  );
  // Until the server has admitted the update (it waits there for a worker): the new worker takes the
  // query and the task with the update together.
  const admitted = () =>
    env.client.workflowService
      .pollWorkflowExecutionUpdate({
        namespace: env.namespace ?? 'default',
        updateRef: { workflowExecution: { workflowId: handle.workflowId }, updateId },
        waitPolicy: {
          lifecycleStage: temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED,
        },
      })
      .then(() => true);
  await until(admitted, 'the update to be admitted', 10_000, 20);
  const outcome = await (
    await worker()
  ).runUntil(async () => ({ query: await query, update: await settled, count: await handle.query(countQuery) }));
  await handle.terminate('round over');
  const recorded = await handle.fetchHistory();
  const events = recorded.events ?? [];
  const replay = await Worker.runReplayHistory({ workflowBundle, replayName: taskQueue }, recorded, handle.workflowId).then(
    () => 'replays',
    (e: Error) => `DOES NOT REPLAY (${replayFailureReason(e.message).slice(0, 200)})`,
  );
  return {
    ...outcome,
    dropped,
    accepted: events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length,
    replay,
    workflowId: handle.workflowId,
    history: recorded,
  };
}
