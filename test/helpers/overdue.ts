// Deadlines that pass while no worker is up: an incident's acknowledgement deadlines, a checkpoint's
// reminders. On the dev server (the time-skipping server does not move its clock while a workflow
// task waits for a worker). Used by the overdue tests and by scripts/record-histories.ts.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startWatch, watchStatusOf } from '../../client/watches';
import type { IncidentRecord } from '../../core/incidents';
import type { WatchStatus } from '../../core/status';
import type { Plan } from '../../plan/schema';
import { incidentQuery } from '../../workflows/definitions';
import { symphonyPlan } from './plans';
import { workflowBundle } from './servers';
import { until } from './poll';
import { newStub, Stub, stubActivities } from './stubs';

/** A 4 s watch hour: the critical 15 min acknowledgement deadline is 1 s. */
export const OVERDUE_ACK_MS = 1_000;

/** The folded-reminders scenario's watch hour, which is also its 12 h checkpoint's reminder spacing. */
export const HOUR_MS_FOLDED = 1_000;

export interface OverdueRun {
  workflowId: string;
  incidentId: string;
  /** The incident as the first worker left it. */
  before: IncidentRecord;
  /** The incident once the second worker has paged the missed deadlines (at most one pass through its chain). */
  after: IncidentRecord;
  stub: Stub;
}

/** A Symphony watch with a `hour`-long watch hour on its own task queue, and a way to start a worker for it. */
export async function startStubbedWatch(env: TestWorkflowEnvironment, hour: string, stub: Stub) {
  const plan: Plan = { ...symphonyPlan(), clock: { hour, duration: '48h' } };
  const taskQueue = `tq-${randomUUID()}`;
  const worker = async () =>
    Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: stubActivities(stub),
    });
  const { workflowId } = await startWatch(env.client, {
    plan,
    release: { service: 'symphony', version: `v1.${randomUUID().slice(0, 8)}`, deployedAt: new Date().toISOString() },
    startedBy: 'test',
    taskQueue,
  });
  return { workflowId, worker };
}

/**
 * The fast pulse fails from hour 1; once its incident has paged, the worker stops while the next
 * `missed` deadlines pass, then a new worker takes over. Resolves with both views of the incident,
 * both workflows still running (the caller ends them).
 */
export async function runOverdueScenario(env: TestWorkflowEnvironment, missed = 3): Promise<OverdueRun> {
  const stub = newStub((c, h) => (c === 'fast-pulse' && h >= 1 ? { outcome: 'fail', severity: 'critical' } : 'ok'));
  const { workflowId, worker } = await startStubbedWatch(env, '4s', stub);
  const incident = (id: string) => env.client.workflow.getHandle(id).query(incidentQuery);
  let incidentId = '';
  let before: IncidentRecord | undefined;
  let after: IncidentRecord | undefined;
  await (
    await worker()
  ).runUntil(async () => {
    incidentId = await until(async () => (await watchStatusOf(env.client, workflowId)).incidents[0]?.id, 'the incident');
    before = await until(async () => {
      const rec = await incident(incidentId);
      return rec.nextDeadlineAt !== undefined ? rec : undefined;
    }, 'its first page');
  });
  // The outage itself: no worker while the deadlines pass.
  const lastMissed = before!.nextDeadlineAt! + (missed - 1) * OVERDUE_ACK_MS;
  await until(async () => (Date.now() > lastMissed + 200 ? true : undefined), `${missed} deadlines to pass`);
  await (
    await worker()
  ).runUntil(async () => {
    after = await until(async () => {
      const r = await incident(incidentId);
      return r.pages.length >= before!.pages.length + Math.min(missed, 6) && r.nextDeadlineAt! > lastMissed ? r : undefined;
    }, 'the overdue pages');
  });
  return { workflowId, incidentId, before: before!, after: after!, stub };
}

export interface FoldedRemindersRun {
  workflowId: string;
  /** The 12 h checkpoint as the first worker left it (one reminder sent). */
  before: WatchStatus['checkpoints'][number];
  /** The checkpoint once the second worker has reminded again. */
  after: WatchStatus['checkpoints'][number];
  stub: Stub;
}

/**
 * A watch on a 1 s hour whose 12 h checkpoint (a 1 h reminder deadline) goes unanswered: after its
 * first reminder the worker stops while `missed` more reminders come due, then a new worker takes
 * over. Resolves with both views of the checkpoint, the watch still running (the caller ends it).
 */
export async function runFoldedRemindersScenario(env: TestWorkflowEnvironment, missed = 3): Promise<FoldedRemindersRun> {
  const stub = newStub();
  const { workflowId, worker } = await startStubbedWatch(env, '1s', stub);
  const checkpoint = async (ready: (c: WatchStatus['checkpoints'][number]) => boolean) => {
    const c = (await watchStatusOf(env.client, workflowId)).checkpoints.find((x) => x.name === '12h')!;
    return ready(c) ? c : undefined;
  };
  const before = await (await worker()).runUntil(() => until(() => checkpoint((c) => c.escalations >= 1), 'the first reminder'));
  // The outage itself: no worker while the reminders come due.
  const lastMissed = Date.parse(before.deadline!) + (missed - 1) * HOUR_MS_FOLDED;
  await until(async () => (Date.now() > lastMissed + 200 ? true : undefined), `${missed} reminders to come due`);
  const after = await (
    await worker()
  ).runUntil(() => until(() => checkpoint((c) => c.escalations > before.escalations), 'the reminder after the outage'));
  return { workflowId, before, after, stub };
}
