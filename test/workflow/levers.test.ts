// Emergency levers on the time-skipping server: approvals, expiry, the automatic restart, detection.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { approveLever, decide, emergency, Refused, watchStatusOf } from '../../client/watches';
import type { Plan } from '../../plan/schema';
import { symphonyPlan } from '../helpers/plans';
import { timeSkippingEnv, workflowBundle } from '../helpers/servers';
import { Scripted, stubbedWatch } from '../helpers/stubs';

const HOUR = 3_600_000;
const MIN = 60_000;
let env: TestWorkflowEnvironment;
let plan: Plan;
const withWatch: ReturnType<typeof stubbedWatch> = (opts, body) => stubbedWatch(env, plan)(opts, body);

// A server per test: after a few lever watches in one server its clock stopped skipping (seen with
// test server 1.40), so each test gets a clean one.
beforeAll(async () => {
  plan = symphonyPlan();
  await workflowBundle();
});

beforeEach(async () => {
  env = await timeSkippingEnv();
});

afterEach(async () => {
  await env?.teardown();
});

const refusedWith = async (p: Promise<unknown>, reason: RegExp) => {
  const err = (await p.catch((e: unknown) => e)) as Error;
  expect(err).toBeInstanceOf(Refused);
  expect(err.message).toMatch(reason);
};

test('the kill switch needs a second, different approver; self-approval and outsiders are refused', async () => {
  const stub = await withWatch({}, async (id) => {
    await env.sleep(2 * HOUR);
    const req = await emergency(env.client, id, { lever: 'kill-switch', by: 'policy-steward', reason: 'compromised key' });
    expect(req).toMatchObject({ seq: 1, state: 'awaiting-approval', by: 'policy-steward' });
    await refusedWith(
      approveLever(env.client, id, { request: '1', by: 'policy-steward' }),
      /a second person must approve: policy-steward asked for request 1/,
    );
    await refusedWith(
      approveLever(env.client, id, { request: '1', by: 'duty-engineer' }),
      /duty-engineer may not approve kill-switch \(approvers: release-captain, policy-steward\)/,
    );
    await refusedWith(
      emergency(env.client, id, { lever: 'kill-switch', by: 'duty-engineer', reason: 'again' }),
      /kill-switch is already awaiting approval \(request 1\)/,
    );
    await refusedWith(
      emergency(env.client, id, { lever: 'self-destruct', by: 'duty-engineer', reason: 'x' }),
      /no lever "self-destruct" in the plan/,
    );
    await refusedWith(
      emergency(env.client, id, { lever: 'restart-services', by: 'mallory', reason: 'x' }),
      /mallory is not on the plan's roster/,
    );
    await refusedWith(emergency(env.client, id, { lever: 'restart-services', by: 'duty-engineer', reason: ' ' }), /reason is required/);
    const approved = await approveLever(env.client, id, { request: '1', by: 'release-captain' });
    expect(approved).toMatchObject({ state: 'running', approvedBy: 'release-captain' });
    await env.sleep(10 * MIN);
    const s = await watchStatusOf(env.client, id);
    expect(s.levers[0]).toMatchObject({
      lever: 'kill-switch',
      state: 'done',
      approvedBy: 'release-captain',
      verify: { check: 'policy-show', outcome: 'ok' },
    });
  });
  expect(stub.levers).toEqual(['kill-switch']);
  expect(stub.notifications.find((n) => n.kind === 'lever-approval-needed')).toMatchObject({
    to: ['release-captain'],
    command: expect.stringMatching(/release-watch approve .* 1 --by <approver>/),
  });
});

test('an unapproved lever request expires at its deadline and is recorded; nothing runs', async () => {
  const stub = await withWatch({}, async (id) => {
    await env.sleep(1 * HOUR);
    await emergency(env.client, id, { lever: 'rollback', by: 'duty-engineer', reason: 'errors after deploy' });
    await env.sleep(61 * MIN); // the plan gives rollback approvals 1 h
    const s = await watchStatusOf(env.client, id);
    expect(s.levers[0]).toMatchObject({ lever: 'rollback', state: 'expired' });
    await refusedWith(
      approveLever(env.client, id, { request: '1', by: 'release-captain' }),
      /request 1 \(rollback\) is not awaiting approval: expired/,
    );
  });
  expect(stub.levers).toEqual([]);
  expect(stub.notifications.some((n) => n.kind === 'lever-expired')).toBe(true);
});

test('services down: the watch restarts them by itself once, and never again without a person', async () => {
  const down = (c: string, h: number): Scripted =>
    c === 'fast-pulse' && ((h >= 2 && h < 4) || (h >= 8 && h < 10)) ? { outcome: 'fail', severity: 'critical' } : 'ok';
  const stub = await withWatch({ outcome: down }, async (id) => {
    await env.sleep(11 * HOUR);
    const s = await watchStatusOf(env.client, id);
    const restarts = s.levers.filter((r) => r.lever === 'restart-services');
    expect(restarts).toHaveLength(1);
    expect(restarts[0]).toMatchObject({ automatic: true, by: 'release-watch', requestedHour: 2, state: 'done' });
    expect(s.incidents.filter((i) => i.check === 'fast-pulse').length).toBeGreaterThanOrEqual(1);
  });
  expect(stub.levers).toEqual(['restart-services']);
});

test('a kill switch seen active without an approved request is an immediate escalation; with one it is not', async () => {
  const killSwitchSeen = (c: string, h: number): Scripted =>
    c === 'policy-show' && (h === 4 || h === 12) ? { outcome: 'fail', severity: 'critical', triggers: ['kill-switch-unapproved'] } : 'ok';
  await withWatch({ outcome: killSwitchSeen }, async (id) => {
    await env.sleep(4 * HOUR + 5 * MIN);
    let s = await watchStatusOf(env.client, id);
    expect(s.incidents.filter((i) => i.trigger === 'kill-switch-unapproved')).toHaveLength(1);
    await emergency(env.client, id, { lever: 'kill-switch', by: 'policy-steward', reason: 'drill' });
    await approveLever(env.client, id, { request: '1', by: 'release-captain' });
    await env.sleep(8 * HOUR);
    s = await watchStatusOf(env.client, id);
    expect(s.incidents.filter((i) => i.trigger === 'kill-switch-unapproved')).toHaveLength(1);
  });
});

test('a rollback decided at a checkpoint goes through its approval and ends the watch rolled back', async () => {
  await withWatch({}, async (id) => {
    await env.sleep(12.2 * HOUR);
    await decide(env.client, id, { checkpoint: '12h', decision: 'rollback', by: 'duty-engineer', note: 'error budget gone' });
    let s = await watchStatusOf(env.client, id);
    expect(s.levers[0]).toMatchObject({ lever: 'rollback', state: 'awaiting-approval', by: 'duty-engineer' });
    await approveLever(env.client, id, { request: '1', by: 'db-owner' });
    const result = await env.client.workflow.getHandle(id).result();
    expect(result.phase).toBe('rolled-back');
    s = await watchStatusOf(env.client, id);
    expect(s.reports.map((r) => r.kind)).toContain('final');
  });
});
