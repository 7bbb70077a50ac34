// The report's charts as plain SVG strings: no script, no external CSS or fonts, so a report
// opens offline and prints as it shows. Pure functions of the chart data that core/report.ts builds.

import type { Unit } from '../core/conditions';
import { formatUnit } from '../core/units';

export type Outcome = 'ok' | 'warn' | 'fail';

export interface ResponsePoint {
  hour: number;
  /** Milliseconds; null when the run gave no response time. */
  ms: number | null;
  outcome: Outcome;
}

export interface ResponseTimeChart {
  check: string;
  /** Watch hours on the x axis. */
  fromHour: number;
  toHour: number;
  /** The watch's hour when the report was made; later hours are shaded as not yet watched. */
  nowHour: number;
  /** Upper bound of the ok band and of the warn band, in ms (above warnMs the check fails). */
  passMs?: number;
  warnMs?: number;
  points: ResponsePoint[];
}

export interface StripRun {
  hour: number;
  outcome: Outcome;
  /** What was not ok at that run, for the tooltip. */
  detail: string;
}

export interface OutcomeStrip {
  fromHour: number;
  toHour: number;
  nowHour: number;
  rows: Array<{ tier: string; runs: StripRun[] }>;
}

export const COLORS = {
  ok: '#16a34a',
  warn: '#f59e0b',
  fail: '#dc2626',
  none: '#d1d5db',
  future: '#f3f4f6',
  line: '#2563eb',
  axis: '#6b7280',
  grid: '#e5e7eb',
  text: '#111827',
} as const;

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"';

/** Escapes text for HTML and SVG (element content and attribute values). */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** 850 → "850 ms", 2030 → "2.03 s", 30000 → "30 s", 45200 → "45.2 s". */
export function formatMsLabel(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(Math.round(ms / 10) / 100).toFixed(2).replace(/\.?0+$/, '')} s`;
  return `${trim(ms / 1000)} s`;
}

function trim(n: number): string {
  return (Math.round(n * 10) / 10).toFixed(1).replace(/\.0$/, '');
}

function f(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** An hour step that gives at most `max` tick intervals over the span: 1, 2, 3, 4, 6, 12, 24, 48 ... */
export function hourStep(span: number, max = 12): number {
  for (const step of [1, 2, 3, 4, 6, 12, 24, 48, 96, 168]) if (span / step <= max) return step;
  return Math.ceil(span / max / 24) * 24;
}

/** A round step for a value axis: 1, 2, 5 × 10^n giving about `target` ticks. */
function niceStep(max: number, target = 5): number {
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

function hourTicks(from: number, to: number): number[] {
  const step = hourStep(to - from);
  const out: number[] = [];
  for (let h = Math.ceil(from / step) * step; h <= to + 1e-9; h += step) out.push(h);
  return out;
}

const OUTCOME_WORD: Record<Outcome, string> = { ok: 'ok', warn: 'warn', fail: 'fail' };

/**
 * Response time per watch hour: the points (coloured by the run's outcome) joined by a line,
 * with the ok/warn/fail bands and the two threshold lines labelled, hour ticks, day marks.
 */
export function responseTimeSvg(chart: ResponseTimeChart, opts: { width?: number; height?: number } = {}): string {
  const W = opts.width ?? 960;
  const H = opts.height ?? 300;
  const m = { left: 58, right: 16, top: 22, bottom: 42 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const from = chart.fromHour;
  const to = Math.max(chart.toHour, from + 1);
  const values = chart.points.map((p) => p.ms).filter((v): v is number => v !== null && Number.isFinite(v));
  const top = Math.max(chart.warnMs ?? 0, chart.passMs ?? 0, ...values, 1);
  const yStep = niceStep(top * 1.15);
  const yMax = Math.ceil((top * 1.15) / yStep) * yStep;
  const x = (h: number) => m.left + ((h - from) / (to - from)) * pw;
  const y = (ms: number) => m.top + ph - (Math.min(ms, yMax) / yMax) * ph;
  const out: string[] = [];
  const title = `Response time of ${chart.check} per watch hour`;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-response" data-chart="response-time" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeHtml(title)}" ${FONT} font-size="12">`,
    `<title>${escapeHtml(title)}</title>`,
  );
  // Bands: ok below the pass line, warn up to the warn line, fail above it.
  const bandTop = m.top;
  const bandBottom = m.top + ph;
  if (chart.passMs !== undefined) {
    out.push(
      `<rect class="band band-ok" x="${f(m.left)}" y="${f(y(chart.passMs))}" width="${f(pw)}" height="${f(bandBottom - y(chart.passMs))}" fill="${COLORS.ok}" fill-opacity="0.06"/>`,
    );
    const warnTop = chart.warnMs !== undefined ? y(chart.warnMs) : bandTop;
    out.push(
      `<rect class="band band-warn" x="${f(m.left)}" y="${f(warnTop)}" width="${f(pw)}" height="${f(y(chart.passMs) - warnTop)}" fill="${COLORS.warn}" fill-opacity="0.08"/>`,
    );
    if (chart.warnMs !== undefined) {
      out.push(
        `<rect class="band band-fail" x="${f(m.left)}" y="${f(bandTop)}" width="${f(pw)}" height="${f(y(chart.warnMs) - bandTop)}" fill="${COLORS.fail}" fill-opacity="0.06"/>`,
      );
    }
  }
  // Hours not yet watched.
  if (chart.nowHour < to) {
    const nx = x(Math.max(from, chart.nowHour));
    out.push(
      `<rect class="future" x="${f(nx)}" y="${f(bandTop)}" width="${f(m.left + pw - nx)}" height="${f(ph)}" fill="${COLORS.future}" fill-opacity="0.8"><title>not yet watched (after hour ${f(chart.nowHour)})</title></rect>`,
    );
  }
  // Grid and y axis (seconds).
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    out.push(`<line x1="${f(m.left)}" x2="${f(m.left + pw)}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="${COLORS.grid}" stroke-width="1"/>`);
    const label = yMax >= 1000 ? `${trim(v / 1000)} s` : `${Math.round(v)} ms`;
    out.push(`<text x="${f(m.left - 6)}" y="${f(y(v) + 4)}" text-anchor="end" fill="${COLORS.axis}">${label}</text>`);
  }
  // Day marks.
  for (let d = Math.ceil(from / 24) * 24; d <= to; d += 24) {
    if (d > from)
      out.push(
        `<line class="day-mark" x1="${f(x(d))}" x2="${f(x(d))}" y1="${f(bandTop)}" y2="${f(bandBottom)}" stroke="${COLORS.axis}" stroke-dasharray="2 3" stroke-width="1"/>`,
      );
    if (d < to) out.push(`<text x="${f(x(d) + 4)}" y="${f(bandTop - 8)}" fill="${COLORS.axis}">day ${d / 24 + 1}</text>`);
  }
  // x axis with hour ticks.
  out.push(
    `<line class="axis axis-x" x1="${f(m.left)}" x2="${f(m.left + pw)}" y1="${f(bandBottom)}" y2="${f(bandBottom)}" stroke="${COLORS.axis}"/>`,
  );
  out.push(
    `<line class="axis axis-y" x1="${f(m.left)}" x2="${f(m.left)}" y1="${f(bandTop)}" y2="${f(bandBottom)}" stroke="${COLORS.axis}"/>`,
  );
  for (const h of hourTicks(from, to)) {
    out.push(
      `<line class="tick" x1="${f(x(h))}" x2="${f(x(h))}" y1="${f(bandBottom)}" y2="${f(bandBottom + 5)}" stroke="${COLORS.axis}"/>`,
    );
    out.push(`<text class="tick-label" x="${f(x(h))}" y="${f(bandBottom + 18)}" text-anchor="middle" fill="${COLORS.axis}">${h}h</text>`);
  }
  out.push(`<text x="${f(m.left + pw / 2)}" y="${f(H - 4)}" text-anchor="middle" fill="${COLORS.axis}">watch hour</text>`);
  // Threshold lines, labelled with their value.
  const thresholds: Array<[string, number | undefined, string, string]> = [
    ['pass', chart.passMs, COLORS.warn, 'warn above'],
    ['warn', chart.warnMs, COLORS.fail, 'fail above'],
  ];
  for (const [cls, ms, color, meaning] of thresholds) {
    if (ms === undefined) continue;
    const label = formatMsLabel(ms);
    out.push(
      `<g class="threshold threshold-${cls}" data-threshold-ms="${ms}">`,
      `<title>${escapeHtml(`${label}: ${meaning}`)}</title>`,
      `<line x1="${f(m.left)}" x2="${f(m.left + pw)}" y1="${f(y(ms))}" y2="${f(y(ms))}" stroke="${color}" stroke-width="1.5" stroke-dasharray="6 4"/>`,
      `<text x="${f(m.left + pw - 4)}" y="${f(y(ms) - 5)}" text-anchor="end" fill="${color}" font-weight="600">${escapeHtml(label)} · ${escapeHtml(meaning)}</text>`,
      `</g>`,
    );
  }
  // The line through the measured points (broken where a run gave no response time), then the points.
  let d = '';
  let pen = false;
  for (const p of chart.points) {
    if (p.hour < from || p.hour > to) continue;
    if (p.ms === null || !Number.isFinite(p.ms)) {
      pen = false;
      continue;
    }
    d += `${d ? ' ' : ''}${pen ? 'L' : 'M'}${f(x(p.hour))} ${f(y(p.ms))}`;
    pen = true;
  }
  if (d.includes('L'))
    out.push(`<path class="series" d="${d}" fill="none" stroke="${COLORS.line}" stroke-width="1.5" stroke-opacity="0.7"/>`);
  for (const p of chart.points) {
    if (p.hour < from || p.hour > to) continue;
    if (p.ms === null || !Number.isFinite(p.ms)) {
      const cx = x(p.hour);
      const cy = bandBottom - 6;
      out.push(
        `<g class="point point-missing"><title>${escapeHtml(`hour ${f(p.hour)}: no response time (${OUTCOME_WORD[p.outcome]})`)}</title>` +
          `<path d="M${f(cx - 4)} ${f(cy - 4)} L${f(cx + 4)} ${f(cy + 4)} M${f(cx - 4)} ${f(cy + 4)} L${f(cx + 4)} ${f(cy - 4)}" stroke="${COLORS[p.outcome]}" stroke-width="2"/></g>`,
      );
      continue;
    }
    const clipped = p.ms > yMax ? ' (off the scale)' : '';
    out.push(
      `<circle class="point point-${p.outcome}" cx="${f(x(p.hour))}" cy="${f(y(p.ms))}" r="3.5" fill="${COLORS[p.outcome]}" stroke="#fff" stroke-width="1">` +
        `<title>${escapeHtml(`hour ${f(p.hour)}: ${formatMsLabel(p.ms)} (${OUTCOME_WORD[p.outcome]})${clipped}`)}</title></circle>`,
    );
  }
  if (chart.points.length === 0) {
    out.push(`<text x="${f(m.left + pw / 2)}" y="${f(m.top + ph / 2)}" text-anchor="middle" fill="${COLORS.axis}">no runs yet</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

/**
 * One row per tier, one cell per watch hour: green ok, amber warn, red fail, grey for an hour
 * without a run of that tier, pale for hours not yet watched. Each cell has a tooltip.
 */
export function outcomeStripSvg(strip: OutcomeStrip, opts: { width?: number } = {}): string {
  const W = opts.width ?? 960;
  const m = { left: 92, right: 16, top: 8, bottom: 52 };
  const rowH = 22;
  const gap = 5;
  const from = Math.floor(strip.fromHour);
  const to = Math.max(Math.ceil(strip.toHour), from + 1);
  const hours = to - from + 1;
  const pw = W - m.left - m.right;
  const cw = pw / hours;
  const H = m.top + strip.rows.length * (rowH + gap) - gap + m.bottom;
  const x = (h: number) => m.left + (h - from) * cw;
  const title = 'Check outcomes per tier per watch hour';
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-strip" data-chart="outcome-strip" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${title}" ${FONT} font-size="12">`,
    `<title>${title}</title>`,
  ];
  strip.rows.forEach((row, i) => {
    const ry = m.top + i * (rowH + gap);
    const byHour = new Map<number, StripRun[]>();
    for (const r of row.runs) {
      const h = Math.floor(r.hour);
      byHour.set(h, [...(byHour.get(h) ?? []), r]);
    }
    out.push(`<g class="strip-row" data-tier="${escapeHtml(row.tier)}">`);
    out.push(
      `<text x="${f(m.left - 8)}" y="${f(ry + rowH / 2 + 4)}" text-anchor="end" fill="${COLORS.text}" font-weight="600">${escapeHtml(row.tier)}</text>`,
    );
    for (let h = from; h <= to; h++) {
      const runs = byHour.get(h);
      let fill: string;
      let cls: string;
      let tip: string;
      if (runs) {
        const worst = runs.some((r) => r.outcome === 'fail') ? 'fail' : runs.some((r) => r.outcome === 'warn') ? 'warn' : 'ok';
        fill = COLORS[worst];
        cls = `cell cell-${worst}`;
        tip = runs.map((r) => `${row.tier}, hour ${f(r.hour)}: ${OUTCOME_WORD[r.outcome]}${r.detail ? ` — ${r.detail}` : ''}`).join('\n');
      } else if (h > strip.nowHour) {
        fill = COLORS.future;
        cls = 'cell cell-future';
        tip = `${row.tier}, hour ${h}: not yet watched`;
      } else {
        fill = COLORS.none;
        cls = 'cell cell-none';
        tip = `${row.tier}, hour ${h}: no run`;
      }
      out.push(
        `<rect class="${cls}" x="${f(x(h) + 0.5)}" y="${f(ry)}" width="${f(Math.max(1, cw - 1))}" height="${rowH}" rx="2" fill="${fill}"><title>${escapeHtml(tip)}</title></rect>`,
      );
    }
    out.push('</g>');
  });
  const axisY = m.top + strip.rows.length * (rowH + gap) - gap + 4;
  for (const h of hourTicks(from, to)) {
    const cx = x(h) + cw / 2;
    out.push(`<line class="tick" x1="${f(cx)}" x2="${f(cx)}" y1="${f(axisY)}" y2="${f(axisY + 4)}" stroke="${COLORS.axis}"/>`);
    out.push(`<text class="tick-label" x="${f(cx)}" y="${f(axisY + 16)}" text-anchor="middle" fill="${COLORS.axis}">${h}h</text>`);
  }
  // Legend.
  const legend: Array<[string, string]> = [
    ['ok', COLORS.ok],
    ['warn', COLORS.warn],
    ['fail', COLORS.fail],
    ['no run', COLORS.none],
    ['not yet', COLORS.future],
  ];
  let lx = m.left;
  const ly = axisY + 28;
  for (const [label, color] of legend) {
    out.push(`<rect x="${f(lx)}" y="${f(ly)}" width="12" height="12" rx="2" fill="${color}" stroke="${COLORS.grid}"/>`);
    out.push(`<text x="${f(lx + 16)}" y="${f(ly + 10)}" fill="${COLORS.axis}">${label}</text>`);
    lx += 16 + label.length * 7 + 18;
  }
  out.push('</svg>');
  return out.join('\n');
}

export interface MetricPoint {
  hour: number;
  value: number | null;
  outcome: Outcome;
}

/** Any check's metric per watch hour (a prometheus probe's [VALUE]), with its bands and baseline. */
export interface MetricChart {
  check: string;
  /** The metric expression, e.g. [VALUE]. */
  metric: string;
  fromHour: number;
  toHour: number;
  nowHour: number;
  /** `upper`: the check warns above `pass` and fails above `warn`; `lower`: below. */
  direction?: 'upper' | 'lower';
  pass?: number;
  warn?: number;
  baseline?: number;
  /** The metric's unit (how values read). */
  unit?: Unit;
  points: MetricPoint[];
}

/**
 * A metric per watch hour: points coloured by outcome joined by a line, the pass and warn thresholds
 * (dashed) and the baseline from before the deploy (dotted), on a value axis that starts at zero for
 * values that are never negative.
 */
export function metricSvg(chart: MetricChart, opts: { width?: number; height?: number } = {}): string {
  const W = opts.width ?? 960;
  const H = opts.height ?? 260;
  const m = { left: 72, right: 16, top: 22, bottom: 42 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const from = chart.fromHour;
  const to = Math.max(chart.toHour, from + 1);
  const format = (n: number) => formatUnit(n, chart.unit);
  const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
  const all = [...chart.points.map((p) => p.value), chart.pass, chart.warn, chart.baseline].filter(finite);
  const lo = Math.min(0, ...all);
  const hi = Math.max(...all, lo + 1e-9);
  const span = (hi - lo) * 1.15 || 1;
  const step = niceStep(span);
  const yMin = Math.floor(lo / step) * step;
  const yMax = yMin + Math.ceil(span / step) * step;
  const x = (h: number) => m.left + ((h - from) / (to - from)) * pw;
  const y = (v: number) => m.top + ph - ((Math.max(Math.min(v, yMax), yMin) - yMin) / (yMax - yMin)) * ph;
  const title = `${chart.metric} of ${chart.check} per watch hour`;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-metric" data-chart="metric" data-check="${escapeHtml(chart.check)}" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeHtml(title)}" ${FONT} font-size="12">`,
    `<title>${escapeHtml(title)}</title>`,
  ];
  for (let v = yMin; v <= yMax + step / 1e6; v += step) {
    out.push(`<line x1="${f(m.left)}" x2="${f(m.left + pw)}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="${COLORS.grid}"/>`);
    out.push(`<text x="${f(m.left - 6)}" y="${f(y(v) + 4)}" text-anchor="end" fill="${COLORS.axis}">${escapeHtml(format(v))}</text>`);
  }
  for (const h of hourTicks(from, to))
    out.push(`<text class="tick-label" x="${f(x(h))}" y="${f(m.top + ph + 18)}" text-anchor="middle" fill="${COLORS.axis}">${h}h</text>`);
  out.push(`<text x="${f(m.left + pw / 2)}" y="${f(H - 4)}" text-anchor="middle" fill="${COLORS.axis}">watch hour</text>`);
  const worse = chart.direction === 'lower' ? 'below' : 'above';
  const lines: Array<[string, number | undefined, string, string, string]> = [
    ['pass', chart.pass, COLORS.warn, `${chart.warn === undefined ? 'fail' : 'warn'} ${worse}`, '6 4'],
    ['warn', chart.warn, COLORS.fail, `fail ${worse}`, '6 4'],
    ['baseline', chart.baseline, COLORS.axis, 'baseline before the deploy', '2 3'],
  ];
  for (const [cls, v, color, meaning, dash] of lines) {
    if (!finite(v)) continue;
    const label = `${format(v)} · ${meaning}`;
    out.push(
      `<g class="threshold threshold-${cls}" data-value="${v}"><title>${escapeHtml(label)}</title>`,
      `<line x1="${f(m.left)}" x2="${f(m.left + pw)}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="${color}" stroke-width="1.5" stroke-dasharray="${dash}"/>`,
      `<text x="${f(m.left + pw - 4)}" y="${f(y(v) - 5)}" text-anchor="end" fill="${color}" font-weight="600">${escapeHtml(label)}</text></g>`,
    );
  }
  const drawn = chart.points.filter((p) => p.hour >= from && p.hour <= to && finite(p.value));
  if (drawn.length > 1)
    out.push(
      `<path class="series" d="${drawn.map((p, i) => `${i ? 'L' : 'M'}${f(x(p.hour))} ${f(y(p.value!))}`).join(' ')}" fill="none" stroke="${COLORS.line}" stroke-width="1.5" stroke-opacity="0.7"/>`,
    );
  for (const p of drawn)
    out.push(
      `<circle class="point point-${p.outcome}" cx="${f(x(p.hour))}" cy="${f(y(p.value!))}" r="3.5" fill="${COLORS[p.outcome]}" stroke="#fff">` +
        `<title>${escapeHtml(`hour ${f(p.hour)}: ${format(p.value!)} (${OUTCOME_WORD[p.outcome]})`)}</title></circle>`,
    );
  if (drawn.length === 0)
    out.push(`<text x="${f(m.left + pw / 2)}" y="${f(m.top + ph / 2)}" text-anchor="middle" fill="${COLORS.axis}">no values yet</text>`);
  out.push('</svg>');
  return out.join('\n');
}
