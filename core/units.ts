// How numbers read to a person, by unit: 0.0123 as "1.23 %" when it is a ratio, 0.2 s as "200 ms",
// 1234567 as "1.23M". Pure: condition details and reports print with these.
import type { Unit } from './conditions';

const SI: Array<[number, string]> = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** Three significant digits, units for large numbers: 0.0123 → "0.0123", 1234567 → "1.23M", NaN → "NaN", Infinity → "+Inf". */
export function formatNumber(n: number): string {
  const special = specialText(n);
  if (special) return special;
  const sign = n < 0 ? '-' : '';
  const abs = significant(Math.abs(n));
  if (abs >= 1e15) return sign + abs.toExponential(2).replace(/\.?0+e/, 'e');
  for (const [size, unit] of SI) if (abs >= size) return `${sign}${significant(abs / size)}${unit}`;
  return sign + String(abs);
}

const TIME_UNITS: Array<[number, string]> = [
  [86_400, 'd'],
  [3_600, 'h'],
  [60, 'min'],
  [1, 's'],
  [1e-3, 'ms'],
  [1e-6, 'µs'],
];

/** A latency in seconds: 0.2 → "200 ms", 1.5 → "1.5 s", 90 → "1.5 min". */
export function formatSeconds(s: number): string {
  const special = specialText(s);
  if (special) return special;
  if (s === 0) return '0 s';
  const sign = s < 0 ? '-' : '';
  const abs = significant(Math.abs(s));
  const [size, unit] = TIME_UNITS.find(([size]) => abs >= size) ?? TIME_UNITS[TIME_UNITS.length - 1];
  return `${sign}${significant(abs / size)} ${unit}`;
}

function specialText(n: number): string | undefined {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return undefined;
}

/** Rounded to three significant digits (0.99951 → 1, so the unit is chosen after rounding). */
function significant(n: number): number {
  return n === 0 ? 0 : Number(n.toPrecision(3));
}

/** A number in its unit, for condition details, reports and charts. */
export function formatUnit(n: number, unit: Unit | undefined): string {
  switch (unit) {
    case 'ms':
      return Number.isFinite(n) ? formatSeconds(n / 1000) : formatNumber(n);
    case 'seconds':
      return formatSeconds(n);
    case 'ratio':
      return Number.isFinite(n) ? `${significant(n * 100)} %` : formatNumber(n);
    case 'percent':
      return Number.isFinite(n) ? `${significant(n)} %` : formatNumber(n);
    case 'bytes':
      return formatBytes(n);
    default:
      return formatNumber(n);
  }
}

const BINARY: Array<[number, string]> = [
  [2 ** 40, 'TiB'],
  [2 ** 30, 'GiB'],
  [2 ** 20, 'MiB'],
  [2 ** 10, 'KiB'],
];

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  const special = specialText(n);
  if (special) return special;
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  for (const [size, unit] of BINARY) if (abs >= size) return `${sign}${significant(abs / size)} ${unit}`;
  return `${sign}${significant(abs)} B`;
}
