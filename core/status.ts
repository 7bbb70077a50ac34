// What `status` shows: a projection of the watch state, computed on read.
import { parseDuration, watchHours } from '../plan/duration';
import type { Plan } from '../plan/schema';
import type { LogCursor } from './messages';
import { onCallAt } from './rotation';
import { nextSlot } from './schedule';
import { round1 } from './hours';
import { CheckpointState, health, openIncidents, WatchState } from './state';

/** The response-time bands of the charted check, read from its plan condition (for the report's chart). */
export interface ResponseTimeBands {
  /** The check whose `metric` is [RESPONSE_TIME]. */
  check: string;
  /** Upper bound of the ok band in ms (`[RESPONSE_TIME] < 30s` → 30000), when the condition says one. */
  passMs?: number;
  /** Upper bound of the warn band in ms (`[RESPONSE_TIME] <= 60s` → 60000); above it the check fails. */
  warnMs?: number;
  /** The expressions as the plan writes them. */
  pass?: string;
  warn?: string;
}

export interface WatchStatus {
  watchId: string;
  plan: string;
  service: string;
  release: WatchState['release'];
  startedBy: string;
  startedAt: string;
  phase: WatchState['phase'];
  health: ReturnType<typeof health>;
  hour: number;
  endHour: number;
  nextSlotHour?: number;
  onCall: ReturnType<typeof onCallAt>;
  tiers: Record<
    string,
    {
      runs: number;
      passed: number;
      warned: number;
      failed: number;
      late: number;
      lastHour?: number;
      lastOutcome?: string;
      ranAt: number[];
      /** Watch hours of the runs that warned / failed (the rest of ranAt passed). */
      warnedAt: number[];
      failedAt: number[];
      /** The plan's checks of this tier. */
      checks: string[];
    }
  >;
  checks: Record<
    string,
    {
      status: string;
      runs: number;
      fails: number;
      warns: number;
      failStreak: number;
      okStreak: number;
      last?: WatchState['checks'][string]['last'];
      category: string;
      /** Bounded series (CheckState.series): [hour, 0 ok | 1 warn | 2 fail, metric or null]. */
      series: Array<[number, number, number | null]>;
      /** The value from before the deploy this check compares with. */
      baseline?: WatchState['checks'][string]['baseline'];
      /** The metric's bands at the last run, and its unit (for the report's charts). */
      bands?: WatchState['checks'][string]['bands'];
      unit?: WatchState['checks'][string]['unit'];
    }
  >;
  /** Bands of the response-time chart, from the plan; absent when no check charts [RESPONSE_TIME]. */
  responseTime?: ResponseTimeBands;
  /** Each charted check's metric expression, from the plan. */
  metrics?: Record<string, string>;
  checkpoints: Array<{
    name: string;
    title: string;
    hour: number;
    state: CheckpointState['state'];
    decision?: string;
    by?: string;
    note?: string;
    decidedHour?: number;
    escalations: number;
    /** Reminders sent as one with the reminder after them (they came due while release-watch was down). */
    folded?: number[];
    deadline?: string;
    criteria?: CheckpointState['criteria'];
  }>;
  incidents: Array<{
    id: string;
    check: string;
    severity: string;
    state: string;
    openedHour: number;
    ackedHour?: number;
    resolvedHour?: number;
    holder?: string;
    ackedBy?: string;
    resolvedBy?: string;
    nextDeadline?: string;
    reason: string;
    trigger?: string;
    pages?: number;
    document?: string;
    category: string;
    /** Exact watch hour the incident opened (openedHour is its slot hour). */
    openedAtHour: number;
    /** The severity's acknowledgement deadline, in watch hours (critical 15m → 0.25). */
    ackSlaHours?: number;
    /**
     * Acknowledged (or resolved) within the ack SLA: met; later, or still unanswered past it:
     * missed; unanswered and still inside it: pending. Unknown severity: undefined.
     */
    ackSla?: 'met' | 'missed' | 'pending';
    /** Watch hours from opening to resolution, or to now while unresolved. */
    durationHours: number;
  }>;
  openIncidents: number;
  /** The plan's checks grouped by category, each with its last result (a category's health at a glance). */
  categories: Array<{
    category: string;
    checks: Array<{ check: string; runs: number; status?: string; outcome?: string; hour?: number; reason?: string }>;
  }>;
  /** What the plan has, in its own order: a report shows only the sections it has something for. */
  shape: { severities: string[]; levers: string[]; logChecks: string[]; scheduledTriggers: string[] };
  /** Notifications delivered to at least one sink: the watch's own and its incidents'. */
  sent: { watch: number; incidents: number; total: number };
  /** Scheduled/immediate trigger hits per watch day (state.triggerHits). */
  triggerHits: Record<string, Record<string, number>>;
  /** Log pattern matches summed over the log checks' runs (absent for a watch started before they were kept). */
  logPatterns?: Record<string, number>;
  /** Where each log check stopped reading each file (bytes): lines before it are counted once. */
  logOffsets: Record<string, Record<string, number>>;
  spend: Record<string, number>;
  budget?: { daily: number; currency: string };
  decisions: WatchState['decisions'];
  refused: WatchState['refused'];
  notifications: WatchState['notifications'];
  reports: WatchState['reports'];
  findings: WatchState['findings'];
  levers: WatchState['levers'];
  generation: number;
  events: WatchState['events'];
}

export function watchStatus(plan: Plan, state: WatchState, now: number, hourMs: number, eventLimit = 30): WatchStatus {
  const hour = round1(Math.max(0, (Math.min(now, state.endedAt ?? now) - state.startedAt) / hourMs));
  const iso = (ms?: number) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    watchId: state.watchId,
    plan: plan.name,
    service: state.release.service,
    release: state.release,
    startedBy: state.startedBy,
    startedAt: new Date(state.startedAt).toISOString(),
    phase: state.phase,
    health: health(state),
    hour,
    endHour: state.schedule.endHour,
    nextSlotHour: nextSlot(
      plan,
      state.nextHour,
      state.schedule,
      state.checkpoints.filter((c) => c.state === 'upcoming').map((c) => c.hour),
    ),
    onCall: onCallAt(plan, hour),
    tiers: Object.fromEntries(
      Object.entries(state.tiers).map(([name, t]) => [
        name,
        {
          runs: t.runs,
          passed: t.passed,
          warned: t.warned,
          failed: t.failed,
          late: t.late,
          lastHour: t.lastHour,
          lastOutcome: t.lastOutcome,
          ranAt: t.ranAt,
          warnedAt: t.warnedAt,
          failedAt: t.failedAt,
          checks: plan.tiers[name]?.checks ?? [],
        },
      ]),
    ),
    checks: Object.fromEntries(
      Object.entries(state.checks)
        .filter(([, c]) => c.runs > 0)
        .map(([id, c]) => [
          id,
          {
            status: c.status,
            runs: c.runs,
            fails: c.fails,
            warns: c.warns,
            failStreak: c.failStreak,
            okStreak: c.okStreak,
            last: c.last,
            category: plan.checks[id]?.category ?? 'unknown',
            series: c.series,
            ...(c.baseline ? { baseline: c.baseline } : {}),
            ...(c.bands ? { bands: c.bands } : {}),
            ...(c.unit ? { unit: c.unit } : {}),
          },
        ]),
    ),
    responseTime: responseTimeBands(plan),
    metrics: Object.fromEntries(Object.entries(plan.checks).flatMap(([id, c]) => (c.metric ? [[id, c.metric]] : []))),
    checkpoints: state.checkpoints.map((c) => ({
      name: c.name,
      title: c.title,
      hour: c.hour,
      state: c.state,
      decision: c.decision,
      by: c.by,
      note: c.note,
      decidedHour: c.decidedHour,
      escalations: c.escalations,
      folded: c.folded,
      deadline: iso(c.deadlineAt),
      criteria: c.criteria,
    })),
    incidents: state.incidents.map((i) => ({
      id: i.id,
      check: i.check,
      severity: i.severity,
      state: i.state,
      openedHour: i.openedHour,
      ackedHour: i.ackedHour,
      resolvedHour: i.resolvedHour,
      holder: i.holder,
      ackedBy: i.ackedBy,
      resolvedBy: i.resolvedBy,
      nextDeadline: iso(i.nextDeadlineAt),
      reason: i.reason,
      trigger: i.trigger,
      pages: i.pages,
      document: i.documentPath,
      category: i.category,
      ...incidentTiming(plan, i, (i.openedAt - state.startedAt) / hourMs, hour),
    })),
    openIncidents: openIncidents(state),
    categories: categoryStatus(plan, state),
    shape: {
      severities: Object.keys(plan.severities),
      levers: Object.keys(plan.levers),
      logChecks: Object.entries(plan.checks)
        .filter(([, c]) => c.probe.kind === 'log')
        .map(([id]) => id),
      scheduledTriggers: plan.escalation.scheduled.map((t) => t.name),
    },
    sent: sentCounts(state),
    triggerHits: Object.fromEntries(
      Object.entries(state.triggerHits).map(([t, days]) => [t, Object.fromEntries(Object.entries(days).map(([d, n]) => [`day ${d}`, n]))]),
    ),
    logPatterns: state.logPatterns,
    logOffsets: Object.fromEntries(
      Object.entries(state.cursors)
        .filter((entry): entry is [string, LogCursor] => isLogCursor(entry[1]))
        .map(([check, c]) => [check, Object.fromEntries(Object.entries(c.files).map(([file, f]) => [file, f.offset]))]),
    ),
    spend: Object.fromEntries(Object.entries(state.spend).map(([d, v]) => [`day ${d}`, v])),
    budget: plan.budget,
    decisions: state.decisions,
    refused: state.refused,
    notifications: state.notifications,
    reports: state.reports,
    findings: state.findings,
    levers: state.levers,
    generation: state.generation,
    events: state.events.slice(-eventLimit),
  };
}

/** Ack SLA, its verdict and the duration of one incident, in watch hours. */
export function incidentTiming(
  plan: Plan,
  i: Pick<WatchState['incidents'][number], 'severity' | 'openedHour' | 'ackedHour' | 'resolvedHour'>,
  openedAtHour: number,
  nowHour: number,
): { openedAtHour: number; ackSlaHours?: number; ackSla?: 'met' | 'missed' | 'pending'; durationHours: number } {
  // The slot hour when the exact opening time is not known (or is before it, which it cannot be).
  const opened = Number.isFinite(openedAtHour) && openedAtHour >= i.openedHour ? openedAtHour : i.openedHour;
  const durationHours = round1(Math.max(0, (i.resolvedHour ?? nowHour) - opened));
  const sev = plan.severities[i.severity];
  if (!sev) return { openedAtHour: round1(opened), durationHours };
  const ackSlaHours = watchHours(sev.ack);
  // An incident resolved (e.g. auto-resolved on recovery) before anyone acknowledged it was answered then.
  const answered = i.ackedHour ?? i.resolvedHour;
  // Hours in the state are kept to a tenth, so the comparison is made at that resolution.
  const ackSla =
    answered !== undefined
      ? round1(answered - opened) <= ackSlaHours
        ? 'met'
        : 'missed'
      : round1(nowHour - opened) > ackSlaHours
        ? 'missed'
        : 'pending';
  return { openedAtHour: round1(opened), ackSlaHours, ackSla, durationHours };
}

/** The plan's checks by category (in plan order), each with its last result. */
function categoryStatus(plan: Plan, state: WatchState): WatchStatus['categories'] {
  const out = new Map<string, WatchStatus['categories'][number]['checks']>();
  for (const [id, spec] of Object.entries(plan.checks)) {
    const c = state.checks[id];
    const row = {
      check: id,
      runs: c?.runs ?? 0,
      status: c && c.runs > 0 ? c.status : undefined,
      outcome: c?.last?.outcome,
      hour: c?.last?.hour,
      reason: c?.last?.reason,
    };
    out.set(spec.category, [...(out.get(spec.category) ?? []), row]);
  }
  return [...out].map(([category, checks]) => ({ category, checks }));
}

function sentCounts(state: WatchState): WatchStatus['sent'] {
  const incidents = state.incidents.reduce((n, i) => n + (i.sent ?? 0), 0);
  return { watch: state.notifications.sent, incidents, total: state.notifications.sent + incidents };
}

const DURATION_TEXT = String.raw`(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+|\d+(?:\.\d+)?`;
const RT_UPPER = new RegExp(String.raw`^\s*\[RESPONSE_TIME\]\s*(<=|<)\s*(${DURATION_TEXT})\s*$`);
const RT_UPPER_REVERSED = new RegExp(String.raw`^\s*(${DURATION_TEXT})\s*(>=|>)\s*\[RESPONSE_TIME\]\s*$`);

/**
 * The upper bound in ms a response-time expression sets: "[RESPONSE_TIME] < 30s" → 30000,
 * "[RESPONSE_TIME] <= 60s" → 60000, "2s > [RESPONSE_TIME]" → 2000, a bare number is ms (Gatus).
 * Anything else (a compound expression, a lower bound) gives undefined: the chart then draws no line.
 * A regex, not the condition parser, because this runs in the workflow sandbox, which the parser's
 * dependency (jsep) is kept out of.
 */
export function responseTimeBound(expr: string | undefined): number | undefined {
  if (expr === undefined) return undefined;
  const m = RT_UPPER.exec(expr);
  const text = m ? m[2] : RT_UPPER_REVERSED.exec(expr)?.[1];
  if (text === undefined) return undefined;
  const ms = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : parseDuration(text);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** The pass/warn bands of the response-time condition of the check that charts [RESPONSE_TIME] (first in plan order). */
export function responseTimeBands(plan: Plan): ResponseTimeBands | undefined {
  const charted = Object.entries(plan.checks).filter(([, c]) => c.metric?.replace(/\s+/g, '') === '[RESPONSE_TIME]');
  for (const [id, spec] of charted) {
    for (const cond of spec.conditions) {
      const c = typeof cond === 'string' ? { pass: cond, warn: undefined } : cond;
      const passMs = responseTimeBound(c.pass);
      if (passMs === undefined) continue;
      const warnMs = responseTimeBound(c.warn);
      return { check: id, passMs, pass: c.pass, ...(warnMs !== undefined && warnMs >= passMs ? { warnMs, warn: c.warn } : {}) };
    }
  }
  return charted.length ? { check: charted[0][0] } : undefined;
}

function isLogCursor(c: unknown): c is LogCursor {
  return typeof c === 'object' && c !== null && typeof (c as LogCursor).files === 'object' && (c as LogCursor).files !== null;
}
