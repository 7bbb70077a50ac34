// Incidents on the time-skipping server: SLA deadlines, the escalation chain, ack, resolve, immediate triggers.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { acknowledge, Refused, resolveIncident, watchStatusOf } from '../../client/watches';
import type { IncidentRecord } from '../../core/incidents';
import type { Plan } from '../../plan/schema';
import { incidentQuery } from '../../workflows/definitions';
import { symphonyPlan } from '../helpers/plans';
import { timeSkippingEnv, workflowBundle } from '../helpers/servers';
import { Scripted, stubbedWatch } from '../helpers/stubs';

const HOUR = 3_600_000;
const MIN = 60_000;
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

/** Fails `check` from `hour` on (until `until`), with the given severity. */
function failing(check: string, hour: number, severity?: string, until = Infinity): (c: string, h: number) => Scripted {
  return (c, h) => (c === check && h >= hour && h < until ? { outcome: 'fail', severity } : 'ok');
}

test.each([
  ['critical', 15],
  ['high', 30],
  ['medium', 60],
  ['low', 240],
])('a %s incident escalates exactly %i minutes after it was paged', async (severity, minutes) => {
  await withWatch({ outcome: failing('fast-pulse', 1, severity) }, async (id) => {
    await env.sleep(1 * HOUR + minutes * MIN + 1_000);
    const s = await watchStatusOf(env.client, id);
    const rec = await incident(s.incidents[0].id);
    expect(s.incidents[0].severity).toBe(severity);
    expect(rec.pages.length).toBe(2);
    expect(rec.pages[1].at - rec.pages[0].at).toBe(minutes * MIN);
    expect(rec.pages.map((p) => p.to)).toEqual(['duty-engineer', 'policy-steward']);
  });
});

test('unacknowledged: primary, backup, escalation, repeated for the plan loops, then reminders to the escalation contact', async () => {
  const stub = await withWatch({ outcome: failing('fast-pulse', 13, 'critical') }, async (id) => {
    await env.sleep(13 * HOUR + 7 * 15 * MIN + 1_000);
    const s = await watchStatusOf(env.client, id);
    const rec = await incident(s.incidents[0].id);
    // Opened at hour 13: the 12-24 h rotation.
    expect(rec.pages.map((p) => p.to)).toEqual([
      'duty-engineer-2',
      'rag-owner',
      'release-captain',
      'duty-engineer-2',
      'rag-owner',
      'release-captain',
      'release-captain',
      'release-captain',
    ]);
    expect(rec.pages.slice(1).map((p, i) => p.at - rec.pages[i].at)).toEqual(Array(7).fill(15 * MIN));
    expect(s.incidents[0]).toMatchObject({ state: 'open', holder: 'release-captain' });
  });
  const pages = stub.notifications.filter((n) => n.kind === 'incident-page');
  expect(new Set(pages.map((n) => n.eventId)).size).toBe(pages.length);
  expect(pages[0].incident).toEqual({ id: expect.stringMatching(/incident-1$/), action: 'trigger' });
});

test('an ack stops escalation; unresolved past the resolution time it returns to the chain; resolve ends it with its document', async () => {
  const stub = await withWatch({ outcome: failing('policy-show', 4, 'high') }, async (id) => {
    await env.sleep(4 * HOUR + 10 * MIN);
    await acknowledge(env.client, id, { incident: '1', by: 'duty-engineer' });
    await env.sleep(2 * HOUR);
    let s = await watchStatusOf(env.client, id);
    let rec = await incident(s.incidents[0].id);
    expect(rec.pages).toHaveLength(1);
    expect(rec.state).toBe('acknowledged');
    expect(s.incidents[0]).toMatchObject({ state: 'acknowledged', holder: 'duty-engineer', ackedHour: expect.any(Number) });

    await env.sleep(6.5 * HOUR); // past the 8 h resolution time of a high incident
    rec = await incident(s.incidents[0].id);
    expect(rec.state).toBe('open');
    expect(rec.pages[1]).toMatchObject({ to: 'duty-engineer', why: expect.stringMatching(/not resolved within 8 h/) });

    await resolveIncident(env.client, id, {
      incident: '1',
      by: 'policy-steward',
      rootCause: 'autonomy reset by a bad config push',
      resolution: 'restored autonomy 1',
      followUp: 'guard the config',
    });
    const done = await env.client.workflow.getHandle(s.incidents[0].id).result();
    expect(done).toMatchObject({ state: 'resolved', resolvedBy: 'policy-steward', rootCause: 'autonomy reset by a bad config push' });
    s = await watchStatusOf(env.client, id);
    expect(s.incidents[0]).toMatchObject({ state: 'resolved', resolvedHour: expect.any(Number) });
    const again = await resolveIncident(env.client, id, { incident: '1', by: 'policy-steward', rootCause: 'x', resolution: 'y' }).catch(
      (e) => e,
    );
    expect(again).toBeInstanceOf(Refused);
    expect(again.message).toBe('incident 1 is already resolved');
  });
  expect(stub.documents).toHaveLength(1);
  const doc = stub.documents[0].markdown;
  for (const section of [
    '## Incident:',
    '**Time:**',
    '**Severity:** High',
    '**Duration:**',
    '**Root Cause:** autonomy reset',
    '**Resolution:** restored autonomy 1',
    '**Follow-up:** guard the config',
    '### Symptoms',
    '### Investigation',
  ]) {
    expect(doc).toContain(section);
  }
  expect(doc).toMatch(/override-log`: ok/);
  const kinds = stub.notifications.filter((n) => n.incident).map((n) => n.incident!.action);
  expect(kinds).toEqual(expect.arrayContaining(['trigger', 'acknowledge', 'resolve']));
});

test('refused acks and resolutions say why and change nothing', async () => {
  await withWatch({ outcome: failing('fast-pulse', 2, 'critical') }, async (id) => {
    await env.sleep(2 * HOUR + 5 * MIN);
    const before = await watchStatusOf(env.client, id);
    const cases: Array<[() => Promise<unknown>, RegExp]> = [
      [() => acknowledge(env.client, id, { incident: '9', by: 'duty-engineer' }), /no incident "9" in this watch/],
      [() => acknowledge(env.client, id, { incident: '1', by: 'mallory' }), /mallory is not on the plan's roster/],
      [() => acknowledge(env.client, id, { incident: '1', by: '' }), /by is required/],
      [
        () => resolveIncident(env.client, id, { incident: '1', by: 'duty-engineer', rootCause: '', resolution: 'x' }),
        /root cause is required/,
      ],
      [
        () => resolveIncident(env.client, id, { incident: '1', by: 'duty-engineer', rootCause: 'x', resolution: 'y'.repeat(5000) }),
        /resolution is too long/,
      ],
    ];
    for (const [call, reason] of cases) {
      const err = (await call().catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Refused);
      expect(err.message).toMatch(reason);
    }
    const after = await watchStatusOf(env.client, id);
    // Everything but the running duration, which grows with the clock.
    const fixed = (xs: typeof before.incidents) => xs.map(({ durationHours: _d, ...rest }) => rest);
    expect(fixed(after.incidents)).toEqual(fixed(before.incidents));
    expect((await incident(after.incidents[0].id)).state).toBe('open');
  });
});

test('an immediate-escalation trigger pages the escalation contact at once', async () => {
  const outcome = (c: string, h: number): Scripted =>
    c === 'policy-show' && h === 8 ? { outcome: 'fail', severity: 'critical', triggers: ['kill-switch-unapproved'] } : 'ok';
  await withWatch({ outcome }, async (id) => {
    await env.sleep(8 * HOUR + 1 * MIN);
    const s = await watchStatusOf(env.client, id);
    const byTrigger = s.incidents.find((i) => i.trigger === 'kill-switch-unapproved')!;
    expect(byTrigger).toMatchObject({ severity: 'critical', holder: 'release-captain' });
    const rec = await incident(byTrigger.id);
    expect(rec.pages[0]).toMatchObject({
      to: 'release-captain',
      why: expect.stringMatching(/immediate escalation: Kill switch activated without approval/),
    });
    // The failing check has its own incident, paged to the on-call primary.
    expect(s.incidents.find((i) => !i.trigger)).toMatchObject({ check: 'policy-show', holder: 'duty-engineer' });
  });
});

test('a recovered check marks its incident recovered, stops the paging, and tells the holder', async () => {
  const stub = await withWatch({ outcome: failing('fast-pulse', 3, 'critical', 4) }, async (id) => {
    await env.sleep(6 * HOUR);
    const s = await watchStatusOf(env.client, id);
    const rec: IncidentRecord = await incident(s.incidents[0].id);
    expect(rec.state).toBe('recovered');
    expect(rec.nextDeadlineAt).toBeUndefined();
    const pagesAtRecovery = rec.pages.length;
    await env.sleep(2 * HOUR);
    expect((await incident(s.incidents[0].id)).pages).toHaveLength(pagesAtRecovery);
  });
  expect(stub.notifications.some((n) => n.kind === 'incident-recovered')).toBe(true);
});

test('a hung investigation probe does not hold back the escalation pages', async () => {
  // A one-minute watch hour: the critical 15 min acknowledgement deadline is 15 s, shorter than a
  // hung probe's attempts.
  const fast: Plan = { ...plan, clock: { ...plan.clock, hour: '1m' } };
  const ackMs = 15_000;
  const stub = await withWatch({ plan: fast, outcome: failing('fast-pulse', 1, 'critical'), hangInvestigations: true }, async (id) => {
    await env.sleep(1 * MIN + 8 * ackMs + 1_000);
    const s = await watchStatusOf(env.client, id);
    const rec = await incident(s.incidents[0].id);
    expect(rec.pages.length).toBeGreaterThanOrEqual(8);
    expect(rec.pages.slice(1).map((p, i) => p.at - rec.pages[i].at)).toEqual(Array(rec.pages.length - 1).fill(ackMs));
    await resolveIncident(env.client, id, { incident: '1', by: 'duty-engineer', rootCause: 'x', resolution: 'y' });
    await env.client.workflow.getHandle(s.incidents[0].id).result();
  });
  expect(stub.hung).toBeGreaterThan(0);
  // Each page went out at its deadline, not after the probe gave up.
  const pages = stub.notifications.filter((n) => n.kind === 'incident-page');
  expect(pages.length).toBeGreaterThanOrEqual(8);
  const first = Date.parse(pages[0].at);
  expect(pages.slice(1, 8).map((n) => Math.round((Date.parse(n.at) - first) / 1000))).toEqual([15, 30, 45, 60, 75, 90, 105]);
  // The write-up still waits for the investigation, and says it could not run.
  expect(stub.documents[0].markdown).toMatch(/`services-detail`: fail/);
});
