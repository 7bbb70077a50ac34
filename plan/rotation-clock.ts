// Wall-clock rotations as the watch runs them: the handoffs ("09:00 Europe/Berlin") turned into
// watch-relative windows from the deploy, once, where the release is known (the watch's start), so the
// workflow never reads a time zone table (which differs between Node builds and changes between
// releases) and a replay sees the same windows. Daylight-saving changes land where they fall.
import { formatDuration, parseDuration, watchHours } from './duration';
import type { RawPlan } from './schema';
import { handoffInstants } from './wallclock';

type Rotation = NonNullable<RawPlan['rotation']>;
type Window = NonNullable<Rotation['windows']>[number];

/** Watch hours the windows cover: four times the watch, for extensions; past them the last window holds. */
const COVER = 4;

/** The rotation's windows for a watch deployed at `deployedAt` (ms); watch-relative windows as they are. */
export function rotationWindows(rotation: Rotation, clock: RawPlan['clock'], deployedAt: number): Window[] {
  if (!rotation.handoffs || !rotation.zone) return rotation.windows ?? [];
  const hourMs = parseDuration(clock.hour);
  const endMs = deployedAt + watchHours(clock.duration) * COVER * hourMs;
  const instants = handoffInstants(rotation.zone!, rotation.handoffs!, deployedAt, endMs);
  return instants.map((h, i) => {
    const from = (Date.parse(h.at) - deployedAt) / hourMs;
    const to = ((i + 1 < instants.length ? Date.parse(instants[i + 1].at) : endMs) - deployedAt) / hourMs;
    return {
      name: i === 0 ? `from the deploy (${rotation.zone})` : `from ${localTime(h.at, rotation.zone!)} ${rotation.zone}`,
      from: hours(from),
      to: hours(to),
      primary: h.primary,
      backup: h.backup,
      escalation: h.escalation,
    };
  });
}

/** A watch-hour offset as a duration the plan format reads (minutes are precise enough for handoffs). */
function hours(h: number): string {
  return h <= 0 ? '0h' : formatDuration(Math.round(h * 60) * 60_000);
}

function localTime(iso: string, zone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
}
