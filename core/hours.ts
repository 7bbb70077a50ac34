// Watch time. A plan's protocol durations (cadences, SLAs, deadlines) are in watch hours; the plan's
// clock says how long one is in real time (1h in production, seconds in the demo). Every conversion
// between the two, and every rounding of an hour for people, is here.
import { parseDuration, watchHours } from '../plan/duration';
import type { Plan } from '../plan/schema';

const HOUR_MS = 3_600_000;

/** Real milliseconds in one watch hour. */
export function hourMs(plan: Pick<Plan, 'clock'>): number {
  return watchHours(plan.clock.hour) * HOUR_MS;
}

/** A protocol duration of watch time ("15m") in real milliseconds. */
export function watchMs(duration: string, hourMs: number): number {
  return (parseDuration(duration) / HOUR_MS) * hourMs;
}

/** The watch hour of real time `t` (fractional). */
export function hourAt(startedAt: number, t: number, hourMs: number): number {
  return (t - startedAt) / hourMs;
}

/** The real time at which watch hour `hour` begins. */
export function timeOfHour(startedAt: number, hour: number, hourMs: number): number {
  return startedAt + hour * hourMs;
}

/** Watch hours are kept and shown to a tenth. */
export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** A span of watch hours as people write it: "30 s", "10 min", "1.5 h", "3 d". */
export function formatHours(hours: number): string {
  if (!Number.isFinite(hours)) return String(hours);
  const minutes = hours * 60;
  if (Math.abs(minutes) < 1) return `${+(minutes * 60).toFixed(0)} s`;
  if (Math.abs(hours) < 1) return `${+minutes.toFixed(minutes < 10 ? 1 : 0)} min`;
  if (Math.abs(hours) < 72) return `${+hours.toFixed(hours < 10 ? 2 : 1)} h`;
  return `${+(hours / 24).toFixed(1)} d`;
}

/** A real span of a compressed clock, in watch hours as people write them. */
export function formatWatchMs(ms: number, hourMs: number): string {
  return formatHours(ms / hourMs);
}
