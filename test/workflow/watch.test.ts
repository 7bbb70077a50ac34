// The watch workflow over 48 watch hours on the time-skipping test server, probes stubbed.
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readKeyFile, signRequest } from '../../client/keys';
import { Refused, decide, decideBySignal, watchStatusOf } from '../../client/watches';
import { allSlots, initialSchedule } from '../../core/schedule';
import type { Plan } from '../../plan/schema';
import { continueAsNewSignal } from '../../workflows/definitions';
import { symphonyPlan } from '../helpers/plans';
import { timeSkippingEnv, workflowBundle } from '../helpers/servers';
import { stubbedWatch } from '../helpers/stubs';

const HOUR = 3_600_000;
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

test('a full 48-hour watch runs every tier slot exactly once at its hour and waits at each checkpoint while checks go on', async () => {
  const stub = await withWatch({}, async (id) => {
    await env.sleep(14.5 * HOUR);
    let s = await watchStatusOf(env.client, id);
    expect(s.phase).toBe('awaiting-decision');
    expect(s.checkpoints.find((c) => c.name === '12h')?.state).toBe('pending');
    // The hourly tier kept running while the 12 h checkpoint waited.
    expect(s.tiers.hourly.ranAt).toEqual([...Array(15).keys()]);
    expect(s.checkpoints[0].criteria?.every((c) => c.met)).toBe(true);

    await decide(env.client, id, { checkpoint: '12h', decision: 'continue', by: 'release-captain', note: 'all green' });
    s = await watchStatusOf(env.client, id);
    expect(s.phase).toBe('watching');
    expect(s.checkpoints[0]).toMatchObject({ state: 'decided', decision: 'continue', by: 'release-captain' });

    await env.sleep(10 * HOUR); // hour 24.5
    await decide(env.client, id, { checkpoint: '24h', decision: 'continue', by: 'duty-engineer-2' });
    await env.sleep(24 * HOUR); // hour 48.5
    s = await watchStatusOf(env.client, id);
    expect(s.checkpoints[2].state).toBe('pending');
    await decide(env.client, id, { checkpoint: '48h', decision: 'release', by: 'release-captain', note: 'Lessons: none' });
    const result = await env.client.workflow.getHandle(id).result();
    expect(result.phase).toBe('released');
  });

  const expected = allSlots(plan, initialSchedule(plan));
  const ran = new Map<string, number>();
  for (const c of stub.calls) ran.set(`${c.checkId}@${c.hour}`, (ran.get(`${c.checkId}@${c.hour}`) ?? 0) + 1);
  const wanted = new Set(expected.flatMap(({ hour, tier }) => plan.tiers[tier].checks.map((c) => `${c}@${hour}`)));
  expect([...ran.keys()].sort()).toEqual([...wanted].sort());
  expect([...ran.values()].every((n) => n === 1)).toBe(true);
  expect(stub.notifications.map((n) => n.kind)).toEqual(expect.arrayContaining(['watch-started', 'checkpoint-open', 'checkpoint-decided']));
});

test('refused decisions say why and change nothing; a refused signal is recorded', async () => {
  await withWatch({}, async (id) => {
    await env.sleep(12.2 * HOUR);
    const before = await watchStatusOf(env.client, id);
    const bad: Array<[object, RegExp]> = [
      [{ checkpoint: 'noon', decision: 'continue', by: 'release-captain' }, /no checkpoint "noon"/],
      [{ checkpoint: '24h', decision: 'continue', by: 'release-captain' }, /not open yet/],
      [{ checkpoint: '12h', decision: 'release', by: 'release-captain' }, /"release" is not allowed at checkpoint "12h"/],
      [{ checkpoint: '12h', decision: 'continue', by: 'db-owner' }, /db-owner may not decide checkpoint "12h"/],
      [{ checkpoint: '12h', decision: 'continue', by: 'mallory' }, /unknown person "mallory"/],
      [{ checkpoint: '12h', decision: 'go', by: 'release-captain' }, /"go" is not allowed/],
      [{ checkpoint: '12h', decision: 'continue', by: '' }, /by is required/],
      [{ checkpoint: '12h', decision: 'continue', by: 'release-captain', note: 'x'.repeat(5000) }, /note is too long/],
    ];
    for (const [d, reason] of bad) {
      const err = await decide(env.client, id, d as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Refused);
      expect((err as Error).message).toMatch(reason);
    }
    await decideBySignal(env.client, id, { checkpoint: '12h', decision: 'release', by: 'release-captain' });
    const after = await watchStatusOf(env.client, id);
    expect(after.checkpoints).toEqual(before.checkpoints);
    expect(after.decisions).toEqual([]);
    expect(after.refused).toHaveLength(1);
    expect(after.refused[0]).toMatchObject({ via: 'signal', reason: expect.stringMatching(/"release" is not allowed/) });

    // A signal signed with someone else's key is recorded as refused too, and changes nothing.
    const forged = signRequest(
      id,
      'decide',
      { checkpoint: '12h', decision: 'continue' as const, by: 'release-captain' },
      readKeyFile(join(KEYS, 'duty-engineer.key')),
    );
    await decideBySignal(env.client, id, forged);
    const afterForged = await watchStatusOf(env.client, id);
    expect(afterForged.checkpoints).toEqual(before.checkpoints);
    expect(afterForged.refused[1]).toMatchObject({
      via: 'signal',
      reason: expect.stringMatching(/^signature does not verify with release-captain's public key/),
    });

    // A valid signal is applied like the update.
    await decideBySignal(env.client, id, { checkpoint: '12h', decision: 'continue', by: 'duty-engineer' });
    const decided = await watchStatusOf(env.client, id);
    expect(decided.checkpoints[0]).toMatchObject({ state: 'decided', decision: 'continue', by: 'duty-engineer' });
    expect(decided.decisions[0]).toMatchObject({ via: 'signal', signed: true });
    expect(decided.decisions[0]).not.toHaveProperty('signature');
    const again = await decide(env.client, id, { checkpoint: '12h', decision: 'escalate', by: 'release-captain' }).catch((e: unknown) => e);
    expect((again as Error).message).toMatch(/already decided: continue by duty-engineer/);
  });
});

test('an unanswered checkpoint escalates at its deadline and again every deadline while it waits', async () => {
  const stub = await withWatch({}, async (id) => {
    await env.sleep(12.9 * HOUR);
    let s = await watchStatusOf(env.client, id);
    expect(s.checkpoints[0].escalations).toBe(0);
    await env.sleep(0.2 * HOUR); // 13.1: one deadline (1h) passed
    s = await watchStatusOf(env.client, id);
    expect(s.checkpoints[0].escalations).toBe(1);
    await env.sleep(1 * HOUR); // 14.1
    s = await watchStatusOf(env.client, id);
    expect(s.checkpoints[0].escalations).toBe(2);
    expect(s.checkpoints[0].state).toBe('pending');
  });
  const reminders = stub.notifications.filter((n) => n.kind === 'checkpoint-unanswered');
  expect(reminders.map((n) => n.eventId)).toEqual([
    expect.stringMatching(/checkpoint:12h:escalation:1$/),
    expect.stringMatching(/checkpoint:12h:escalation:2$/),
  ]);
  expect(reminders[0].to).toEqual(['release-captain']);
});

test('a failing check opens an incident, fails the criteria, and gates release', async () => {
  await withWatch({ outcome: (check, hour) => (check === 'fast-pulse' && hour === 5 ? 'fail' : 'ok') }, async (id) => {
    await env.sleep(12.2 * HOUR);
    const s = await watchStatusOf(env.client, id);
    expect(s.incidents).toHaveLength(1);
    expect(s.incidents[0]).toMatchObject({
      check: 'fast-pulse',
      severity: 'critical',
      openedHour: 5,
      holder: 'release-captain',
      state: 'recovered',
    });
    // Two loops of the 0-12 h chain 15 min apart from hour 5, then reminders, until it recovered at hour 7
    // (the page due at exactly 7.0 races the recovery of that same moment).
    expect(s.incidents[0].pages).toBeGreaterThanOrEqual(8);
    expect(s.incidents[0].pages).toBeLessThanOrEqual(9);
    const criteria = Object.fromEntries(s.checkpoints[0].criteria!.map((c) => [c.name, c.met]));
    expect(criteria['All hourly checks completed successfully']).toBe(false);
    expect(criteria['No critical alerts triggered']).toBe(false);
    expect(criteria['Policy compliance maintained']).toBe(true);
  });
});

test('continue-as-new carries the state and the pending deadlines', async () => {
  await withWatch({ continueAsNewAfterHours: 5 }, async (id) => {
    await env.sleep(12.5 * HOUR);
    let s = await watchStatusOf(env.client, id);
    expect(s.generation).toBeGreaterThanOrEqual(3);
    expect(s.tiers.hourly.ranAt).toEqual([...Array(13).keys()]);
    expect(s.checkpoints[0].state).toBe('pending');
    const deadline = s.checkpoints[0].deadline;
    await env.client.workflow.getHandle(id).signal(continueAsNewSignal);
    await env.sleep(0.1 * HOUR);
    s = await watchStatusOf(env.client, id);
    expect(s.checkpoints[0].deadline).toBe(deadline);
    await env.sleep(0.5 * HOUR); // 13.1: the carried deadline fires once
    s = await watchStatusOf(env.client, id);
    expect(s.checkpoints[0].escalations).toBe(1);
    expect(s.tiers.hourly.ranAt).toEqual([...Array(14).keys()]);
    expect(new Set(s.tiers.deep.ranAt).size).toBe(s.tiers.deep.ranAt.length);
  });
});

test('scheduled escalations: a day with three slow pulses is escalated to the escalation contact at the daily report', async () => {
  // The pulse is slow (the performance-trend condition holds) at hours 2, 5 and 9 of the first day.
  const slow = new Set([2, 5, 9]);
  const stub = await withWatch(
    { outcome: (c, h) => (c === 'fast-pulse' && slow.has(h) ? { outcome: 'ok', triggers: ['performance-trend'] } : 'ok') },
    async (id) => {
      await env.sleep(12.5 * HOUR);
      await decide(env.client, id, { checkpoint: '12h', decision: 'continue', by: 'release-captain' });
      await env.sleep(12 * HOUR);
      const s = await watchStatusOf(env.client, id);
      expect(s.reports.map((r) => r.kind)).toContain('daily');
    },
  );
  const escalations = stub.notifications.filter((n) => n.kind === 'scheduled-escalation');
  expect(escalations).toHaveLength(1);
  expect(escalations[0]).toMatchObject({
    eventId: expect.stringMatching(/:scheduled:day-1$/),
    severity: 'warning',
    title: 'Day 1 escalations: Performance degradation trends',
    to: ['release-captain'],
  });
  expect(escalations[0].text).toContain('fast-pulse: 3 run(s) with [RESPONSE_TIME] >= 30s');
});
