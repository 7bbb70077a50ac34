// Acknowledgement deadlines that pass while no worker is up are paged together as soon as one is back,
// in one workflow task, rather than one timer round trip after another.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { OVERDUE_ACK_MS, runOverdueScenario } from '../helpers/overdue';
import { devServerEnv, workflowBundle } from '../helpers/servers';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await devServerEnv();
  await workflowBundle();
});

afterAll(async () => {
  await env?.teardown();
});

test('deadlines that passed while no worker was up page at once when one is back', async () => {
  const run = await runOverdueScenario(env);
  for (const id of [run.workflowId, run.incidentId]) await env.client.workflow.getHandle(id).terminate('test over');
  const { before, after, stub } = run;
  const overduePages = after.pages.slice(before.pages.length, before.pages.length + 3);
  expect(overduePages.map((p) => p.at)).toEqual([0, 1, 2].map((k) => before.nextDeadlineAt! + k * OVERDUE_ACK_MS));
  // Sent in one workflow task: one workflow time for all three.
  const sent = stub.notifications.filter((n) => n.kind === 'incident-page' && n.eventId.startsWith(run.incidentId));
  const overdue = sent.slice(before.pages.length, before.pages.length + 3);
  expect(overdue).toHaveLength(3);
  expect(new Set(overdue.map((n) => n.at)).size).toBe(1);
});
