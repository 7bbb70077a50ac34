import {
  allSlots,
  checksOf,
  hourLabel,
  hourMs,
  initialSchedule,
  nextSlot,
  tierDueAt,
  tiersDueAt,
  type ScheduleState,
} from '../../core/schedule';
import type { Plan } from '../../plan/schema';
import { symphonyPlan } from '../helpers/plans';

const plan = symphonyPlan();
const range = (from: number, to: number, step = 1): number[] => {
  const out: number[] = [];
  for (let h = from; h <= to; h += step) out.push(h);
  return out;
};
const hoursOf = (slots: Array<{ hour: number; tier: string }>, tier: string): number[] =>
  slots.filter((s) => s.tier === tier).map((s) => s.hour);

describe('the Symphony plan schedule', () => {
  const schedule = initialSchedule(plan);

  it('starts with the plan length and no cadence overrides', () => {
    expect(schedule).toEqual({ endHour: 48, cadence: {} });
  });

  it('runs hourly at every hour 0..48 (49 slots)', () => {
    const slots = allSlots(plan, schedule);
    expect(hoursOf(slots, 'hourly')).toEqual(range(0, 48));
  });

  it('runs deep every 4 hours 0, 4, .., 48 (13 slots)', () => {
    const deep = hoursOf(allSlots(plan, schedule), 'deep');
    expect(deep).toEqual(range(0, 48, 4));
    expect(deep).toHaveLength(13);
  });

  it('runs daily at 24 and 48 only', () => {
    expect(hoursOf(allSlots(plan, schedule), 'daily')).toEqual([24, 48]);
  });

  it('has 49 + 13 + 2 slots in all, each (hour, tier) once, in hour order', () => {
    const slots = allSlots(plan, schedule);
    expect(slots).toHaveLength(64);
    expect(new Set(slots.map((s) => `${s.hour}/${s.tier}`)).size).toBe(64);
    expect(slots.map((s) => s.hour)).toEqual([...slots.map((s) => s.hour)].sort((a, b) => a - b));
  });

  it.each([
    [0, ['hourly', 'deep']],
    [1, ['hourly']],
    [4, ['hourly', 'deep']],
    [12, ['hourly', 'deep']],
    [13, ['hourly']],
    [24, ['hourly', 'deep', 'daily']],
    [47, ['hourly']],
    [48, ['hourly', 'deep', 'daily']],
    [49, []],
    [-1, []],
  ])('at hour %p the tiers due are %p', (hour, tiers) => {
    expect(tiersDueAt(plan, hour, schedule)).toEqual(tiers);
  });

  it('is never due at a fractional hour or for an unknown tier', () => {
    expect(tierDueAt(plan, 'hourly', 1.5, schedule)).toBe(false);
    expect(tierDueAt(plan, 'weekly', 24, schedule)).toBe(false);
  });

  it('does not change the schedule it is given', () => {
    const s = initialSchedule(plan);
    allSlots(plan, s);
    expect(s).toEqual({ endHour: 48, cadence: {} });
  });
});

describe('reduced cadence after a reduce-monitoring decision at hour 24', () => {
  // What applyDecision sets from the plan's monitoring.reduced: hourly every 2h, deep every 8h, since the checkpoint's hour.
  const schedule: ScheduleState = { endHour: 48, cadence: { hourly: { every: 2, since: 24 }, deep: { every: 8, since: 24 } } };
  const slots = allSlots(plan, schedule);

  it('keeps hourly at every hour up to and including 24, then every 2h: 26, 28, .., 48', () => {
    expect(hoursOf(slots, 'hourly')).toEqual([...range(0, 24), ...range(26, 48, 2)]);
    expect(tierDueAt(plan, 'hourly', 25, schedule)).toBe(false);
    expect(tierDueAt(plan, 'hourly', 26, schedule)).toBe(true);
    expect(tierDueAt(plan, 'hourly', 27, schedule)).toBe(false);
  });

  it('moves deep to 32, 40, 48 after 24', () => {
    expect(hoursOf(slots, 'deep')).toEqual([0, 4, 8, 12, 16, 20, 24, 32, 40, 48]);
  });

  it('leaves daily alone (no reduced cadence for it)', () => {
    expect(hoursOf(slots, 'daily')).toEqual([24, 48]);
  });

  it('does not run a reduced tier past the end', () => {
    expect(tierDueAt(plan, 'hourly', 50, schedule)).toBe(false);
  });
});

describe('an extended watch (endHour 72)', () => {
  const schedule: ScheduleState = { endHour: 72, cadence: {} };
  const slots = allSlots(plan, schedule);

  it('keeps hourly running to 72', () => {
    expect(hoursOf(slots, 'hourly')).toEqual(range(0, 72));
  });

  it('keeps deep running every 4h to 72', () => {
    expect(hoursOf(slots, 'deep')).toEqual(range(0, 72, 4));
  });

  it('repeats daily for each further day: 24, 48, 72', () => {
    expect(hoursOf(slots, 'daily')).toEqual([24, 48, 72]);
  });

  it('runs nothing past 72', () => {
    expect(tiersDueAt(plan, 73, schedule)).toEqual([]);
    expect(tiersDueAt(plan, 96, schedule)).toEqual([]);
  });

  it('also repeats daily at 96 when extended twice', () => {
    expect(hoursOf(allSlots(plan, { endHour: 96, cadence: {} }), 'daily')).toEqual([24, 48, 72, 96]);
  });

  it('combines an extension with a reduced cadence', () => {
    const s: ScheduleState = { endHour: 72, cadence: { hourly: { every: 2, since: 24 } } };
    expect(hoursOf(allSlots(plan, s), 'hourly')).toEqual([...range(0, 24), ...range(26, 72, 2)]);
  });
});

describe('a tier that ends before the plan does', () => {
  const short: Plan = {
    ...plan,
    tiers: { ...plan.tiers, early: { every: '2h', from: '2h', to: '10h', checks: ['fast-pulse'], report: false } },
  };

  it('runs from its `from` to its `to` at its cadence', () => {
    expect(hoursOf(allSlots(short, initialSchedule(short)), 'early')).toEqual([2, 4, 6, 8, 10]);
  });

  it('does not follow an extension', () => {
    expect(hoursOf(allSlots(short, { endHour: 72, cadence: {} }), 'early')).toEqual([2, 4, 6, 8, 10]);
  });
});

describe('nextSlot', () => {
  const schedule = initialSchedule(plan);

  it('is the hour itself when something is due then', () => {
    expect(nextSlot(plan, 0, schedule, [])).toBe(0);
    expect(nextSlot(plan, 13, schedule, [])).toBe(13);
  });

  it('rounds a fractional hour up', () => {
    expect(nextSlot(plan, 12.2, schedule, [])).toBe(13);
    expect(nextSlot(plan, -0.5, schedule, [])).toBe(0);
  });

  it('skips hours with nothing scheduled under a reduced cadence', () => {
    const reduced: ScheduleState = { endHour: 48, cadence: { hourly: { every: 2, since: 24 }, deep: { every: 8, since: 24 } } };
    expect(nextSlot(plan, 25, reduced, [])).toBe(26);
    expect(nextSlot(plan, 47, reduced, [])).toBe(48);
  });

  it('counts a checkpoint hour as a slot', () => {
    const reduced: ScheduleState = { endHour: 48, cadence: { hourly: { every: 2, since: 24 }, deep: { every: 8, since: 24 } } };
    expect(nextSlot(plan, 25, reduced, [25])).toBe(25);
  });

  it('is undefined past the end, and finds the extension hours', () => {
    expect(nextSlot(plan, 48.5, schedule, [])).toBeUndefined();
    expect(nextSlot(plan, 49, schedule, [48])).toBeUndefined();
    expect(nextSlot(plan, 48.5, { endHour: 72, cadence: {} }, [])).toBe(49);
  });
});

describe('checksOf', () => {
  it('lists the checks of the tiers in tier order', () => {
    expect(checksOf(plan, ['hourly'])).toEqual(['fast-pulse', 'log-watch']);
    expect(checksOf(plan, ['hourly', 'daily'])).toEqual(['fast-pulse', 'log-watch', 'simple-report', 'budget-report', 'federation-ping']);
  });

  it('runs a check shared by two tiers once', () => {
    const shared: Plan = {
      ...plan,
      tiers: { ...plan.tiers, extra: { every: '1h', from: '0h', checks: ['log-watch', 'policy-show'], report: false } },
    };
    const checks = checksOf(shared, ['hourly', 'deep', 'extra']);
    expect(checks).toEqual([
      'fast-pulse',
      'log-watch',
      'orchestrator-status',
      'policy-show',
      'route-decision',
      'dashboard-refresh',
      'dashboard-cards',
    ]);
    expect(new Set(checks).size).toBe(checks.length);
  });

  it('is empty for no tiers', () => {
    expect(checksOf(plan, [])).toEqual([]);
  });
});

describe('hourMs and hourLabel', () => {
  it('is an hour for the real plan', () => {
    expect(hourMs(plan)).toBe(3_600_000);
  });

  it('is 2.5 s for a "2500ms" clock', () => {
    expect(hourMs({ ...plan, clock: { ...plan.clock, hour: '2500ms' } })).toBe(2500);
  });

  it('reads other compressed clocks', () => {
    expect(hourMs({ ...plan, clock: { ...plan.clock, hour: '1s' } })).toBe(1000);
    expect(hourMs({ ...plan, clock: { ...plan.clock, hour: '1m30s' } })).toBe(90_000);
  });

  it('labels an hour against the end', () => {
    expect(hourLabel(13, initialSchedule(plan))).toBe('13/48');
    expect(hourLabel(12.25, { endHour: 72, cadence: {} })).toBe('12.3/72');
  });
});
