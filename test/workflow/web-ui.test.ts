// What the Temporal Web UI shows of a watch and its incidents, on the time-skipping server: an incident's
// summary stays true (the changing deadline is in its current details, to the second), and a watch
// waiting past its end says so rather than "hour 50/48".
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { acknowledge, decide, watchStatusOf } from '../../client/watches';
import type { Plan } from '../../plan/schema';
import { symphonyPlan } from '../helpers/plans';
import { waitForStatus } from '../helpers/world';
import { timeSkippingEnv, workflowBundle } from '../helpers/servers';
import { stubbedWatch } from '../helpers/stubs';

const HOUR = 3_600_000;
let env: TestWorkflowEnvironment;
let plan: Plan;

beforeAll(async () => {
  env = await timeSkippingEnv();
  plan = symphonyPlan();
  await workflowBundle();
});

afterAll(async () => {
  await env?.teardown();
});

/** The current details the Web UI shows (the SDK's built-in metadata query). */
async function details(workflowId: string): Promise<string> {
  const meta = (await env.client.workflow.getHandle(workflowId).query('__temporal_workflow_metadata')) as { currentDetails?: string };
  return meta.currentDetails ?? '';
}

test("an incident's summary names it; its deadline, in the current details, moves from ack to resolve", async () => {
  const outcome = (c: string, h: number) => (c === 'fast-pulse' && h >= 1 ? ({ outcome: 'fail', severity: 'critical' } as const) : 'ok');
  await stubbedWatch(env, plan)({ outcome }, async (id) => {
    await env.sleep(1 * HOUR + 60_000);
    const { incidents } = await watchStatusOf(env.client, id);
    const incident = env.client.workflow.getHandle(incidents[0].id);
    expect(await (await incident.describe()).staticSummary()).toBe('incident 1 · critical · services down');
    expect(await details(incidents[0].id)).toMatch(
      /^incident 1 · critical · services down · ack due \d\d:\d\d:\d\d UTC\n\nopen, held by duty-engineer$/,
    );
    await acknowledge(env.client, id, { incident: '1', by: 'duty-engineer' });
    expect(await details(incidents[0].id)).toMatch(/· resolve due \d\d:\d\d:\d\d UTC\n\nacknowledged, held by duty-engineer$/);
    expect(await (await incident.describe()).staticSummary()).toBe('incident 1 · critical · services down');
    // The incident reports the acknowledgement to its watch once its notification is out.
    await waitForStatus(env.client, id, (s) => s.incidents[0]?.state === 'acknowledged', 'the watch to see the acknowledgement', 30_000);
  });
});

test('a watch waiting for a decision past its end says so', async () => {
  const short: Plan = { ...plan, clock: { ...plan.clock, duration: '12h' }, checkpoints: plan.checkpoints.filter((c) => c.name === '12h') };
  await stubbedWatch(env, short)({}, async (id) => {
    await env.sleep(12 * HOUR + 10 * 60_000);
    expect(await details(id)).toMatch(/^\*\*symphony v1\.\w+\*\* · hour 12(\.\d)?\/12 · awaiting-decision/);
    await env.sleep(3 * HOUR);
    const past = await details(id);
    expect(past).toMatch(/^\*\*symphony v1\.\w+\*\* · past its end \(hour 12\) · awaiting-decision/);
    expect(past).not.toMatch(/hour 15/);
    await decide(env.client, id, { checkpoint: '12h', decision: 'continue', by: 'release-captain' });
  });
});
