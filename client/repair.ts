// Recovering a watch (or incident) whose history no longer replays: a worker that has to rebuild it
// (after a restart, or to answer a status query) fails on a nondeterminism error, and the workflow
// stops until someone acts. `planRepair` replays the latest run with this code to find the event it
// fails on; `applyRepair` resets the run to the last workflow task before that event, so Temporal runs
// that task again with this code and re-applies the updates and signals that came after it.
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { WorkflowBundle } from '@temporalio/worker';
import { Refused } from './watches';

type Event = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export interface RepairPlan {
  workflowId: string;
  runId: string;
  /** The run's status: RUNNING, COMPLETED, ... */
  status: string;
  /** The latest run replays with this code: there is nothing to repair. */
  replays: boolean;
  /** The replay's error, when it does not. */
  failure?: string;
  /** The history event the replay fails on. */
  failsAt?: number;
  /** The server's history shows a workflow task failing on it (the workflow is stuck), not only this replay. */
  stuck?: boolean;
  /** The WorkflowTaskCompleted event the reset goes back to: the last one before `failsAt`. */
  resetTo?: number;
  /** What the reset drops (events from `resetTo` on) and the workflow then does again. */
  redone?: { events: number; activities: number; timers: number; incidentsOpened: number; signalsSent: number };
  /** Updates and signals after `resetTo`, which Temporal re-applies to the new run. */
  reapplied?: { updates: number; signals: number };
  /** Why the reset needs `force`; empty when it does not. */
  cautions?: string[];
}

/** Replays the latest run of `workflowId` with `bundle` (the code the workers run) and plans the reset that repairs it. */
export async function planRepair(client: Client, workflowId: string, bundle: WorkflowBundle): Promise<RepairPlan> {
  let described: Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['describe']>>;
  try {
    described = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new Refused(`no workflow "${workflowId}"`);
    throw err;
  }
  const history = await client.workflow.getHandle(workflowId, described.runId).fetchHistory();
  return planFromHistory(workflowId, described.runId, described.status.name, history, bundle);
}

/** The repair of one run, from its history (see planRepair). */
export async function planFromHistory(
  workflowId: string,
  runId: string,
  status: string,
  history: temporal.api.history.v1.IHistory,
  bundle: WorkflowBundle,
): Promise<RepairPlan> {
  const { Worker } = await import('@temporalio/worker');
  try {
    await Worker.runReplayHistory({ workflowBundle: bundle, replayName: `repair ${workflowId}` }, history, workflowId);
    return { workflowId, runId, status, replays: true };
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    const failure = replayFailureReason(message);
    const named = /HistoryEvent\(id: (\d+)/.exec(message)?.[1];
    // Some nondeterminism errors name no event ("Activity type of scheduled event 'runTier' does not
    // match ... 'notify'"): the task is then found by replaying ever longer parts of the history.
    const at = named ?? (/\[TMPRL1100\]/.test(message) ? await firstDivergentTask(workflowId, history, bundle) : undefined);
    if (!at) {
      throw new Refused(
        `${workflowId} does not replay, but not on a history event, so a reset would not help (fix the workflow code): ${failure}`,
      );
    }
    const failsAt = Number(at);
    const events = history.events ?? [];
    const resetTo = lastTaskCompletedBefore(events, failsAt);
    if (resetTo === undefined)
      throw new Refused(`${workflowId} fails on event ${failsAt}, before its first completed workflow task: reset cannot repair it`);
    const dropped = events.filter((e) => Number(e.eventId) >= resetTo);
    const count = (type: temporal.api.enums.v1.EventType) => dropped.filter((e) => e.eventType === type).length;
    const stuck = events.some(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED &&
        e.workflowTaskFailedEventAttributes?.cause ===
          temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR &&
        (named
          ? (e.workflowTaskFailedEventAttributes?.failure?.message ?? '').includes(`HistoryEvent(id: ${failsAt},`)
          : Number(e.eventId) > failsAt),
    );
    const redone = {
      events: dropped.length,
      activities: count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
      timers: count(EventType.EVENT_TYPE_TIMER_STARTED),
      incidentsOpened: count(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED),
      signalsSent: count(EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED),
    };
    const cautions: string[] = [];
    if (status !== 'RUNNING') cautions.push(`it has ended (${status}): the reset runs it again from that task to its end`);
    if (status === 'RUNNING' && !stuck) {
      cautions.push(
        'no workflow task has failed on it yet (the workers hold it in memory): make sure this release-watch is the version the workers run',
      );
    }
    if (redone.incidentsOpened > 0) {
      cautions.push(
        `${redone.incidentsOpened} incident(s) were opened after that task: the re-run opens them again (one still open goes on as it is; one resolved opens and pages again)`,
      );
    }
    return {
      workflowId,
      runId,
      status,
      replays: false,
      failure,
      failsAt,
      stuck,
      resetTo,
      redone,
      reapplied: {
        updates: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
        signals: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
      },
      cautions,
    };
  }
}

/** The core's one-line reason ("[TMPRL1100] Nondeterminism error: ...") out of the long dump the SDK wraps it in. */
export function replayFailureReason(message: string): string {
  return /\[TMPRL\d+\][^"]*/.exec(message)?.[0] ?? message;
}

/**
 * The first event of the commands of the first workflow task whose commands this code does not
 * reproduce: the smallest history prefix that fails to replay, found by bisection over the completed
 * workflow tasks. Each prefix ends at the task started after the one it checks, so the SDK compares that
 * task's commands with the events that recorded them.
 */
async function firstDivergentTask(
  workflowId: string,
  history: temporal.api.history.v1.IHistory,
  bundle: WorkflowBundle,
): Promise<number | undefined> {
  const { Worker } = await import('@temporalio/worker');
  const events = history.events ?? [];
  const completed = events.flatMap((e, ix) => (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED ? [ix] : []));
  const prefixThrough = (ix: number) => {
    const next = events.findIndex((e, j) => j > ix && e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    return { events: next < 0 ? events : events.slice(0, next + 1) };
  };
  const replays = async (ix: number) =>
    Worker.runReplayHistory({ workflowBundle: bundle, replayName: `repair ${workflowId} to ${ix}` }, prefixThrough(ix), workflowId).then(
      () => true,
      () => false,
    );
  // completed[lo] replays (or lo = -1), completed[hi] does not.
  let lo = -1;
  let hi = completed.length - 1;
  if (hi < 0 || (await replays(completed[hi]))) return undefined;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (await replays(completed[mid])) lo = mid;
    else hi = mid;
  }
  return Number(events[completed[hi]].eventId) + 1;
}

function lastTaskCompletedBefore(events: Event[], eventId: number): number | undefined {
  let found: number | undefined;
  for (const e of events) {
    if (Number(e.eventId) >= eventId) break;
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) found = Number(e.eventId);
  }
  return found;
}

/**
 * Resets the planned run to `plan.resetTo`, re-applying the updates and signals after it; returns the
 * new run's ID. A plan with cautions needs `force`.
 */
export async function applyRepair(client: Client, plan: RepairPlan, by: string, force = false): Promise<string> {
  if (plan.replays || plan.resetTo === undefined) throw new Refused(`${plan.workflowId} replays with this code: nothing to repair`);
  if (plan.cautions?.length && !force) throw new Refused(`not resetting ${plan.workflowId} without --force: ${plan.cautions.join('; ')}`);
  // Temporal resets any run it is given, ending the current one: a second apply of one plan (a retried
  // command) would throw away the repaired run. Only the run that was checked is reset (a repair from
  // elsewhere between this check and the reset is not excluded, only unlikely).
  const current = (await client.workflow.getHandle(plan.workflowId).describe()).runId;
  if (current !== plan.runId)
    throw new Refused(`${plan.workflowId} is now in run ${current}, not the run ${plan.runId} that was checked: check it again`);
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
  const reset = await (client.workflowService.resetWorkflowExecution(
    request,
  ) as Promise<temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse>);
  if (!reset.runId) throw new Error(`the reset of ${plan.workflowId} returned no run ID`);
  return reset.runId;
}

export function formatRepairPlan(p: RepairPlan): string {
  if (p.replays) return `${p.workflowId} (run ${p.runId}, ${p.status}) replays with this code: nothing to repair`;
  const r = p.redone!;
  return [
    `${p.workflowId} (run ${p.runId}, ${p.status}) does not replay with this code${p.stuck ? ', and its workflow tasks fail on it: it is stuck' : ''}:`,
    `  ${p.failure}`,
    `repair: reset to event ${p.resetTo} (the last workflow task before event ${p.failsAt}); Temporal runs that task again.`,
    `  redone: ${r.events} events from it on are dropped and done again (${r.activities} activities, ${r.timers} timers, ${r.incidentsOpened} incidents opened, ${r.signalsSent} signals sent);`,
    `  re-applied: ${p.reapplied!.updates} updates, ${p.reapplied!.signals} signals.`,
    ...(p.cautions ?? []).map((c) => `  caution: ${c}`),
  ].join('\n');
}
