// Durations are written as strings in plans ("15m", "4h", "1h30m", "500ms").
// This module has no imports so the workflow sandbox can use it too.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

export function isDuration(text: string): boolean {
  return DURATION.test(text.trim());
}

const SINGLE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * Durations parsed so far. A plan has a few dozen, and the schedule reads them thousands of times in a
 * watch's replay (every tier at every hour it looks ahead); what a string means never changes, so the
 * workflows that share this module can share it. Emptied when full, so it stays small.
 */
const parsed = new Map<string, number>();
const PARSED_MAX = 1024;

/** Milliseconds in a duration string; throws with the offending text when it is not one. */
export function parseDuration(text: string): number {
  const known = parsed.get(text);
  if (known !== undefined) return known;
  const total = parse(text);
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(text, total);
  return total;
}

function parse(text: string): number {
  // One part ("4h", "90s") is nearly every duration.
  const single = SINGLE.exec(text);
  if (single) return Number(single[1]) * UNIT_MS[single[2]];
  const s = text.trim();
  if (!DURATION.test(s)) throw new Error(`not a duration: "${text}" (use e.g. 15m, 4h, 1h30m, 500ms)`);
  let total = 0;
  for (const m of s.matchAll(PART)) total += Number(m[1]) * UNIT_MS[m[2]];
  return total;
}

/** A duration in watch hours: "4h" → 4, "30m" → 0.5. */
export function watchHours(text: string): number {
  return parseDuration(text) / UNIT_MS.h;
}

/** Compact human form of a duration in ms: 90_000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
