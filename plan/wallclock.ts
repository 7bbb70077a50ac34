// Wall-clock rotations: handoffs at a local time in an IANA zone ("09:00 Europe/Berlin"), turned into
// instants once, outside the workflow. The workflow sandbox's Intl time-zone data is not something to
// rely on, and a zone's rules can change between a run and its replay, so the client computes the
// handoff instants for the watch (48 h plus extensions) with Intl and the watch only compares instants.
import { closest } from '../core/suggest';

/** A handoff at a local time of day, HH:MM (24 h), with whoever takes over (a person, or a primary/backup/escalation). */
export type WallClockHandoff<T extends object = { person: string }> = { at: string } & T;

/** The same, at a UTC instant (ISO 8601). */
export type HandoffInstant<T extends object = { person: string }> = { at: string } & T;

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** A clear error for a zone this runtime's ICU does not know, with the likely meant one. */
export function zoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    const meant = closest(zone, Intl.supportedValuesOf('timeZone'));
    return `unknown time zone '${zone}'${meant ? ` (did you mean '${meant}'?)` : ''}; use an IANA name such as Europe/Berlin`;
  }
}

export function timeProblem(at: string): string | undefined {
  return TIME.test(at) ? undefined : `handoff time '${at}' is not HH:MM on a 24-hour clock (e.g. '09:00', '21:30')`;
}

/** The zone's offset from UTC in ms at an instant. */
export function offsetAt(zone: string, instant: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const local = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return local - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a local wall-clock time occurs in a zone. A time skipped by a spring-forward change lands
 * just after the gap (02:30 → 03:30); a time that occurs twice in autumn takes its first occurrence.
 */
export function localToInstant(zone: string, y: number, m: number, d: number, hh: number, mm: number): number {
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  const half = 43_200_000;
  // The offsets half a day either side: a zone changes at most once in that span.
  const candidates = [wall - offsetAt(zone, wall - half), wall - offsetAt(zone, wall + half)];
  const real = candidates.filter((c) => offsetAt(zone, c) === wall - c);
  return real.length ? Math.min(...real) : candidates[0];
}

/**
 * Every handoff between `from` and `to` (ms since epoch) as an instant, sorted, led by whoever was on
 * call at `from` (the last handoff before it). Throws on an unknown zone, a malformed time or no handoffs.
 */
export function handoffInstants<T extends object>(
  zone: string,
  handoffs: WallClockHandoff<T>[],
  from: number,
  to: number,
): HandoffInstant<T>[] {
  const problem = zoneProblem(zone) ?? handoffs.map((h) => timeProblem(h.at)).find(Boolean);
  if (problem) throw new Error(problem);
  if (handoffs.length === 0) throw new Error('a wall-clock rotation needs at least one handoff');
  const day = 86_400_000;
  const all: { t: number; i: number }[] = [];
  // One local day either side covers any offset (at most ±14 h).
  for (let t = from - 2 * day; t <= to + day; t += day) {
    const date = new Date(t + offsetAt(zone, t));
    for (const [i, h] of handoffs.entries()) {
      const [hh, mm] = h.at.split(':').map(Number);
      all.push({ t: localToInstant(zone, date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), hh, mm), i });
    }
  }
  const unique = [...new Map(all.map((x) => [`${x.t}|${x.i}`, x])).values()].sort((a, b) => a.t - b.t);
  const before = unique.filter((x) => x.t <= from);
  const lead = before[before.length - 1];
  const within = unique.filter((x) => x.t > from && x.t < to);
  return [...(lead ? [{ t: from, i: lead.i }] : []), ...within].map((x) => ({ ...handoffs[x.i], at: new Date(x.t).toISOString() }));
}

/** Who is on call at an instant, from precomputed handoffs (pure: safe in workflow code). */
export function onCallAtInstant<T extends object>(schedule: HandoffInstant<T>[], instant: number): HandoffInstant<T> | undefined {
  let who: HandoffInstant<T> | undefined;
  for (const h of schedule) if (Date.parse(h.at) <= instant) who = h;
  return who ?? schedule[0];
}
