// Recovering a watch (or incident) whose history no longer replays: a worker that has to rebuild it
// (after a restart, or to answer a status query) fails on a nondeterminism error, and the workflow
// stops until someone acts. `planRepair` replays the latest run with this code to find the event it
// fails on; `applyRepair` resets the run to the last workflow task before that event, so Temporal runs
// that task again with this code and re-applies the updates and signals that came after it.
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Refused } from './watches';

type Event = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export interface RepairPlan {
  workflowId: string;
  runId: string;
  /** The latest run replays with this code: there is nothing to repair. */
  replays: boolean;
  /** The replay's error, when it does not. */
  failure?: string;
  /** The history event the replay fails on. */
  failsAt?: number;
  /** The WorkflowTaskCompleted event the reset goes back to: the last one before `failsAt`. */
  resetTo?: number;
  /** What the reset discards and the workflow then does again: events after `resetTo`. */
  redone?: { events: number; activities: number; timers: number };
  /** Updates and signals after `resetTo`, which Temporal re-applies to the new run. */
  reapplied?: { updates: number; signals: number };
}

/** Replays the latest run of `workflowId` with `bundle` (the code the workers run) and plans the reset that repairs it. */
export async function planRepair(client: Client, workflowId: string, bundle: WorkflowBundleWithSourceMap): Promise<RepairPlan> {
  let runId: string;
  try {
    runId = (await client.workflow.getHandle(workflowId).describe()).runId;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new Refused(`no workflow "${workflowId}"`);
    throw err;
  }
  return planFromHistory(workflowId, runId, await client.workflow.getHandle(workflowId, runId).fetchHistory(), bundle);
}

/** The repair of one run, from its history (see planRepair). */
export async function planFromHistory(
  workflowId: string,
  runId: string,
  history: temporal.api.history.v1.IHistory,
  bundle: WorkflowBundleWithSourceMap,
): Promise<RepairPlan> {
  const { Worker } = await import('@temporalio/worker');
  try {
    await Worker.runReplayHistory({ workflowBundle: bundle, replayName: `repair ${workflowId}` }, history, workflowId);
    return { workflowId, runId, replays: true };
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    // The SDK wraps the core's one-line reason ("[TMPRL1100] Nondeterminism error: ...") in a long dump.
    const failure = /\[TMPRL\d+\][^"]*/.exec(message)?.[0] ?? message;
    const at = /HistoryEvent\(id: (\d+)/.exec(message)?.[1];
    if (!at) {
      throw new Refused(`${workflowId} does not replay, but not on a history event, so a reset would not help (fix the workflow code): ${failure}`);
    }
    const failsAt = Number(at);
    const events = history.events ?? [];
    const resetTo = lastTaskCompletedBefore(events, failsAt);
    if (resetTo === undefined) throw new Refused(`${workflowId} fails on event ${failsAt}, before its first completed workflow task: reset cannot repair it`);
    const after = events.filter((e) => Number(e.eventId) > resetTo);
    const count = (type: temporal.api.enums.v1.EventType) => after.filter((e) => e.eventType === type).length;
    return {
      workflowId,
      runId,
      replays: false,
      failure,
      failsAt,
      resetTo,
      redone: {
        events: after.length,
        activities: count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
        timers: count(EventType.EVENT_TYPE_TIMER_STARTED),
      },
      reapplied: {
        updates: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
        signals: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
      },
    };
  }
}

function lastTaskCompletedBefore(events: Event[], eventId: number): number | undefined {
  let found: number | undefined;
  for (const e of events) {
    if (Number(e.eventId) >= eventId) break;
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) found = Number(e.eventId);
  }
  return found;
}

/** Resets the planned run to `plan.resetTo`, re-applying the updates and signals after it; returns the new run's ID. */
export async function applyRepair(client: Client, plan: RepairPlan, by: string): Promise<string> {
  if (plan.replays || plan.resetTo === undefined) throw new Refused(`${plan.workflowId} replays with this code: nothing to repair`);
  // Temporal resets any run it is given, ending the current one: a second apply of one plan (a retried
  // command) would throw away the repaired run. Only the run that was checked is reset.
  const current = (await client.workflow.getHandle(plan.workflowId).describe()).runId;
  if (current !== plan.runId) throw new Refused(`${plan.workflowId} is now in run ${current}, not the run ${plan.runId} that was checked: check it again`);
  // fromObject takes the event ID as a number (the request's int64 fields are Long objects).
  const request = temporal.api.workflowservice.v1.ResetWorkflowExecutionRequest.fromObject({
    namespace: client.options.namespace,
    workflowExecution: { workflowId: plan.workflowId, runId: plan.runId },
    workflowTaskFinishEventId: plan.resetTo,
    reason: `release-watch repair by ${by}: the history does not replay from event ${plan.failsAt}`,
    // The same reset asked twice (a retried call) is one reset.
    requestId: `repair-${plan.runId}-${plan.resetTo}`,
    resetReapplyType: temporal.api.enums.v1.ResetReapplyType.RESET_REAPPLY_TYPE_ALL_ELIGIBLE,
  });
  const reset = await (client.workflowService.resetWorkflowExecution(request) as Promise<temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse>);
  if (!reset.runId) throw new Error(`the reset of ${plan.workflowId} returned no run ID`);
  return reset.runId;
}

export function formatRepairPlan(p: RepairPlan): string {
  if (p.replays) return `${p.workflowId} (run ${p.runId}) replays with this code: nothing to repair`;
  return [
    `${p.workflowId} (run ${p.runId}) does not replay with this code:`,
    `  ${p.failure}`,
    `repair: reset to event ${p.resetTo} (the last workflow task before event ${p.failsAt}); Temporal runs that task again.`,
    `  redone: ${p.redone!.events} events after it are dropped and done again (${p.redone!.activities} activities, ${p.redone!.timers} timers);`,
    `  re-applied: ${p.reapplied!.updates} updates, ${p.reapplied!.signals} signals.`,
  ].join('\n');
}
