// Wall-clock rotations in plans: validated (zone with did-you-mean, people, times, shape), turned into
// windows from the deploy at the watch's start, across a daylight-saving change, and read by onCallAt
// as any rotation is (status, reports, pages and chat texts all ask it).
import { fromDeploy } from '../../client/watches';
import { onCallAt } from '../../core/rotation';
import { validatePlanText } from '../../plan/validate';

const plan = (rotation: string) =>
  [
    'version: 1',
    'service: orders',
    'profile: dev',
    'people: { ann: { name: Ann }, bob: { name: Bob } }',
    'checks: { health: { probe: { kind: http, url: "http://127.0.0.1:1/health" }, conditions: ["[STATUS] == 200"] } }',
    'tiers: { hourly: { every: 1h, checks: [health] } }',
    `rotation: ${rotation}`,
  ].join('\n');

const BERLIN =
  '{ zone: Europe/Berlin, handoffs: [{ at: "09:00", primary: ann, backup: bob, escalation: bob }, { at: "21:00", primary: bob, backup: ann, escalation: ann }] }';

function valid(text: string) {
  const r = validatePlanText(text, 'orders.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.plan;
}

const errors = (text: string) => {
  const r = validatePlanText(text, 'orders.yaml');
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
};

test('handoffs at 09:00 and 21:00 Berlin time become windows from the deploy, across the end of summer time', () => {
  // Deployed Saturday 24 October 2026 at 14:00 in Berlin (12:00Z, summer time); clocks go back on the 25th.
  const watch = fromDeploy(valid(plan(BERLIN)), { service: 'orders', version: 'v2', deployedAt: '2026-10-24T12:00:00.000Z' });
  const first = watch.rotation.windows.slice(0, 4).map((w) => [w.name, w.from, w.to, w.primary]);
  expect(first).toEqual([
    ['from the deploy (Europe/Berlin)', '0h', '7h', 'ann'],
    // 21:00 summer time is 19:00Z; 09:00 winter time is 08:00Z: the night shift is 13 hours long.
    ['from Sat 24 Oct, 21:00 Europe/Berlin', '7h', '20h', 'bob'],
    ['from Sun 25 Oct, 09:00 Europe/Berlin', '20h', '1d8h', 'ann'],
    ['from Sun 25 Oct, 21:00 Europe/Berlin', '1d8h', '1d20h', 'bob'],
  ]);
  expect(onCallAt(watch, 6.9).primary).toBe('ann');
  expect(onCallAt(watch, 19.9)).toEqual({
    window: 'from Sat 24 Oct, 21:00 Europe/Berlin',
    primary: 'bob',
    backup: 'ann',
    escalation: 'ann',
  });
  expect(onCallAt(watch, 20).primary).toBe('ann');
  // The windows cover extensions too (four times the watch); past them the last window holds.
  expect(watch.rotation.windows.at(-1)!.to).toBe('8d');
});

test('New York handoffs follow their own change a week later', () => {
  const ny = BERLIN.replace('Europe/Berlin', 'America/New_York');
  const watch = fromDeploy(valid(plan(ny)), { service: 'orders', version: 'v3', deployedAt: '2026-10-31T12:00:00.000Z' });
  // Deployed 08:00 EDT. 21:00 EDT = 01:00Z on 1 Nov; 09:00 EST = 14:00Z on 1 Nov: 13 hours again.
  expect(watch.rotation.windows.slice(2, 4).map((w) => [w.from, w.to])).toEqual([
    ['13h', '1d2h'],
    ['1d2h', '1d14h'],
  ]);
});

test('a watch-relative rotation is left as the plan wrote it', () => {
  const p = valid(plan('{ windows: [{ name: all, from: 0h, to: 48h, primary: ann, backup: bob, escalation: bob }] }'));
  expect(fromDeploy(p, { service: 'orders', version: 'v4', deployedAt: new Date().toISOString() })).toBe(p);
});

test('bad wall-clock rotations are refused, each saying what is wrong', () => {
  expect(errors(plan(BERLIN.replace('Europe/Berlin', 'Europe/Berlln')))).toEqual([
    expect.stringMatching(/^rotation.zone: unknown time zone .*Europe\/Berlin/),
  ]);
  expect(errors(plan(BERLIN.replace('"21:00"', '"25:00"')))).toEqual(['rotation.handoffs[1].at: a time of day as HH:MM, e.g. 09:00']);
  expect(errors(plan(BERLIN.replace('primary: bob', 'primary: bobby')))).toEqual([
    expect.stringMatching(/^rotation.handoffs\[1\].primary: unknown person "bobby"/),
  ]);
  expect(errors(plan(BERLIN.replace('"21:00"', '"09:00"')))).toEqual(['rotation.handoffs: two handoffs at 09:00: say who takes over once']);
  expect(errors(plan('{ handoffs: [{ at: "09:00", primary: ann, backup: bob, escalation: bob }] }'))).toEqual([
    'rotation: wall-clock `handoffs` need a `zone` (e.g. Europe/Berlin)',
  ]);
  expect(
    errors(
      plan(
        '{ zone: UTC, windows: [{ name: all, from: 0h, to: 48h, primary: ann, backup: bob, escalation: bob }], handoffs: [{ at: "09:00", primary: ann, backup: bob, escalation: bob }] }',
      ),
    ),
  ).toEqual(['rotation: a rotation has either `windows` (hours from the deploy) or `zone` with `handoffs` (wall-clock times), not both']);
});
