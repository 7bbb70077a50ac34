// What runs at which watch hour. Pure: used by the workflow, the CLI and the tests.
import { watchHours } from '../plan/duration';
import type { Plan, TierSpec } from '../plan/schema';

/** A tier's cadence after a reduce-monitoring decision: every `every` hours after `since`. */
export interface CadenceOverride {
  every: number;
  since: number;
}

export interface ScheduleState {
  /** Last watch hour (inclusive); grows when the watch is extended. */
  endHour: number;
  cadence: Record<string, CadenceOverride>;
}

export function hourMs(plan: Plan): number {
  return watchHours(plan.clock.hour) * 3_600_000;
}

export function initialSchedule(plan: Plan): ScheduleState {
  return { endHour: watchHours(plan.clock.duration), cadence: {} };
}

/** Is `tier` due at watch hour `hour`? */
export function tierDueAt(plan: Plan, name: string, hour: number, schedule: ScheduleState): boolean {
  const tier = plan.tiers[name];
  if (!tier || hour > schedule.endHour || !Number.isInteger(hour)) return false;
  const override = schedule.cadence[name];
  if (override && hour > override.since) {
    return (hour - override.since) % override.every === 0 && hour <= tierEnd(plan, tier, schedule);
  }
  if (tier.at) return atHours(plan, tier, schedule).includes(hour);
  const every = watchHours(tier.every!);
  const from = watchHours(tier.from);
  return hour >= from && hour <= tierEnd(plan, tier, schedule) && (hour - from) % every === 0;
}

/** A tier that runs to the plan's end keeps running through an extension. */
function tierEnd(plan: Plan, tier: TierSpec, schedule: ScheduleState): number {
  const planEnd = watchHours(plan.clock.duration);
  const to = tier.to === undefined ? planEnd : watchHours(tier.to);
  return to >= planEnd ? schedule.endHour : to;
}

/** `at` hours; past the plan's end they repeat with the period of the last two (daily: each further day). */
function atHours(plan: Plan, tier: TierSpec, schedule: ScheduleState): number[] {
  const hours = tier.at!.map(watchHours).sort((a, b) => a - b);
  const planEnd = watchHours(plan.clock.duration);
  const period = hours.length >= 2 ? hours[hours.length - 1] - hours[hours.length - 2] : hours[0];
  if (period > 0 && hours[hours.length - 1] >= planEnd) {
    for (let h = hours[hours.length - 1] + period; h <= schedule.endHour; h += period) hours.push(h);
  }
  return hours;
}

export function tiersDueAt(plan: Plan, hour: number, schedule: ScheduleState): string[] {
  return Object.keys(plan.tiers).filter((name) => tierDueAt(plan, name, hour, schedule));
}

/** The first hour ≥ `from` at which anything is scheduled (a tier or a checkpoint), or undefined past the end. */
export function nextSlot(plan: Plan, from: number, schedule: ScheduleState, checkpointHours: number[]): number | undefined {
  for (let h = Math.max(0, Math.ceil(from)); h <= schedule.endHour; h++) {
    if (tiersDueAt(plan, h, schedule).length > 0 || checkpointHours.includes(h)) return h;
  }
  return undefined;
}

/** Every (hour, tier) slot of a watch under a fixed schedule: what a full run must have executed exactly once. */
export function allSlots(plan: Plan, schedule: ScheduleState): Array<{ hour: number; tier: string }> {
  const out: Array<{ hour: number; tier: string }> = [];
  for (let h = 0; h <= schedule.endHour; h++) for (const tier of tiersDueAt(plan, h, schedule)) out.push({ hour: h, tier });
  return out;
}

/** The checks of the tiers due at an hour, each once even when two tiers share it. */
export function checksOf(plan: Plan, tiers: string[]): string[] {
  return [...new Set(tiers.flatMap((t) => plan.tiers[t].checks))];
}

/** "13/48"-style label of a watch hour. */
export function hourLabel(hour: number, schedule: ScheduleState): string {
  return `${Number.isInteger(hour) ? hour : hour.toFixed(1)}/${schedule.endHour}`;
}

/**
 * The deadlines due by `now` on a grid from `due`, every `step` ms: how many, and the first one still
 * ahead. What comes back from an outage folds the missed ones instead of sending one per deadline
 * (an incident after one pass through its chain, a checkpoint's reminders), and keeps its spacing.
 */
export function overdueDeadlines(due: number, now: number, step: number): { count: number; next: number } {
  if (due > now) return { count: 0, next: due };
  const count = step > 0 ? Math.floor((now - due) / step) + 1 : 1;
  return { count, next: step > 0 ? due + count * step : now + 1 };
}
