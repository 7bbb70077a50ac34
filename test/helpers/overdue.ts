// A watch whose incident's acknowledgement deadlines pass while no worker is up: on the dev server
// (the time-skipping server does not move its clock while a workflow task waits for a worker). Used
// by the overdue-pages test and by scripts/record-histories.ts.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startWatch, watchStatusOf } from '../../client/watches';
import type { IncidentRecord } from '../../core/incidents';
import type { Plan } from '../../plan/schema';
import { incidentQuery } from '../../workflows/definitions';
import { symphonyPlan } from './plans';
import { workflowBundle } from './servers';
import { until } from './poll';
import { newStub, Stub, stubActivities } from './stubs';

/** A 4 s watch hour: the critical 15 min acknowledgement deadline is 1 s. */
export const OVERDUE_ACK_MS = 1_000;

export interface OverdueRun {
  workflowId: string;
  incidentId: string;
  /** The incident as the first worker left it. */
  before: IncidentRecord;
  /** The incident once the second worker has paged the missed deadlines (at most one pass through its chain). */
  after: IncidentRecord;
  stub: Stub;
}

/**
 * The fast pulse fails from hour 1; once its incident has paged, the worker stops while the next
 * `missed` deadlines pass, then a new worker takes over. Resolves with both views of the incident,
 * both workflows still running (the caller ends them).
 */
export async function runOverdueScenario(env: TestWorkflowEnvironment, missed = 3): Promise<OverdueRun> {
  const plan: Plan = { ...symphonyPlan(), clock: { hour: '4s', duration: '48h' } };
  const stub = newStub((c, h) => (c === 'fast-pulse' && h >= 1 ? { outcome: 'fail', severity: 'critical' } : 'ok'));
  const taskQueue = `tq-${randomUUID()}`;
  const worker = async () => Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: stubActivities(stub) });
  const { workflowId } = await startWatch(env.client, {
    plan,
    release: { service: 'symphony', version: `v1.${randomUUID().slice(0, 8)}`, deployedAt: new Date().toISOString() },
    startedBy: 'test',
    taskQueue,
  });
  const incident = (id: string) => env.client.workflow.getHandle(id).query(incidentQuery);
  let incidentId = '';
  let before: IncidentRecord | undefined;
  let after: IncidentRecord | undefined;
  await (await worker()).runUntil(async () => {
    incidentId = await until(async () => (await watchStatusOf(env.client, workflowId)).incidents[0]?.id, 'the incident');
    before = await until(async () => {
      const rec = await incident(incidentId);
      return rec.nextDeadlineAt !== undefined ? rec : undefined;
    }, 'its first page');
  });
  // The outage itself: no worker while the deadlines pass.
  const lastMissed = before!.nextDeadlineAt! + (missed - 1) * OVERDUE_ACK_MS;
  await until(async () => (Date.now() > lastMissed + 200 ? true : undefined), `${missed} deadlines to pass`);
  await (await worker()).runUntil(async () => {
    after = await until(async () => {
      const r = await incident(incidentId);
      return r.pages.length >= before!.pages.length + Math.min(missed, 6) && r.nextDeadlineAt! > lastMissed ? r : undefined;
    }, 'the overdue pages');
  });
  return { workflowId, incidentId, before: before!, after: after!, stub };
}
