// Deadlines that pass while no worker is up: an incident pages them together as soon as a worker is
// back, in one workflow task (one pass through its chain at most), and a checkpoint sends one
// reminder for all it missed.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { HOUR_MS_FOLDED, OVERDUE_ACK_MS, runFoldedRemindersScenario, runOverdueScenario } from '../helpers/overdue';
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

test('an incident back from a long outage pages its chain once and skips the rest of the missed deadlines on the grid', async () => {
  const run = await runOverdueScenario(env, 10);
  for (const id of [run.workflowId, run.incidentId]) await env.client.workflow.getHandle(id).terminate('test over');
  const { before, after } = run;
  const first = before.nextDeadlineAt!;
  // One pass through the chain (three people, and the rotation's `loops: 2` goes round them twice),
  // one page per step, at the first six missed deadlines.
  const overduePages = after.pages.slice(before.pages.length);
  expect(overduePages.map((p) => p.at)).toEqual([0, 1, 2, 3, 4, 5].map((k) => first + k * OVERDUE_ACK_MS));
  expect(new Set(overduePages.map((p) => p.to)).size).toBe(3);
  // The rest are recorded as skipped, and the next deadline is the first one ahead on the same grid.
  expect(after.skipped).toHaveLength(1);
  const [skipped] = after.skipped!;
  expect(skipped.from).toBe(first + 6 * OVERDUE_ACK_MS);
  expect(skipped.count).toBeGreaterThanOrEqual(4);
  expect(after.nextDeadlineAt).toBe(skipped.from + skipped.count * OVERDUE_ACK_MS);
  expect(after.nextDeadlineAt!).toBeGreaterThan(skipped.at);
  expect(skipped.at - after.nextDeadlineAt!).toBeGreaterThanOrEqual(-OVERDUE_ACK_MS);
});

test('checkpoint reminders that came due while no worker was up go out as one, numbered by the latest', async () => {
  const run = await runFoldedRemindersScenario(env, 3);
  await env.client.workflow.getHandle(run.workflowId).terminate('test over');
  const { before, after, stub } = run;
  const reminders = stub.notifications.filter((n) => n.kind === 'checkpoint-unanswered' && n.eventId.includes(':checkpoint:12h:'));
  // One before the outage, one after it for all that came due meanwhile: never one per missed deadline.
  expect(reminders).toHaveLength(2);
  const folded = after.folded ?? [];
  expect(folded.length).toBeGreaterThanOrEqual(2);
  expect(folded[0]).toBe(before.escalations + 1);
  expect(reminders[1].eventId).toMatch(new RegExp(`:escalation:${after.escalations}$`));
  expect(reminders[1].text).toContain(`${folded.length} earlier reminder(s) came due while release-watch was down`);
  // Every reminder number is either sent or folded into the one sent after it.
  expect([...folded, before.escalations, after.escalations].sort((a, b) => a - b)).toEqual(
    Array.from({ length: after.escalations }, (_, k) => k + 1),
  );
  // The next reminder stays on the checkpoint's grid.
  expect((Date.parse(after.deadline!) - Date.parse(before.deadline!)) % HOUR_MS_FOLDED).toBe(0);
});
