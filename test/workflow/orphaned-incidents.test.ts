// An incident outlives its watch (an abandoned child workflow): once the watch has ended, answers go
// to the incident itself, which validates and verifies them as the watch would have. On a server of
// its own: after an incident resolved this way, the time-skipping server stopped skipping time for
// the next test in the same server (seen with 1.40.0; the dev server has no such clock).
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readKeyFile, signRequest } from '../../client/keys';
import { acknowledge, resolveIncident, watchStatusOf } from '../../client/watches';
import type { Plan } from '../../plan/schema';
import { incidentQuery } from '../../workflows/definitions';
import { symphonyPlan } from '../helpers/plans';
import { timeSkippingEnv, workflowBundle } from '../helpers/servers';
import { Scripted, stubbedWatch } from '../helpers/stubs';

const KEYS = join(__dirname, '..', '..', 'plans', 'keys');
let env: TestWorkflowEnvironment;
let plan: Plan;
const withWatch: ReturnType<typeof stubbedWatch> = (opts, body) => stubbedWatch(env, plan)(opts, body);

beforeAll(async () => {
  env = await timeSkippingEnv();
  plan = symphonyPlan();
  await workflowBundle();
});

afterAll(async () => {
  await env?.teardown();
});

const incident = (id: string) => env.client.workflow.getHandle(id).query(incidentQuery);
const failing =
  (check: string, hour: number) =>
  (c: string, h: number): Scripted =>
    c === check && h >= hour ? { outcome: 'fail', severity: 'critical' } : 'ok';

test('an incident outlives its watch: it is still answered by the incident itself, validated and signed the same way', async () => {
  // A three-hour watch with no checkpoints: it completes at hour 3 with incident 1 (hour 2) still open.
  const short = { ...plan, clock: { ...plan.clock, duration: '3h' }, checkpoints: [] };
  const stub = await withWatch({ plan: short, outcome: failing('fast-pulse', 2) }, async (id) => {
    expect(await env.client.workflow.getHandle(id).result()).toMatchObject({ phase: 'completed', incidents: 1 });
    const incidentId = (await watchStatusOf(env.client, id)).incidents[0].id;
    expect((await incident(incidentId)).state).toBe('open');

    const refusedWith = async (call: () => Promise<unknown>) => ((await call().catch((e: unknown) => e)) as Error).message;
    expect(await refusedWith(() => acknowledge(env.client, id, { incident: '1', by: 'mallory' }))).toBe(
      "mallory is not on the plan's roster",
    );
    expect(await refusedWith(() => acknowledge(env.client, id, { incident: '2', by: 'duty-engineer' }))).toBe(
      'no incident "2" in this watch',
    );
    const forged = signRequest(id, 'ack', { incident: '1', by: 'duty-engineer' }, readKeyFile(join(KEYS, 'policy-steward.key')));
    expect(await refusedWith(() => acknowledge(env.client, id, forged))).toMatch(
      /^signature does not verify with duty-engineer's public key/,
    );
    expect((await incident(incidentId)).state).toBe('open');

    const acked = await acknowledge(env.client, id, { incident: '1', by: 'duty-engineer' });
    expect(acked).toEqual({ id: incidentId, seq: 1, state: 'acknowledged', holder: 'duty-engineer' });
    const resolved = await resolveIncident(env.client, id, {
      incident: `${id}/incident-1`,
      by: 'duty-engineer',
      rootCause: 'ollama OOM',
      resolution: 'restarted',
    });
    expect(resolved).toMatchObject({ state: 'resolved', holder: 'duty-engineer' });
    expect(await env.client.workflow.getHandle(incidentId).result()).toMatchObject({
      state: 'resolved',
      resolvedBy: 'duty-engineer',
      rootCause: 'ollama OOM',
    });
  });
  expect(stub.documents).toHaveLength(1);
  expect(stub.documents[0].markdown).toContain('**Root Cause:** ollama OOM');
});
