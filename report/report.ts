// A watch report from its status: a pure function, so any watch can be rendered anywhere.
// buildReport computes every number once into a ReportData; the Markdown, the JSON and the HTML
// (core/report-html.ts) all render that object, and the tables of the Markdown and the HTML come
// from the same section list, so the three agree by construction.
import type { MetricChart, OutcomeStrip, ResponseTimeChart, StripRun } from './charts';
import { formatUnit } from '../core/units';
import { formatMsLabel } from './charts';
import { formatHours } from '../core/hours';
import type { WatchStatus } from '../core/status';

export interface ReportMeta {
  kind: 'daily' | 'final' | 'on-demand';
  hour: number;
}

export const REPORT_FORMAT = 'release-watch/report@1';

type Outcome = 'ok' | 'warn' | 'fail';

export interface TierRow {
  tier: string;
  checks: string[];
  runs: number;
  passed: number;
  warned: number;
  failed: number;
  late: number;
  /** passed / runs in percent, one decimal; null before the first run. */
  passRate: number | null;
  lastHour?: number;
  lastOutcome?: string;
}

export interface IncidentRow {
  id: string;
  seq: number;
  check: string;
  severity: string;
  category: string;
  state: string;
  openedHour: number;
  ackedHour?: number;
  /** Who acknowledged it (the first to take it, or who took it over). */
  ackedBy?: string;
  resolvedHour?: number;
  resolvedBy?: string;
  durationHours: number;
  ackSlaHours?: number;
  ackSla?: 'met' | 'missed' | 'pending';
  /** Who holds (acknowledged, resolved, or is paged for) the incident. */
  handledBy?: string;
  reason: string;
  trigger?: string;
  document?: string;
}

export interface SlaSummary {
  total: number;
  met: number;
  missed: number;
  pending: number;
  /** met / (met + missed) in percent, one decimal; null when no incident has been decided. */
  compliance: number | null;
}

export interface ReportData {
  format: typeof REPORT_FORMAT;
  /** File name without extension: day-1, day-2 ..., final, hour-N. */
  name: string;
  kind: ReportMeta['kind'];
  title: string;
  /** The watch hour the report was made at. */
  hour: number;
  /** For a daily report: the watch day it closes (day 1 = hours 0-23). */
  day?: number;
  watch: {
    id: string;
    plan: string;
    service: string;
    version: string;
    commit?: string;
    deployedAt: string;
    startedAt: string;
    startedBy: string;
    phase: string;
    health: string;
    hour: number;
    endHour: number;
    generation: number;
    onCall: WatchStatus['onCall'];
  };
  summary: {
    tierRuns: number;
    /** Passed tier runs over all tiers, percent, one decimal. */
    passRate: number | null;
    incidents: number;
    openIncidents: number;
    slaCompliance: number | null;
    daysOverBudget: number;
    undelivered: number;
    leversPulled: number;
  };
  tiers: TierRow[];
  /** Tier runs per watch day (day 1 = hours 0-23). */
  tiersByDay: Array<{ day: number; tier: string; runs: number; passed: number; warned: number; failed: number; passRate: number | null }>;
  checks: Array<{
    check: string;
    category: string;
    status: string;
    runs: number;
    warns: number;
    fails: number;
    last?: { hour: number; outcome: string; reason: string };
    /** The value from before the deploy, as a person reads it. */
    baseline?: string;
  }>;
  incidents: { total: number; open: number; bySeverity: Record<string, number>; items: IncidentRow[] };
  sla: SlaSummary & { bySeverity: Array<SlaSummary & { severity: string; ackSlaHours?: number }> };
  checkpoints: Array<{
    name: string;
    title: string;
    hour: number;
    state: string;
    decision?: string;
    by?: string;
    decidedHour?: number;
    note?: string;
    escalations: number;
    criteria: Array<{ name: string; met: boolean; detail: string }>;
  }>;
  decisions: Array<{ hour: number; at: string; checkpoint: string; decision: string; by: string; note?: string; via: string }>;
  levers: Array<{
    seq: number;
    lever: string;
    requestedHour: number;
    by: string;
    automatic: boolean;
    reason: string;
    approvedBy?: string;
    state: string;
    finishedHour?: number;
    verify?: string;
  }>;
  budget: null | {
    currency: string;
    dailyCeiling: number;
    total: number;
    days: Array<{ day: number; spent: number; ceiling: number; overBudget: boolean; percentOfCeiling: number }>;
  };
  /** The plan's checks by category; shown when the plan has more than one. */
  categories: WatchStatus['categories'];
  /** What the plan has: the sections shown. */
  shape: WatchStatus['shape'];
  logs: {
    /** Whether the watch state keeps log pattern counts (when false, `patterns` is empty). */
    patternsRecorded: boolean;
    patterns: Array<{ pattern: string; count: number }>;
    /** Trigger conditions (many over log patterns) that held, per watch day. */
    triggers: Array<{ trigger: string; day: number; hits: number }>;
    checks: Array<{ check: string; runs: number; warns: number; fails: number; last?: string }>;
  };
  findings: WatchStatus['findings'];
  notifications: { sent: number; sentByWatch: number; sentByIncidents: number; undelivered: WatchStatus['notifications']['undelivered'] };
  refused: Array<{ hour: number; via: string; what: string; reason: string }>;
  charts: { responseTime: ResponseTimeChart | null; outcomes: OutcomeStrip; metrics: MetricChart[] };
}

export function reportName(meta: ReportMeta): string {
  if (meta.kind === 'final') return 'final';
  if (meta.kind === 'daily') return `day-${reportDay(meta.hour)}`;
  return `hour-${meta.hour}`;
}

function reportDay(hour: number): number {
  return Math.max(1, Math.round(hour / 24));
}

function watchDayOf(hour: number): number {
  return Math.floor(hour / 24) + 1;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Percent with one decimal, or null when there is nothing to divide by. */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? round1((part / whole) * 100) : null;
}

const OUTCOMES: Outcome[] = ['ok', 'warn', 'fail'];

/** Every number the report shows, computed once from the status. */
export function buildReport(s: WatchStatus, meta: ReportMeta): ReportData {
  const kind = meta.kind;
  const day = kind === 'daily' ? reportDay(meta.hour) : undefined;
  const title = kind === 'final' ? 'Final report' : kind === 'daily' ? `Daily report, day ${day}` : `Report at hour ${meta.hour}`;

  const tiers: TierRow[] = Object.entries(s.tiers).map(([tier, t]) => ({
    tier,
    checks: t.checks ?? [],
    runs: t.runs,
    passed: t.passed,
    warned: t.warned,
    failed: t.failed,
    late: t.late,
    passRate: rate(t.passed, t.runs),
    lastHour: t.lastHour,
    lastOutcome: t.lastOutcome,
  }));

  const tiersByDay: ReportData['tiersByDay'] = [];
  const lastDay = Math.max(1, ...Object.values(s.tiers).flatMap((t) => t.ranAt.map(watchDayOf)));
  for (let d = 1; d <= lastDay; d++) {
    for (const [tier, t] of Object.entries(s.tiers)) {
      const inDay = (h: number) => watchDayOf(h) === d;
      const runs = t.ranAt.filter(inDay).length;
      if (runs === 0) continue;
      const warned = (t.warnedAt ?? []).filter(inDay).length;
      const failed = (t.failedAt ?? []).filter(inDay).length;
      const passed = runs - warned - failed;
      tiersByDay.push({ day: d, tier, runs, passed, warned, failed, passRate: rate(passed, runs) });
    }
  }

  const items: IncidentRow[] = s.incidents.map((i, n) => ({
    id: i.id,
    seq: Number(/incident-(\d+)$/.exec(i.id)?.[1] ?? n + 1),
    check: i.check,
    severity: i.severity,
    category: i.category ?? '',
    state: i.state,
    openedHour: i.openedAtHour ?? i.openedHour,
    ackedHour: i.ackedHour,
    ackedBy: i.ackedBy,
    resolvedHour: i.resolvedHour,
    resolvedBy: i.resolvedBy,
    durationHours: i.durationHours ?? round1(Math.max(0, (i.resolvedHour ?? s.hour) - i.openedHour)),
    ackSlaHours: i.ackSlaHours,
    ackSla: i.ackSla,
    handledBy: i.holder,
    reason: i.reason,
    trigger: i.trigger,
    document: i.document,
  }));
  const bySeverity: Record<string, number> = {};
  for (const i of items) bySeverity[i.severity] = (bySeverity[i.severity] ?? 0) + 1;
  const slaOf = (list: IncidentRow[]): SlaSummary => {
    const met = list.filter((i) => i.ackSla === 'met').length;
    const missed = list.filter((i) => i.ackSla === 'missed').length;
    const pending = list.filter((i) => i.ackSla === 'pending').length;
    return { total: list.length, met, missed, pending, compliance: rate(met, met + missed) };
  };
  // The plan lists its severities most severe first.
  const order = s.shape?.severities ?? [];
  const sevRank = (sev: string) => (order.includes(sev) ? order.indexOf(sev) : order.length);
  const severities = [...new Set(items.map((i) => i.severity))].sort((a, b) => sevRank(a) - sevRank(b) || a.localeCompare(b));

  const budget = s.budget ? budgetDays(s) : null;
  const levers: ReportData['levers'] = (s.levers ?? []).map((l) => ({
    seq: l.seq,
    lever: l.lever,
    requestedHour: l.requestedHour,
    by: l.by,
    automatic: l.automatic,
    reason: l.reason,
    approvedBy: l.approvedBy,
    state: l.state,
    finishedHour: l.finishedHour,
    verify: l.verify ? `${l.verify.check}: ${l.verify.outcome}` : undefined,
  }));

  const logCheckIds = new Set(s.shape?.logChecks ?? []);
  const logChecks = Object.entries(s.checks)
    .filter(([id]) => logCheckIds.has(id))
    .map(([check, c]) => ({
      check,
      runs: c.runs,
      warns: c.warns,
      fails: c.fails,
      last: c.last ? `h${c.last.hour} ${c.last.outcome}: ${c.last.reason}` : undefined,
    }));
  const triggers: ReportData['logs']['triggers'] = [];
  for (const [trigger, days] of Object.entries(s.triggerHits ?? {})) {
    for (const [d, hits] of Object.entries(days)) triggers.push({ trigger, day: Number(d.replace(/^day /, '')), hits });
  }
  triggers.sort((a, b) => a.day - b.day || a.trigger.localeCompare(b.trigger));

  const allRuns = tiers.reduce((n, t) => n + t.runs, 0);
  const allPassed = tiers.reduce((n, t) => n + t.passed, 0);
  const sla = {
    ...slaOf(items),
    bySeverity: severities.map((sev) => ({
      severity: sev,
      ackSlaHours: items.find((i) => i.severity === sev)?.ackSlaHours,
      ...slaOf(items.filter((i) => i.severity === sev)),
    })),
  };

  return {
    format: REPORT_FORMAT,
    name: reportName(meta),
    kind,
    title,
    hour: meta.hour,
    ...(day !== undefined ? { day } : {}),
    watch: {
      id: s.watchId,
      plan: s.plan,
      service: s.service,
      version: s.release.version,
      commit: s.release.commit,
      deployedAt: s.release.deployedAt,
      startedAt: s.startedAt,
      startedBy: s.startedBy,
      phase: s.phase,
      health: s.health,
      hour: s.hour,
      endHour: s.endHour,
      generation: s.generation,
      onCall: s.onCall,
    },
    summary: {
      tierRuns: allRuns,
      passRate: rate(allPassed, allRuns),
      incidents: items.length,
      openIncidents: s.openIncidents,
      slaCompliance: sla.compliance,
      daysOverBudget: budget ? budget.days.filter((d) => d.overBudget).length : 0,
      undelivered: s.notifications.undelivered.length,
      leversPulled: levers.length,
    },
    tiers,
    tiersByDay,
    checks: Object.entries(s.checks).map(([check, c]) => ({
      check,
      category: c.category ?? '',
      status: c.status,
      runs: c.runs,
      warns: c.warns,
      fails: c.fails,
      last: c.last ? { hour: c.last.hour, outcome: c.last.outcome, reason: c.last.reason } : undefined,
      ...(c.baseline ? { baseline: `${c.baseline.text} (${c.baseline.window} before the deploy)` } : {}),
    })),
    incidents: { total: items.length, open: s.openIncidents, bySeverity, items },
    sla,
    checkpoints: s.checkpoints.map((c) => ({
      name: c.name,
      title: c.title,
      hour: c.hour,
      state: c.state,
      decision: c.decision,
      by: c.by,
      decidedHour: c.decidedHour,
      note: c.note,
      escalations: c.escalations,
      criteria: (c.criteria ?? []).map((k) => ({ name: k.name, met: k.met, detail: k.detail })),
    })),
    decisions: s.decisions.map((d) => ({
      hour: d.hour,
      at: new Date(d.at).toISOString(),
      checkpoint: d.checkpoint,
      decision: d.decision,
      by: d.by,
      note: d.note,
      via: d.via,
    })),
    levers,
    budget,
    categories: s.categories ?? [],
    shape: s.shape ?? { severities: [], levers: [], logChecks: [], scheduledTriggers: [] },
    logs: {
      patternsRecorded: s.logPatterns !== undefined,
      patterns: Object.entries(s.logPatterns ?? {})
        .map(([pattern, count]) => ({ pattern, count }))
        .sort((a, b) => b.count - a.count || a.pattern.localeCompare(b.pattern)),
      triggers,
      checks: logChecks,
    },
    findings: s.findings,
    notifications: {
      sent: s.sent?.total ?? s.notifications.sent,
      sentByWatch: s.sent?.watch ?? s.notifications.sent,
      sentByIncidents: s.sent?.incidents ?? 0,
      undelivered: s.notifications.undelivered,
    },
    refused: s.refused.map((r) => ({ hour: r.hour, via: r.via, what: r.what, reason: r.reason })),
    charts: { responseTime: responseChart(s), outcomes: outcomeStrip(s), metrics: metricCharts(s) },
  };
}

function budgetDays(s: WatchStatus): NonNullable<ReportData['budget']> {
  const { daily, currency } = s.budget!;
  const spent = new Map<number, number>();
  for (const [key, v] of Object.entries(s.spend)) {
    const d = Number(/(\d+)$/.exec(key)?.[1]);
    if (Number.isFinite(d)) spent.set(d, v);
  }
  const days = Math.max(1, Math.ceil(s.hour / 24), ...spent.keys());
  const rows: NonNullable<ReportData['budget']>['days'] = [];
  for (let d = 1; d <= days; d++) {
    const v = round2(spent.get(d) ?? 0);
    rows.push({ day: d, spent: v, ceiling: daily, overBudget: v > daily, percentOfCeiling: daily > 0 ? round1((v / daily) * 100) : 0 });
  }
  return { currency, dailyCeiling: daily, total: round2(rows.reduce((n, r) => n + r.spent, 0)), days: rows };
}

/** The charts' hour axis: the watch's span (longer once extended), or the last run if later. */
function chartSpan(s: WatchStatus): number {
  const ran = Object.values(s.tiers).flatMap((t) => t.ranAt);
  return Math.ceil(Math.max(s.endHour, ...ran, 1));
}

function responseChart(s: WatchStatus): ResponseTimeChart | null {
  const bands = s.responseTime;
  if (!bands) return null;
  const series = s.checks[bands.check]?.series ?? [];
  return {
    check: bands.check,
    fromHour: 0,
    toHour: chartSpan(s),
    nowHour: s.hour,
    ...(bands.passMs !== undefined ? { passMs: bands.passMs } : {}),
    ...(bands.warnMs !== undefined ? { warnMs: bands.warnMs } : {}),
    points: series.map(([hour, code, ms]) => ({ hour, ms, outcome: OUTCOMES[code] ?? 'fail' })),
  };
}

/** A chart for every check with a metric other than [RESPONSE_TIME] (that one has its own) and a value to show. */
function metricCharts(s: WatchStatus): MetricChart[] {
  const charts: MetricChart[] = [];
  for (const [check, c] of Object.entries(s.checks)) {
    if (check === s.responseTime?.check || !c.series.some(([, , v]) => v !== null)) continue;
    charts.push({
      check,
      metric: s.metrics?.[check] ?? 'metric',
      fromHour: 0,
      toHour: chartSpan(s),
      nowHour: s.hour,
      ...(c.bands ? { direction: c.bands.direction } : {}),
      ...(c.bands?.pass !== undefined ? { pass: c.bands.pass } : {}),
      ...(c.bands?.warn !== undefined ? { warn: c.bands.warn } : {}),
      ...(c.baseline ? { baseline: c.baseline.value } : {}),
      ...(c.unit ? { unit: c.unit } : {}),
      points: c.series.map(([hour, code, value]) => ({ hour, value, outcome: OUTCOMES[code] ?? 'fail' })),
    });
  }
  return charts;
}

function outcomeStrip(s: WatchStatus): OutcomeStrip {
  const rows = Object.entries(s.tiers).map(([tier, t]) => {
    const failed = new Set(t.failedAt ?? []);
    const warned = new Set(t.warnedAt ?? []);
    const runs: StripRun[] = t.ranAt.map((hour) => {
      const outcome: Outcome = failed.has(hour) ? 'fail' : warned.has(hour) ? 'warn' : 'ok';
      const notOk = (t.checks ?? [])
        .map((id) => {
          const entry = s.checks[id]?.series.find(([h]) => h === hour);
          return entry && entry[1] > 0 ? `${id} ${OUTCOMES[entry[1]] ?? 'fail'}` : undefined;
        })
        .filter((x): x is string => x !== undefined);
      return { hour, outcome, detail: notOk.join(', ') };
    });
    return { tier, runs };
  });
  return { fromHour: 0, toHour: chartSpan(s), nowHour: s.hour, rows };
}

// ---- sections: the tables and lists both the Markdown and the HTML show ----------------------

export type Tone = 'ok' | 'warn' | 'fail' | 'muted';
export type Cell = string | { text: string; tone?: Tone; code?: boolean };
export type Block =
  | { kind: 'p'; text: string; tone?: Tone }
  | { kind: 'h3'; text: string; tone?: Tone }
  | { kind: 'quote'; text: string }
  | { kind: 'list'; items: Array<{ text: string; checked?: boolean }> }
  | { kind: 'table'; head: string[]; numeric: boolean[]; rows: Cell[][] };
export interface Section {
  id: string;
  title: string;
  blocks: Block[];
}

/** 97.9 → "97.9%", null → "–". */
export function pct(n: number | null): string {
  return n === null ? '–' : `${n.toFixed(1)}%`;
}

export function money(n: number, currency: string): string {
  return `${n.toFixed(2)} ${currency}`;
}

/** Watch hours as "h12.5" (a point in the watch). */
export function at(h: number | undefined): string {
  return h === undefined ? '–' : `h${h}`;
}

/** A span of watch hours as people write it: 0.25 → "15 min", 1.5 → "1.5 h". */
export function span(h: number | undefined): string {
  return h === undefined ? '–' : formatHours(h);
}

const OUTCOME_TONE: Record<string, Tone> = {
  ok: 'ok',
  healthy: 'ok',
  passed: 'ok',
  met: 'ok',
  resolved: 'ok',
  done: 'ok',
  decided: 'ok',
  warn: 'warn',
  warning: 'warn',
  degraded: 'warn',
  pending: 'warn',
  acknowledged: 'warn',
  recovered: 'warn',
  running: 'warn',
  'awaiting-approval': 'warn',
  fail: 'fail',
  failing: 'fail',
  missed: 'fail',
  open: 'fail',
  failed: 'fail',
  expired: 'fail',
};

function toned(text: string | undefined): Cell {
  if (text === undefined) return '–';
  return { text, tone: OUTCOME_TONE[text] };
}

function numbers(...ns: Array<number | string>): Cell[] {
  return ns.map((n) => String(n));
}

export function reportSections(r: ReportData): Section[] {
  const out: Section[] = [];
  const cur = r.budget?.currency ?? '';

  out.push({
    id: 'tiers',
    title: 'Tier runs',
    blocks: [
      {
        kind: 'table',
        head: ['tier', 'runs', 'passed', 'warned', 'failed', 'late', 'pass rate', 'last'],
        numeric: [false, true, true, true, true, true, true, false],
        rows: r.tiers.map((t) => [
          t.tier,
          ...numbers(t.runs, t.passed, t.warned, t.failed, t.late),
          { text: pct(t.passRate), tone: t.passRate === null ? 'muted' : t.passRate === 100 ? 'ok' : t.failed > 0 ? 'fail' : 'warn' },
          t.lastHour === undefined
            ? '–'
            : { text: `${at(t.lastHour)} ${t.lastOutcome ?? ''}`.trim(), tone: OUTCOME_TONE[t.lastOutcome ?? ''] },
        ]),
      },
      { kind: 'h3', text: 'By watch day' },
      r.tiersByDay.length === 0
        ? { kind: 'p', text: 'No tier has run yet.', tone: 'muted' }
        : {
            kind: 'table',
            head: ['day', 'tier', 'runs', 'passed', 'warned', 'failed', 'pass rate'],
            numeric: [true, false, true, true, true, true, true],
            rows: r.tiersByDay.map((d) => [String(d.day), d.tier, ...numbers(d.runs, d.passed, d.warned, d.failed), pct(d.passRate)]),
          },
    ],
  });

  out.push({
    id: 'checks',
    title: 'Checks',
    blocks: [
      {
        kind: 'table',
        head: ['check', 'category', 'status', 'runs', 'warned', 'failed', 'last'],
        numeric: [false, false, false, true, true, true, false],
        rows: r.checks.map((c) => [
          c.check,
          c.category,
          toned(c.status),
          ...numbers(c.runs, c.warns, c.fails),
          `${c.last ? `${at(c.last.hour)} ${c.last.outcome}: ${c.last.reason}` : ''}${c.baseline ? ` · baseline ${c.baseline}` : ''}`,
        ]),
      },
    ],
  });

  const order = r.shape.severities;
  const sevRank = (sev: string) => (order.includes(sev) ? order.indexOf(sev) : order.length);
  const sevText = Object.entries(r.incidents.bySeverity)
    .sort(([a], [b]) => sevRank(a) - sevRank(b))
    .map(([sev, n]) => `${sev} ${n}`)
    .join(', ');
  out.push({
    id: 'incidents',
    title: 'Incidents',
    blocks:
      r.incidents.total === 0
        ? [{ kind: 'p', text: 'Incidents: 0. None opened.', tone: 'ok' }]
        : [
            { kind: 'p', text: `Incidents: ${r.incidents.total} (${sevText}); open: ${r.incidents.open}.` },
            {
              kind: 'table',
              head: [
                '#',
                'check',
                'severity',
                'state',
                'opened',
                'acknowledged',
                'resolved',
                'duration',
                'ack SLA',
                'acked in time',
                'handled by',
                'reason',
              ],
              numeric: [true, false, false, false, true, false, false, true, true, false, false, false],
              rows: r.incidents.items.map((i) => [
                String(i.seq),
                i.check,
                i.severity,
                toned(i.state),
                at(i.openedHour),
                i.ackedHour === undefined ? '–' : `${at(i.ackedHour)}${i.ackedBy ? ` by ${i.ackedBy}` : ''}`,
                i.resolvedHour === undefined ? '–' : `${at(i.resolvedHour)}${i.resolvedBy ? ` by ${i.resolvedBy}` : ''}`,
                span(i.durationHours),
                span(i.ackSlaHours),
                toned(i.ackSla),
                i.handledBy ?? '',
                i.trigger ? `${i.trigger}: ${i.reason}` : i.reason,
              ]),
            },
          ],
  });

  out.push({
    id: 'sla',
    title: 'SLA compliance',
    blocks: [
      {
        kind: 'p',
        text: `Acknowledged in time: ${r.sla.met} of ${r.sla.met + r.sla.missed} decided (${pct(r.sla.compliance)}); missed: ${r.sla.missed}; pending: ${r.sla.pending}.`,
        tone: r.sla.missed > 0 ? 'fail' : r.sla.total > 0 ? 'ok' : 'muted',
      },
      ...(r.sla.bySeverity.length
        ? [
            {
              kind: 'table' as const,
              head: ['severity', 'ack within', 'incidents', 'met', 'missed', 'pending', 'compliance'],
              numeric: [false, true, true, true, true, true, true],
              rows: r.sla.bySeverity.map((v) => [
                v.severity,
                span(v.ackSlaHours),
                ...numbers(v.total, v.met, v.missed, v.pending),
                pct(v.compliance),
              ]),
            },
          ]
        : []),
    ],
  });

  const cpBlocks: Block[] = [];
  for (const c of r.checkpoints) {
    const decided = c.decision ? ` — ${c.decision} by ${c.by} at ${at(c.decidedHour)}` : '';
    cpBlocks.push({
      kind: 'h3',
      text: `${c.title} (hour ${c.hour}): ${c.state}${decided}`,
      tone: c.decision === 'rollback' || c.decision === 'escalate' ? 'fail' : c.decision ? 'ok' : c.state === 'pending' ? 'warn' : 'muted',
    });
    if (c.note) cpBlocks.push({ kind: 'quote', text: c.note });
    const items: Array<{ text: string; checked?: boolean }> = c.criteria.map((k) => ({ text: `${k.name}: ${k.detail}`, checked: k.met }));
    if (c.escalations) items.push({ text: `escalated ${c.escalations} time(s) while unanswered` });
    if (items.length) cpBlocks.push({ kind: 'list', items });
  }
  if (r.decisions.length) {
    cpBlocks.push({ kind: 'h3', text: 'Decisions' });
    cpBlocks.push({
      kind: 'table',
      head: ['hour', 'time', 'checkpoint', 'decision', 'by', 'via', 'note'],
      numeric: [true, false, false, false, false, false, false],
      rows: r.decisions.map((d) => [at(d.hour), d.at, d.checkpoint, d.decision, d.by, d.via, d.note ?? '']),
    });
  }
  out.push({ id: 'checkpoints', title: 'Checkpoints', blocks: cpBlocks });

  // A section the plan has nothing for is left out (no levers, no budget, no log checks, no categories).
  if (r.levers.length || r.shape.levers.length)
    out.push({
      id: 'levers',
      title: 'Levers pulled',
      blocks: r.levers.length
        ? [
            {
              kind: 'table',
              head: ['#', 'lever', 'requested', 'by', 'automatic', 'approved by', 'state', 'finished', 'verify', 'reason'],
              numeric: [true, false, true, false, false, false, false, true, false, false],
              rows: r.levers.map((l) => [
                String(l.seq),
                l.lever,
                at(l.requestedHour),
                l.by,
                l.automatic ? 'yes' : 'no',
                l.approvedBy ?? '',
                toned(l.state),
                at(l.finishedHour),
                l.verify ?? '',
                l.reason,
              ]),
            },
          ]
        : [{ kind: 'p', text: 'None.', tone: 'muted' }],
    });

  if (r.budget)
    out.push({
      id: 'budget',
      title: 'Budget per day',
      blocks: [
        {
          kind: 'table',
          head: ['day', 'spent', 'ceiling', 'of ceiling', 'status'],
          numeric: [true, true, true, true, false],
          rows: r.budget.days.map((d) => [
            String(d.day),
            money(d.spent, cur),
            money(d.ceiling, cur),
            pct(d.percentOfCeiling),
            d.overBudget ? { text: 'over budget', tone: 'fail' } : { text: 'within', tone: 'ok' },
          ]),
        },
        { kind: 'p', text: `Total: ${money(r.budget.total, cur)}.` },
      ],
    });

  if (r.categories.length > 1)
    out.push({
      id: 'categories',
      title: 'Checks by category',
      blocks: [
        {
          kind: 'table',
          head: ['category', 'check', 'runs', 'status', 'last', 'at', 'reason'],
          numeric: [false, false, true, false, false, true, false],
          rows: r.categories.flatMap((g) =>
            g.checks.map((c) => [
              g.category,
              c.check,
              String(c.runs),
              c.status ? toned(c.status) : { text: 'not run yet', tone: 'muted' as Tone },
              toned(c.outcome),
              at(c.hour),
              c.reason ?? '',
            ]),
          ),
        },
      ],
    });

  const logBlocks: Block[] = [];
  if (r.logs.patternsRecorded) {
    logBlocks.push(
      r.logs.patterns.length
        ? {
            kind: 'table',
            head: ['pattern', 'count'],
            numeric: [false, true],
            rows: r.logs.patterns.map((p) => [{ text: p.pattern, code: true }, String(p.count)]),
          }
        : { kind: 'p', text: 'No pattern matched.', tone: 'muted' },
    );
  } else {
    logBlocks.push({
      kind: 'p',
      text: 'Per-pattern counts are not kept in the watch state; the log checks and the triggers over their patterns follow.',
      tone: 'muted',
    });
  }
  if (r.logs.checks.length) {
    logBlocks.push({
      kind: 'table',
      head: ['log check', 'runs', 'warned', 'failed', 'last'],
      numeric: [false, true, true, true, false],
      rows: r.logs.checks.map((c) => [c.check, ...numbers(c.runs, c.warns, c.fails), c.last ?? '']),
    });
  }
  logBlocks.push(
    r.logs.triggers.length
      ? {
          kind: 'table',
          head: ['day', 'trigger', 'runs where it held'],
          numeric: [true, false, true],
          rows: r.logs.triggers.map((t) => [String(t.day), { text: t.trigger, code: true }, String(t.hits)]),
        }
      : { kind: 'p', text: 'No trigger held.', tone: 'muted' },
  );
  if (r.shape.logChecks.length || r.logs.triggers.length) out.push({ id: 'logs', title: 'Log patterns', blocks: logBlocks });

  if (r.findings.length || r.shape.scheduledTriggers.length)
    out.push({
      id: 'escalations',
      title: 'Scheduled escalations',
      blocks: r.findings.length
        ? [{ kind: 'list', items: r.findings.map((f) => ({ text: `day ${f.day}: ${f.description} — ${f.detail}` })) }]
        : [{ kind: 'p', text: 'None.', tone: 'muted' }],
    });

  out.push({
    id: 'notifications',
    title: 'Notifications',
    blocks: [
      {
        kind: 'p',
        text: `Sent: ${r.notifications.sent} (the watch ${r.notifications.sentByWatch}, its incidents ${r.notifications.sentByIncidents}); undelivered: ${r.notifications.undelivered.length}.`,
        tone: r.notifications.undelivered.length ? 'fail' : undefined,
      },
      ...(r.notifications.undelivered.length
        ? [
            {
              kind: 'table' as const,
              head: ['event', 'sink', 'error'],
              numeric: [false, false, false],
              rows: r.notifications.undelivered.map((u) => [{ text: u.eventId, code: true }, u.sink, u.error]),
            },
          ]
        : []),
    ],
  });

  if (r.refused.length) {
    out.push({
      id: 'refused',
      title: 'Refused requests',
      blocks: [
        {
          kind: 'table',
          head: ['hour', 'via', 'what', 'reason'],
          numeric: [true, false, false, false],
          rows: r.refused.map((x) => [at(x.hour), x.via, x.what, x.reason]),
        },
      ],
    });
  }
  return out;
}

/** The headline lines under the title, shared by the Markdown and the HTML. */
export function headline(r: ReportData): Array<[string, string]> {
  const w = r.watch;
  return [
    ['Watch', `${w.id} (plan ${w.plan}, run ${w.generation})`],
    ['Release', `${w.service} ${w.version}${w.commit ? ` @ ${w.commit}` : ''}, deployed ${w.deployedAt}`],
    ['Started', `${w.startedAt} by ${w.startedBy}`],
    ['State', `${w.phase}, ${w.health}, hour ${w.hour} of ${w.endHour}`],
    ['On call', `${w.onCall.window}: ${w.onCall.primary}, backup ${w.onCall.backup}, escalation ${w.onCall.escalation}`],
  ];
}

// ---- Markdown -------------------------------------------------------------------------------

export function renderMarkdown(s: WatchStatus, meta: ReportMeta): string {
  return renderReportMarkdown(buildReport(s, meta));
}

export function renderReportMarkdown(r: ReportData): string {
  const out: string[] = [`# ${r.title}: ${r.watch.service} ${r.watch.version}`, ''];
  for (const [k, v] of headline(r)) out.push(`- ${k}: ${escapeInline(v)}`);
  const sm = r.summary;
  out.push(
    '',
    '## Summary',
    '',
    `- Tier runs: ${sm.tierRuns}, pass rate ${pct(sm.passRate)}`,
    `- Incidents: ${sm.incidents}, open ${sm.openIncidents}; SLA compliance ${pct(sm.slaCompliance)}`,
    `- Days over budget: ${sm.daysOverBudget}; levers pulled: ${sm.leversPulled}; undelivered notifications: ${sm.undelivered}`,
    `- Charts: response time and outcomes per hour in ${r.name}.html`,
  );
  if (r.charts.responseTime) {
    const c = r.charts.responseTime;
    const limits = [c.passMs, c.warnMs].filter((v): v is number => v !== undefined).map(formatMsLabel);
    const measured = c.points.filter((p) => p.ms !== null).map((p) => p.ms!) as number[];
    const worst = measured.length ? Math.max(...measured) : undefined;
    out.push(
      `- Response time (${c.check}): ${measured.length} measured, slowest ${worst === undefined ? '–' : formatMsLabel(worst)}${limits.length ? `; limits ${limits.join(' / ')}` : ''}`,
    );
  }
  for (const c of r.charts.metrics) {
    const values = c.points.filter((p) => p.value !== null && Number.isFinite(p.value)).map((p) => p.value!);
    const worst = values.length ? (c.direction === 'lower' ? Math.min(...values) : Math.max(...values)) : undefined;
    const limits = [c.pass, c.warn].filter((v): v is number => v !== undefined).map((v) => formatUnit(v, c.unit));
    out.push(
      `- ${c.metric} (${c.check}): ${values.length} measured, worst ${worst === undefined ? '–' : formatUnit(worst, c.unit)}${limits.length ? `; limits ${limits.join(' / ')}` : ''}${c.baseline !== undefined ? `; baseline ${formatUnit(c.baseline, c.unit)}` : ''}`,
    );
  }
  for (const section of reportSections(r)) {
    out.push('', `## ${section.title}`, '');
    for (const b of section.blocks) out.push(...markdownBlock(b), '');
    while (out[out.length - 1] === '') out.pop();
  }
  out.push('');
  return out.join('\n');
}

function markdownBlock(b: Block): string[] {
  switch (b.kind) {
    case 'p':
      return [escapeInline(b.text)];
    case 'h3':
      return [`### ${escapeInline(b.text)}`];
    case 'quote':
      return b.text.split(/\r?\n/).map((l) => `> ${escapeInline(l)}`);
    case 'list':
      return b.items.map((i) => `- ${i.checked === undefined ? '' : i.checked ? '[x] ' : '[ ] '}${escapeInline(i.text)}`);
    case 'table':
      return [
        `| ${b.head.join(' | ')} |`,
        `|${b.numeric.map((n) => (n ? '---:' : '---')).join('|')}|`,
        ...b.rows.map((row) => `| ${row.map(markdownCell).join(' | ')} |`),
      ];
  }
}

function markdownCell(c: Cell): string {
  const text = typeof c === 'string' ? c : c.text;
  const clean = escapeCell(text);
  return typeof c !== 'string' && c.code && clean ? `\`${clean.replace(/`/g, "'")}\`` : clean;
}

/** Text inside a table cell: no pipes or line breaks, bounded. */
export function escapeCell(text: string): string {
  return escapeInline(text)
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .slice(0, 200);
}

/** Text from people and probes kept from turning into HTML in a Markdown viewer ("< 30s" stays as written). */
function escapeInline(text: string): string {
  return String(text).replace(/<(?=[A-Za-z/!?])/g, '&lt;');
}

// ---- JSON ------------------------------------------------------------------------------------

/** The JSON file: the ReportData the Markdown and HTML show, and the raw status under `status`. */
export function renderReportJson(r: ReportData, s: WatchStatus): string {
  return JSON.stringify({ ...r, status: s }, null, 2);
}
