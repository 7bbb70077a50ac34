// Acknowledgement deadlines that pass while no worker is up are paged together as soon as one is back,
// in one workflow task, rather than one timer round trip after another. On the dev server: the
// time-skipping server does not move its clock while a workflow task waits for a worker.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startWatch, watchStatusOf } from '../../client/watches';
import type { IncidentRecord } from '../../core/incidents';
import type { Plan } from '../../plan/schema';
import { incidentQuery } from '../../workflows/definitions';
import { symphonyPlan } from '../helpers/plans';
import { devServerEnv, workflowBundle } from '../helpers/servers';
import { Stub, stubActivities } from '../helpers/stubs';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await devServerEnv();
  await workflowBundle();
});

afterAll(async () => {
  await env?.teardown();
});

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('deadlines that passed while no worker was up page at once when one is back', async () => {
  // A 4 s watch hour: the critical 15 min acknowledgement deadline is 1 s.
  const plan: Plan = { ...symphonyPlan(), clock: { hour: '4s', duration: '48h' } };
  const ackMs = 1_000;
  const stub: Stub = {
    calls: [],
    levers: [],
    notifications: [],
    documents: [],
    outcome: (c, h) => (c === 'fast-pulse' && h >= 1 ? { outcome: 'fail', severity: 'critical' } : 'ok'),
    hung: 0,
  };
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
  try {
    await (await worker()).runUntil(async () => {
      incidentId = await until(async () => (await watchStatusOf(env.client, workflowId)).incidents[0]?.id, 'the incident');
      before = await until(async () => {
        const rec = await incident(incidentId);
        return rec.nextDeadlineAt !== undefined ? rec : undefined;
      }, 'its first page');
    });
    // No worker while the next three deadlines pass.
    const lastMissed = before!.nextDeadlineAt! + 2 * ackMs;
    await until(async () => (Date.now() > lastMissed + 200 ? true : undefined), 'three deadlines to pass');
    await (await worker()).runUntil(async () => {
      const rec = await until(async () => {
        const r = await incident(incidentId);
        return r.pages.length >= before!.pages.length + 3 ? r : undefined;
      }, 'the overdue pages');
      const overdue = rec.pages.slice(before!.pages.length, before!.pages.length + 3);
      expect(overdue.map((p) => p.at)).toEqual([0, 1, 2].map((k) => before!.nextDeadlineAt! + k * ackMs));
    });
  } finally {
    for (const id of [workflowId, incidentId].filter(Boolean)) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  }
  // Sent in one workflow task: one workflow time for all three.
  const pages = stub.notifications.filter((n) => n.kind === 'incident-page' && n.eventId.startsWith(incidentId));
  const overdue = pages.slice(before!.pages.length, before!.pages.length + 3);
  expect(overdue).toHaveLength(3);
  expect(new Set(overdue.map((n) => n.at)).size).toBe(1);
});
