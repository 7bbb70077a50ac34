// What the console reads from Temporal, and how often. Describe, list, the task queue's pollers and the
// start event are served by the Temporal server without a worker; only `status` is a query a worker
// answers (or, for an ended watch, the watch's result). Each call is counted, so a bench can say how
// many status queries a watch gets.
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import type { WatchInput } from '../../core/messages';
import type { WatchStatus } from '../../core/status';
import type { Plan } from '../../plan/schema';
import { listWatches, type WatchRow } from '../list';
import { Refused, watchStatusOf } from '../watches';
import { SA } from '../../workflows/definitions';

export interface Described {
  runId: string;
  /** RUNNING, COMPLETED, TERMINATED, … */
  status: string;
  historyLength: number;
  taskQueue: string;
  startTime: string;
  closeTime?: string;
  attributes: { service?: string; release?: string; phase?: string; health?: string; openIncidents?: number };
}

export interface Filter {
  service?: string;
  release?: string;
  phase?: string;
}

export interface WatchSource {
  describe(id: string): Promise<Described>;
  /** Workflow pollers seen on the task queue within the last `recentMs`. */
  pollers(taskQueue: string): Promise<number>;
  status(id: string): Promise<WatchStatus>;
  /** The plan the current run was started with (its input), or undefined. */
  plan(id: string, runId: string): Promise<Plan | undefined>;
  list(filter: Filter): Promise<WatchRow[]>;
  counts: Record<'describe' | 'pollers' | 'status' | 'plan' | 'list', number>;
}

/** A poller counts while it polled this recently: an idle worker's long poll lasts about a minute. */
export const POLLER_RECENT_MS = 90_000;

export function temporalSource(
  client: Client,
  opts: { statusTimeoutMs?: number; events?: number; pollersCacheMs?: number; now?: () => number } = {},
): WatchSource {
  const counts = { describe: 0, pollers: 0, status: 0, plan: 0, list: 0 };
  const now = opts.now ?? Date.now;
  // Pollers are per task queue, shared by every watch on it: asked at most once per pollersCacheMs.
  const pollerCache = new Map<string, { at: number; n: Promise<number> }>();
  return {
    counts,
    async describe(id) {
      counts.describe++;
      try {
        const d = await client.workflow.getHandle(id).describe();
        const sa = d.typedSearchAttributes;
        return {
          runId: d.runId,
          status: d.status.name,
          historyLength: d.historyLength,
          taskQueue: d.taskQueue,
          startTime: d.startTime.toISOString(),
          closeTime: d.closeTime?.toISOString(),
          attributes: {
            service: sa.get(SA.service),
            release: sa.get(SA.release),
            phase: sa.get(SA.phase),
            health: sa.get(SA.health),
            openIncidents: sa.get(SA.openIncidents),
          },
        };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new Refused(`no watch "${id}"`);
        throw err;
      }
    },
    pollers(taskQueue) {
      const cached = pollerCache.get(taskQueue);
      if (cached && now() - cached.at < (opts.pollersCacheMs ?? 5_000)) return cached.n;
      counts.pollers++;
      const n = client.workflowService
        .describeTaskQueue({
          namespace: client.options.namespace,
          taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        })
        .then((r) => (r.pollers ?? []).filter((p) => recent(p.lastAccessTime, now())).length);
      n.catch(() => pollerCache.delete(taskQueue));
      pollerCache.set(taskQueue, { at: now(), n });
      return n;
    },
    status(id) {
      counts.status++;
      return watchStatusOf(client, id, opts.events ?? 30, opts.statusTimeoutMs ?? 5_000);
    },
    async plan(id, runId) {
      counts.plan++;
      const page = await client.workflowService.getWorkflowExecutionHistory({
        namespace: client.options.namespace,
        execution: { workflowId: id, runId },
        maximumPageSize: 1,
      });
      const payloads = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
      if (!payloads?.length) return undefined;
      const input = await decodeFromPayloadsAtIndex<WatchInput>(client.options.loadedDataConverter, 0, payloads);
      return input?.plan;
    },
    list(filter) {
      counts.list++;
      return listWatches(client, { ...filter, limit: 200 });
    },
  };
}

function recent(at: { seconds?: unknown; nanos?: number | null } | null | undefined, now: number): boolean {
  const seconds = Number(at?.seconds ?? 0);
  if (!seconds) return false;
  return now - (seconds * 1000 + Math.floor((at?.nanos ?? 0) / 1e6)) < POLLER_RECENT_MS;
}
