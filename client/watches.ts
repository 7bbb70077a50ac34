// Typed helpers over the Temporal client: what the CLI, the trigger endpoint, the demo and the tests use.
import { randomUUID } from 'node:crypto';
import {
  Client,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowHandle,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import type { Ack, IncidentRecord, Resolve } from '../core/incidents';
import type { Approve, Emergency, LeverRequest } from '../core/levers';
import type { Decide, Release } from '../core/messages';
import type { CheckpointState } from '../core/state';
import type { WatchStatus } from '../core/status';
import { rotationWindows } from '../plan/rotation-clock';
import type { Plan } from '../plan/schema';
import { Refused } from './errors';
import { signIfKeyed } from './keys';
import {
  approveUpdate,
  decideSignal,
  emergencyUpdate,
  decideUpdate,
  incidentAckUpdate,
  incidentResolveUpdate,
  IncidentView,
  REFUSED,
  SA,
  statusQuery,
  TASK_QUEUE,
} from '../workflows/definitions';
import type { watchWorkflow } from '../workflows/watch';

export { Refused };

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const COMMIT = /^[0-9a-f]{7,40}$/;

/** Checks release fields from outside before they go anywhere; throws Refused naming the bad field. */
export function checkRelease(r: Partial<Release>): Release {
  if (!r.service || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(r.service))
    throw new Refused(`service must be lower-case letters, digits and dashes (got ${JSON.stringify(r.service ?? '')})`);
  if (!r.version || !VERSION.test(r.version))
    throw new Refused(`release must be a plain tag such as v1.0 or 2024.11.3 (got ${JSON.stringify(r.version ?? '')})`);
  if (r.commit !== undefined && !COMMIT.test(r.commit))
    throw new Refused(`commit must be a hex SHA of 7-40 characters (got ${JSON.stringify(r.commit)})`);
  const deployedAt = r.deployedAt ?? new Date().toISOString();
  if (Number.isNaN(Date.parse(deployedAt))) throw new Refused(`deployedAt must be an ISO time (got ${JSON.stringify(deployedAt)})`);
  return { service: r.service, version: r.version, commit: r.commit, deployedAt };
}

export function watchIdFor(service: string, version: string): string {
  return `watch-${service}-${version}`.replace(/[^A-Za-z0-9._-]/g, '-');
}

export interface StartWatch {
  plan: Plan;
  release: Release;
  startedBy: string;
  id?: string;
  taskQueue?: string;
  continueAsNewAfterHours?: number;
}

export interface Started {
  workflowId: string;
  runId: string;
  /** false when the watch of this release already existed (a retried start). */
  started: boolean;
}

export async function startWatch(client: Client, req: StartWatch): Promise<Started> {
  const release = checkRelease(req.release);
  if (req.plan.service !== release.service)
    throw new Refused(`plan ${req.plan.name} watches service "${req.plan.service}", not "${release.service}"`);
  const workflowId = req.id ?? watchIdFor(release.service, release.version);
  const requestId = randomUUID();
  try {
    const handle = await client.workflow.start<typeof watchWorkflow>('watchWorkflow', {
      taskQueue: req.taskQueue ?? TASK_QUEUE,
      workflowId,
      args: [
        { plan: fromDeploy(req.plan, release), release, startedBy: req.startedBy, continueAsNewAfterHours: req.continueAsNewAfterHours },
      ],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A release is watched once: a start after its watch ended returns that watch.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      memo: { requestId },
      staticSummary: `${release.service} ${release.version}: ${req.plan.name} watch`,
      staticDetails: `Started by ${req.startedBy}. Deployed ${release.deployedAt}${release.commit ? `, commit ${release.commit}` : ''}.`,
      typedSearchAttributes: [
        { key: SA.service, value: release.service },
        { key: SA.release, value: release.version },
        { key: SA.phase, value: 'watching' },
        { key: SA.health, value: 'healthy' },
        { key: SA.openIncidents, value: 0 },
      ],
    });
    const memo = (await handle.describe()).memo as { requestId?: string } | undefined;
    return { workflowId, runId: handle.firstExecutionRunId, started: memo?.requestId === requestId };
  } catch (err) {
    const missing = missingSearchAttributes(err);
    if (missing) throw new Refused(`the namespace cannot hold a watch: ${missing}. Run \`release-watch setup\` once for this namespace`);
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      const desc = await client.workflow.getHandle(workflowId).describe();
      return { workflowId, runId: desc.runId, started: false };
    }
    throw err;
  }
}

/** The server's reason when the namespace lacks release-watch's search attributes, else undefined. */
function missingSearchAttributes(err: unknown): string | undefined {
  const cause = err instanceof ServiceError ? (err.cause as { code?: number; details?: string } | undefined) : undefined;
  const text = [(err as Error)?.message, cause?.details].filter(Boolean).join(': ');
  return /search attribute/i.test(text) && /not defined|unknown|no mapping|not found|invalid/i.test(text)
    ? (cause?.details ?? (err as Error).message)
    : undefined;
}

export function watchHandle(client: Client, id: string): WorkflowHandle<typeof watchWorkflow> {
  return client.workflow.getHandle<typeof watchWorkflow>(id);
}

/** How long a status query waits for a worker to answer (Temporal's own limit is 30 s). */
export const STATUS_TIMEOUT_MS = 10_000;

/**
 * The watch's status, answered by a worker. A query no worker takes gives up after `timeoutMs` with
 * an error that says so; a query that waits long for one is also what lets a worker apply events
 * outside a workflow task (test/replay/upstream.test.ts), so it should not wait long. A query the watch
 * refuses for a stale clock is sent again within the same time (retryStaleClock).
 */
export async function watchStatusOf(client: Client, id: string, events = 30, timeoutMs = STATUS_TIMEOUT_MS): Promise<WatchStatus> {
  const deadline = Date.now() + timeoutMs;
  return retryStaleClock(id, deadline, () => statusOnce(client, id, events, deadline, timeoutMs));
}

/** A watch refuses a query served on a stale clock (workflows/clock.ts): the message it says so with. */
const STALE_CLOCK = /stale workflow clock/;

/**
 * Runs `ask` again while the watch refuses it for a stale clock, until `deadline`. That refusal means
 * events reached the watch that its next workflow task (already due) has not run yet; once that task
 * ran, a query is answered. Waits 100 ms, then twice as long each time, at most 1 s.
 */
export async function retryStaleClock<T>(
  id: string,
  deadline: number,
  ask: () => Promise<T>,
  sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  now = Date.now,
): Promise<T> {
  for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
    try {
      return await ask();
    } catch (err) {
      if (!(err instanceof Error) || !STALE_CLOCK.test(err.message)) throw err;
      if (now() + wait >= deadline)
        throw new Error(
          `watch "${id}" did not answer in time: its worker has events it has not run yet, and it refuses a query on the clock before them; ` +
            `try again in a moment (${err.message})`,
        );
      await sleep(wait);
    }
  }
}

async function statusOnce(client: Client, id: string, events: number, deadline: number, timeoutMs: number): Promise<WatchStatus> {
  try {
    // An ended watch returned its final status: read from the server, no worker needed (its version's
    // workers may be gone, and a query would wait for them).
    const ended = await endedStatus(client, id, events);
    if (ended) return ended;
    return await client.withDeadline(deadline, () => watchHandle(client, id).query(statusQuery, events));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new Refused(`no watch "${id}"`);
    const cause = err instanceof ServiceError ? (err.cause as { code?: number; details?: string } | undefined) : undefined;
    const text = err instanceof Error ? [err.message, cause?.details].filter(Boolean).join(': ') : String(err);
    // The deadline passed, or the server gave up first: it times the query out itself, and refuses
    // (FAILED_PRECONDITION) on a task queue no worker has polled for a while.
    const noWorker =
      cause?.code === DEADLINE_EXCEEDED ||
      /timed out before a worker|poller/i.test(cause?.details ?? '') ||
      (cause?.code === CANCELLED && Date.now() >= deadline);
    if (noWorker) {
      throw new Error(
        `no worker answered for watch "${id}" within ${timeoutMs / 1000} s: is a release-watch worker running on its task queue? ` +
          '(its timers keep running; what comes due is acted on once a worker is back)',
      );
    }
    if (/Nondeterminism error/.test(text))
      throw new Error(`watch "${id}" does not replay with this code (${text}): see \`release-watch repair ${id}\``);
    // The SDK's message for a failed query says only that; the server's reason is in its cause.
    if (cause?.details) throw new Error(`${text} (gRPC code ${cause.code})`);
    throw err;
  }
}

/** The final status of a watch that completed (its workflow result), or undefined while it runs. */
export async function endedStatus(client: Client, id: string, events: number): Promise<WatchStatus | undefined> {
  const handle = watchHandle(client, id);
  if ((await handle.describe()).status.name !== 'COMPLETED') return undefined;
  const result = await handle.result();
  if (!result?.status) return undefined;
  return { ...result.status, events: result.status.events.slice(-events) };
}

// gRPC status codes
const CANCELLED = 1;
const DEADLINE_EXCEEDED = 4;

/**
 * Sends a decision as an Update; a refusal becomes Refused with the watch's reason. Requests in
 * a person's name are signed with their key when one is found (see keys.ts) and not yet signed.
 */
export async function decide(client: Client, id: string, d: Decide, updateId?: string): Promise<CheckpointState> {
  return update(client, id, decideUpdate, signIfKeyed(id, 'decide', d), updateId);
}

export async function decideBySignal(client: Client, id: string, d: Decide): Promise<void> {
  try {
    await watchHandle(client, id).signal(decideSignal, signIfKeyed(id, 'decide', d));
  } catch (err) {
    throw refusal(err, id);
  }
}

/** A refusal by the watch, or a watch that is not running, as Refused; anything else unchanged. */
export function refusal(err: unknown, id?: string): unknown {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === REFUSED) {
    return new Refused(err.cause.message);
  }
  if (err instanceof WorkflowNotFoundError)
    return new Refused(`no running watch "${id ?? err.workflowId}" (it has ended, or never started)`);
  return err;
}

/** `3`, `incident-3` or the incident's workflow ID: the incident workflow of watch `id` it names. */
export function incidentWorkflowId(id: string, ref: unknown): { incidentId: string; seq: number } | undefined {
  const text = typeof ref === 'string' || typeof ref === 'number' ? String(ref).trim() : '';
  const seq =
    /^(?:incident-)?(\d{1,6})$/.exec(text)?.[1] ??
    (text.startsWith(`${id}/incident-`) ? /^\d{1,6}$/.exec(text.slice(id.length + '/incident-'.length))?.[0] : undefined);
  return seq === undefined ? undefined : { incidentId: `${id}/incident-${Number(seq)}`, seq: Number(seq) };
}

/** Acknowledges an incident: the incident workflow itself takes it (it owns its state) and tells its watch. */
export async function acknowledge(client: Client, id: string, a: Ack, updateId?: string): Promise<IncidentView> {
  return answerIncident(client, id, incidentAckUpdate, signIfKeyed(id, 'ack', a), updateId);
}

export async function resolveIncident(client: Client, id: string, r: Resolve, updateId?: string): Promise<IncidentView> {
  return answerIncident(client, id, incidentResolveUpdate, signIfKeyed(id, 'resolve', r), updateId);
}

async function answerIncident<A extends Ack | Resolve>(
  client: Client,
  id: string,
  def: UpdateDefinition<IncidentRecord, [A]>,
  answer: A,
  updateId?: string,
): Promise<IncidentView> {
  const what =
    def === (incidentAckUpdate as unknown)
      ? 'an acknowledgement needs incident and by'
      : 'a resolution needs incident, by, root cause and resolution';
  if (!answer || typeof answer !== 'object') throw new Refused(what);
  const ref = answer.incident as unknown;
  if (ref === undefined || ref === null || (typeof ref === 'string' && !ref.trim())) throw new Refused('incident is required');
  const target = incidentWorkflowId(id, ref);
  if (!target)
    throw new Refused(
      `no incident ${JSON.stringify(String(ref).slice(0, 80))} in this watch (an incident is its number, incident-<n> or ${id}/incident-<n>)`,
    );
  try {
    const rec = await executeUpdate(client.workflow.getHandle(target.incidentId), def, [answer], updateId);
    return { id: target.incidentId, seq: target.seq, state: rec.state, holder: rec.holder };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw await closedIncident(client, target.incidentId, target.seq, ref);
    throw refusal(err, id);
  }
}

/** Why an incident cannot take an answer when its workflow is not running: resolved, ended otherwise, or never opened. */
async function closedIncident(client: Client, incidentId: string, seq: number, ref: unknown): Promise<Refused> {
  const status = await client.workflow
    .getHandle(incidentId)
    .describe()
    .then((d) => d.status.name)
    .catch(() => undefined);
  if (status === 'COMPLETED') return new Refused(`incident ${seq} is already resolved`);
  if (status) return new Refused(`incident ${seq} has ended (${status.toLowerCase()}) without a resolution`);
  return new Refused(`no incident ${JSON.stringify(String(ref))} in this watch`);
}

export async function emergency(client: Client, id: string, e: Emergency, updateId?: string): Promise<LeverRequest> {
  return update(client, id, emergencyUpdate, signIfKeyed(id, 'emergency', e), updateId);
}

export async function approveLever(client: Client, id: string, a: Approve, updateId?: string): Promise<LeverRequest> {
  return update(client, id, approveUpdate, signIfKeyed(id, 'approve', a), updateId);
}

/** Every human request is an Update with an id (a retried call is applied once); a refusal becomes Refused. */
async function update<Ret, Arg>(client: Client, id: string, def: UpdateDefinition<Ret, [Arg]>, arg: Arg, updateId?: string): Promise<Ret> {
  try {
    return await executeUpdate(watchHandle(client, id), def, [arg], updateId);
  } catch (err) {
    throw refusal(err, id);
  }
}

/** How many times an answer the SDK dropped is sent again (with the same update ID, so it applies once). */
export const DROPPED_UPDATE_RETRIES = 5;

/**
 * Sends an update. The known SDK 1.24 bug (docs/sdk-query-bug.md) can drop an update a worker took
 * ("wasn't processed by worker"): it is sent again with the same update ID, a bounded number of times,
 * so an answer is never lost to it and never applied twice.
 */
export async function executeUpdate<Ret, Args extends unknown[]>(
  handle: WorkflowHandle,
  def: UpdateDefinition<Ret, Args>,
  args: Args,
  updateId: string = randomUUID(),
  onDropped?: (attempt: number) => void,
): Promise<Ret> {
  for (let attempt = 1; ; attempt++) {
    try {
      // The SDK's overloads tell updates with and without arguments apart; both are sent the same way.
      return await handle.executeUpdate(def as unknown as UpdateDefinition<Ret, [unknown]>, {
        args: args as unknown as [unknown],
        updateId,
      });
    } catch (err) {
      if (attempt > DROPPED_UPDATE_RETRIES || !isDroppedUpdate(err)) throw err;
      onDropped?.(attempt);
    }
  }
}

/** The error of an update the worker's SDK dropped rather than accepted or refused. */
export function isDroppedUpdate(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (/wasn'?t processed by worker|was not processed by worker/i.test(String((e as Error).message ?? ''))) return true;
  }
  return false;
}

/** The plan as the watch runs it: a wall-clock rotation's windows counted from this release's deploy. */
export function fromDeploy(plan: Plan, release: Release): Plan {
  if (!plan.rotation.zone) return plan;
  return { ...plan, rotation: { ...plan.rotation, windows: rotationWindows(plan.rotation, plan.clock, Date.parse(release.deployedAt)) } };
}
