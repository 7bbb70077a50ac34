import { handoffInstants, localToInstant, onCallAtInstant, timeProblem, zoneProblem } from '../../plan/wallclock';

const handoffs = [
  { at: '09:00', person: 'alice' },
  { at: '21:00', person: 'bob' },
];

describe('wall-clock rotations', () => {
  it('keeps handoffs at local 09:00/21:00 across the end of daylight saving in Berlin', () => {
    // 2026-10-25 03:00 CEST becomes 02:00 CET: the handoffs move one hour later in UTC.
    const from = Date.parse('2026-10-24T12:00:00Z');
    const schedule = handoffInstants('Europe/Berlin', handoffs, from, from + 48 * 3_600_000);
    expect(schedule).toEqual([
      { at: '2026-10-24T12:00:00.000Z', person: 'alice' },
      { at: '2026-10-24T19:00:00.000Z', person: 'bob' },
      { at: '2026-10-25T08:00:00.000Z', person: 'alice' },
      { at: '2026-10-25T20:00:00.000Z', person: 'bob' },
      { at: '2026-10-26T08:00:00.000Z', person: 'alice' },
    ]);
    expect(onCallAtInstant(schedule, Date.parse('2026-10-25T07:59:00Z'))?.person).toBe('bob');
    expect(onCallAtInstant(schedule, Date.parse('2026-10-25T08:00:00Z'))?.person).toBe('alice');
  });

  it('follows New York, whose change is a week later', () => {
    const from = Date.parse('2026-10-31T12:00:00Z');
    const schedule = handoffInstants('America/New_York', [{ at: '09:00', person: 'carol' }], from, from + 48 * 3_600_000);
    // 09:00 on Oct 31 is EDT (13:00Z); New York falls back at 02:00 on Nov 1, so 09:00 that day is EST (14:00Z).
    expect(schedule.map((h) => h.at)).toEqual(['2026-10-31T12:00:00.000Z', '2026-10-31T13:00:00.000Z', '2026-11-01T14:00:00.000Z']);
  });

  it('carries a primary/backup/escalation triple per handoff', () => {
    const from = Date.parse('2026-10-24T12:00:00Z');
    const triple = [
      { at: '09:00', primary: 'alice', backup: 'bob', escalation: 'carol' },
      { at: '21:00', primary: 'bob', backup: 'alice', escalation: 'carol' },
    ];
    const schedule = handoffInstants('Europe/Berlin', triple, from, from + 12 * 3_600_000);
    expect(schedule).toEqual([
      { at: '2026-10-24T12:00:00.000Z', primary: 'alice', backup: 'bob', escalation: 'carol' },
      { at: '2026-10-24T19:00:00.000Z', primary: 'bob', backup: 'alice', escalation: 'carol' },
    ]);
  });

  it('resolves skipped and repeated local times', () => {
    // Spring forward: 02:30 does not exist on 2026-03-29 in Berlin; it lands at 03:30 CEST.
    expect(new Date(localToInstant('Europe/Berlin', 2026, 3, 29, 2, 30)).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    // Fall back: 02:30 happens twice on 2026-10-25; the first (CEST) is taken.
    expect(new Date(localToInstant('Europe/Berlin', 2026, 10, 25, 2, 30)).toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });

  it('names a wrong zone and time clearly', () => {
    expect(zoneProblem('Europe/Berlln')).toBe(
      "unknown time zone 'Europe/Berlln' (did you mean 'Europe/Berlin'?); use an IANA name such as Europe/Berlin",
    );
    expect(zoneProblem('Europe/Berlin')).toBeUndefined();
    expect(timeProblem('9:00')).toMatch(/'9:00' is not HH:MM/);
    expect(timeProblem('24:00')).toMatch(/not HH:MM/);
    expect(() => handoffInstants('Mars/Olympus', handoffs, 0, 1)).toThrow(/unknown time zone 'Mars\/Olympus'/);
    expect(() => handoffInstants('UTC', [{ at: '21:60', person: 'x' }], 0, 1)).toThrow(/'21:60'/);
  });
});
