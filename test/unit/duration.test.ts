// Durations as plans write them, and the cache the schedule reads them through (plan/duration.ts).
import { formatDuration, parseDuration, watchHours } from '../../plan/duration';

test.each([
  ['500ms', 500],
  ['90s', 90_000],
  ['15m', 900_000],
  ['4h', 14_400_000],
  ['1.5h', 5_400_000],
  ['2d', 172_800_000],
  ['1h30m', 5_400_000],
  [' 1h30m ', 5_400_000],
])('%s is %d ms, read again from the cache as the first time', (text, ms) => {
  expect(parseDuration(text)).toBe(ms);
  expect(parseDuration(text)).toBe(ms);
});

test('a string that is not a duration is refused every time it is asked, never cached as a number', () => {
  for (let i = 0; i < 3; i++)
    expect(() => parseDuration('four hours')).toThrow('not a duration: "four hours" (use e.g. 15m, 4h, 1h30m, 500ms)');
  expect(() => parseDuration('')).toThrow('not a duration: ""');
});

test('more distinct durations than the cache keeps all still parse right (it empties when full)', () => {
  for (let i = 1; i <= 3000; i++) expect(parseDuration(`${i}s`)).toBe(i * 1000);
  for (let i = 1; i <= 3000; i += 7) expect(parseDuration(`${i}m`)).toBe(i * 60_000);
  expect(parseDuration('1s')).toBe(1000);
});

test('watch hours and the compact form', () => {
  expect(watchHours('30m')).toBe(0.5);
  expect(watchHours('48h')).toBe(48);
  expect(formatDuration(90_000)).toBe('1m30s');
  expect(formatDuration(250)).toBe('250ms');
});
