// An incident nobody answers pages for as long as it takes; once its history is long the server
// suggests continuing as new, and it does, without missing, moving or doubling a page, and the next
// run takes the acknowledgement. On a dev server that suggests it after 150 events (4,096 by default).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { acknowledge } from '../../client/watches';
import { OVERDUE_ACK_MS } from '../helpers/overdue';
import { LongIncidentRun, runLongIncidentScenario, SUGGEST_CONTINUE_AS_NEW_AT } from '../helpers/long-incident';
import { devServerEnv, workflowBundle } from '../helpers/servers';

let env: TestWorkflowEnvironment;
let run: LongIncidentRun;

beforeAll(async () => {
  env = await devServerEnv({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_CONTINUE_AS_NEW_AT } });
  await workflowBundle();
  run = await runLongIncidentScenario(env, 3, 2);
}, 180_000);

afterAll(async () => {
  for (const id of [run?.workflowId, run?.incidentId].filter(Boolean))
    await env.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  await env?.teardown();
});

test('an unanswered incident continues as new when its history is long, each run under the suggested length', async () => {
  expect(run.runIds.length).toBeGreaterThanOrEqual(3);
  for (const runId of run.runIds.slice(0, -1)) {
    const events = (await env.client.workflow.getHandle(run.incidentId, runId).fetchHistory()).events ?? [];
    expect(events[events.length - 1].workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    // It continues once its work in flight has settled, a few tasks after the suggestion at most.
    expect(events.length).toBeLessThan(SUGGEST_CONTINUE_AS_NEW_AT * 1.5);
  }
});

test('its pages keep the SLA grid across the runs: none missed, moved, doubled or skipped', async () => {
  const { rec, stub, incidentId } = run;
  const [opened, ...escalations] = rec.pages;
  expect(escalations.length).toBeGreaterThan(10);
  expect(escalations.map((p) => p.at)).toEqual(escalations.map((_, k) => opened.at + (k + 1) * OVERDUE_ACK_MS));
  expect(rec.skipped ?? []).toEqual([]);
  // Every page notified once, under its own event ID.
  const sent = stub.notifications.filter((n) => n.kind === 'incident-page' && n.eventId.startsWith(`${incidentId}:`)).map((n) => n.eventId);
  expect(new Set(sent).size).toBe(sent.length);
  expect(sent.length).toBeGreaterThanOrEqual(rec.pages.length - 1); // the last page may still be on its way
});

test('the latest run takes the acknowledgement through the watch', async () => {
  const incident = run.incidentId.slice(run.incidentId.lastIndexOf('-') + 1);
  const view = await (await run.worker()).runUntil(() => acknowledge(env.client, run.workflowId, { incident, by: run.rec.holder }));
  expect(view.state).toBe('acknowledged');
});
