// Reading workflow histories for the bench: event times, types and encoded sizes, the runs of a
// continued-as-new chain, and workflow-task schedule-to-start latencies.
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
export type History = temporal.api.history.v1.IHistory;
const { EventType } = temporal.api.enums.v1;

export function eventMs(e: HistoryEvent): number {
  return Number(e.eventTime!.seconds) * 1000 + Math.round((e.eventTime!.nanos ?? 0) / 1e6);
}

/** `WorkflowTaskCompleted` for EVENT_TYPE_WORKFLOW_TASK_COMPLETED. */
export function eventName(e: HistoryEvent): string {
  const raw = EventType[e.eventType ?? 0] ?? `EVENT_TYPE_${e.eventType}`;
  return raw
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

/** Bytes of the event as the server stores it (protobuf). */
export function eventBytes(e: HistoryEvent): number {
  return temporal.api.history.v1.HistoryEvent.encode(e).finish().length;
}

export interface Run {
  runId: string;
  events: HistoryEvent[];
}

/** Every run of a workflow from its first, following continue-as-new. */
export async function fetchRuns(client: Client, workflowId: string, firstRunId: string): Promise<Run[]> {
  const runs: Run[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: HistoryEvent[] = history.events ?? [];
    runs.push({ runId, events });
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

export function countBy(events: HistoryEvent[], key: (e: HistoryEvent) => string = eventName): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[key(e)] = (out[key(e)] ?? 0) + 1;
  return out;
}

/** Bytes per event type. */
export function bytesBy(events: HistoryEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[eventName(e)] = (out[eventName(e)] ?? 0) + eventBytes(e);
  return out;
}

/** WorkflowTaskScheduled → WorkflowTaskStarted (ms) of the tasks scheduled in [from, to). */
export function scheduleToStart(events: HistoryEvent[], from = -Infinity, to = Infinity): number[] {
  const scheduled = new Map<number, number>();
  const out: number[] = [];
  for (const e of events) {
    if (e.workflowTaskScheduledEventAttributes) scheduled.set(Number(e.eventId), eventMs(e));
    const started = e.workflowTaskStartedEventAttributes;
    if (started) {
      const at = scheduled.get(Number(started.scheduledEventId));
      if (at !== undefined && at >= from && at < to) out.push(eventMs(e) - at);
    }
  }
  return out;
}

/** Workflow tasks completed in [from, to). */
export function tasksCompleted(events: HistoryEvent[], from: number, to: number): number {
  let n = 0;
  for (const e of events) {
    if (e.workflowTaskCompletedEventAttributes) {
      const at = eventMs(e);
      if (at >= from && at < to) n++;
    }
  }
  return n;
}

export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
