// The watch's state and the pure rules that change it. The workflow holds one WatchState, changes
// it only through these functions, and carries it whole across continue-as-new.
import { watchHours } from '../plan/duration';
import { round1, round2 } from './hours';
import type { CheckpointSpec, DecisionName, Outcome, Plan } from '../plan/schema';
import type { Unit } from './conditions';
import type { CheckBaseline, CheckResult, Decide, MetricBands, Release } from './messages';
import { initialSchedule, ScheduleState } from './schedule';

export const SERIES_MAX = 120;
export const EVENTS_MAX = 300;
export const REFUSED_MAX = 50;
export const NOTE_MAX = 2_000;

export type Phase = 'watching' | 'awaiting-decision' | 'released' | 'rollback-requested' | 'rolled-back' | 'completed';
export type Health = 'healthy' | 'degraded' | 'failing';
export type CheckStatus = 'healthy' | 'warning' | 'failing';

export interface CheckState {
  status: CheckStatus;
  failStreak: number;
  okStreak: number;
  runs: number;
  warns: number;
  fails: number;
  last?: { hour: number; outcome: Outcome; reason: string; severity?: string; durationMs: number };
  /** Bounded series for charts: [hour, 0 ok | 1 warn | 2 fail, metric or null]. */
  series: Array<[number, number, number | null]>;
  /** Evidence of the last run that was not ok (bounded by the activity). */
  evidence?: string;
  failSeverity?: string;
  /** The value from before the deploy this check compares with, once had. */
  baseline?: CheckBaseline;
  /** The charted metric's bands at the last run, and its unit. */
  bands?: MetricBands;
  unit?: Unit;
}

export interface TierState {
  runs: number;
  passed: number;
  warned: number;
  failed: number;
  /** Watch hours of every run, in order: the proof that each slot ran exactly once. */
  ranAt: number[];
  failedAt: number[];
  warnedAt: number[];
  lastHour?: number;
  lastOutcome?: Outcome;
  /** Runs that started more than a tenth of a watch hour after their slot. */
  late: number;
}

export interface CriterionResult {
  name: string;
  met: boolean;
  detail: string;
}

export interface CheckpointState {
  name: string;
  title: string;
  hour: number;
  state: 'upcoming' | 'pending' | 'decided';
  openedAt?: number;
  /** Absolute time (ms) of the next escalation while unanswered. */
  deadlineAt?: number;
  escalations: number;
  /** Reminders that came due while release-watch was down and went out as one, with the reminder after them. */
  folded?: number[];
  criteria?: CriterionResult[];
  decision?: DecisionName;
  by?: string;
  note?: string;
  decidedAt?: number;
  decidedHour?: number;
  /** The plan checkpoint this one copies (an extension's final checkpoint). */
  basedOn?: string;
}

/**
 * The watch's view of one of its incidents. The incident workflow owns the incident: everything after
 * opening comes from its reports (core/incidents.ts IncidentChange), never from the watch itself.
 */
export interface IncidentState {
  id: string;
  seq: number;
  check: string;
  severity: string;
  category: string;
  state: 'open' | 'acknowledged' | 'recovered' | 'resolved';
  openedHour: number;
  openedAt: number;
  reason: string;
  holder?: string;
  ackedHour?: number;
  ackedBy?: string;
  resolvedHour?: number;
  resolvedBy?: string;
  rootCause?: string;
  nextDeadlineAt?: number;
  /** The immediate-escalation trigger that opened it, if one did. */
  trigger?: string;
  documentPath?: string;
  pages?: number;
  /** Notifications of the incident delivered to at least one sink. */
  sent?: number;
  /**
   * A failure the watch saw for this incident's check (or trigger) that it sent to the incident, which
   * may already have been resolved meanwhile: when the resolution arrives stamped before it, the failure
   * opens a new incident instead of being lost.
   */
  relapse?: Relapse;
}

export interface Relapse {
  at: number;
  hour: number;
  reason: string;
  evidence: string;
  severity?: string;
}

/** An emergency lever asked for by a person, or pulled by the watch itself. */
export interface LeverRequest {
  seq: number;
  lever: string;
  by: string;
  reason: string;
  automatic: boolean;
  requestedAt: number;
  requestedHour: number;
  state: 'awaiting-approval' | 'running' | 'done' | 'failed' | 'expired';
  approvedBy?: string;
  expiresAt?: number;
  finishedHour?: number;
  steps?: Array<{ step: string; ok: boolean; detail: string }>;
  verify?: { check: string; outcome: string; reason: string };
}

export interface Finding {
  day: number;
  trigger: string;
  description: string;
  detail: string;
}

export interface AuditEvent {
  at: number;
  hour: number;
  kind: string;
  text: string;
}

export interface DecisionRecord extends Decide {
  at: number;
  hour: number;
  via: 'update' | 'signal';
  /** The decision carried a verified signature. */
  signed?: boolean;
}

export interface RefusedRecord {
  at: number;
  hour: number;
  via: 'update' | 'signal';
  what: string;
  reason: string;
}

export interface WatchState {
  watchId: string;
  release: Release;
  startedBy: string;
  startedAt: number;
  phase: Phase;
  schedule: ScheduleState;
  /** Slots before this hour have started (and, between runs, finished). */
  nextHour: number;
  tiers: Record<string, TierState>;
  checks: Record<string, CheckState>;
  checkpoints: CheckpointState[];
  incidents: IncidentState[];
  decisions: DecisionRecord[];
  refused: RefusedRecord[];
  /** Nonces of signed requests already accepted: a replay of one is refused. */
  nonces: string[];
  events: AuditEvent[];
  /** Spend per watch day (day 1 = hours 0-23). */
  spend: Record<number, number>;
  /** Scheduled-trigger hits per watch day. */
  triggerHits: Record<string, Record<number, number>>;
  reports: Array<{ hour: number; kind: 'daily' | 'final'; path?: string }>;
  /** Scheduled escalations found at each daily report (budget overrun, trends, usage, drift). */
  findings: Finding[];
  /** Emergency lever requests, asked for by people or pulled by the watch itself. */
  levers: LeverRequest[];
  /** What each check's probe kept from its last run (a log probe: where it stopped in each file). */
  cursors: Record<string, unknown>;
  /** Log pattern matches summed over every log check run (one entry per pattern the plan names). */
  logPatterns: Record<string, number>;
  notifications: { sent: number; undelivered: Array<{ eventId: string; sink: string; error: string }> };
  /** Runs of this workflow (continue-as-new count + 1). */
  generation: number;
  endedAt?: number;
}

export function initialState(watchId: string, plan: Plan, release: Release, startedBy: string, now: number): WatchState {
  const tiers: Record<string, TierState> = {};
  for (const name of Object.keys(plan.tiers))
    tiers[name] = { runs: 0, passed: 0, warned: 0, failed: 0, ranAt: [], failedAt: [], warnedAt: [], late: 0 };
  const checks: Record<string, CheckState> = {};
  for (const id of Object.keys(plan.checks))
    checks[id] = { status: 'healthy', failStreak: 0, okStreak: 0, runs: 0, warns: 0, fails: 0, series: [] };
  return {
    watchId,
    release,
    startedBy,
    startedAt: now,
    phase: 'watching',
    schedule: initialSchedule(plan),
    nextHour: 0,
    tiers,
    checks,
    checkpoints: plan.checkpoints.map((c) => ({
      name: c.name,
      title: c.title ?? c.name,
      hour: watchHours(c.at),
      state: 'upcoming',
      escalations: 0,
    })),
    incidents: [],
    decisions: [],
    refused: [],
    nonces: [],
    events: [],
    spend: {},
    triggerHits: {},
    reports: [],
    findings: [],
    levers: [],
    cursors: {},
    logPatterns: {},
    notifications: { sent: 0, undelivered: [] },
    generation: 1,
  };
}

export function watchDay(hour: number): number {
  return Math.floor(hour / 24) + 1;
}

export function audit(state: WatchState, now: number, hour: number, kind: string, text: string): void {
  state.events.push({ at: now, hour: round1(hour), kind, text });
  if (state.events.length > EVENTS_MAX) state.events.splice(0, state.events.length - EVENTS_MAX);
}

const OUTCOME_CODE: Record<Outcome, number> = { ok: 0, warn: 1, fail: 2 };

export function worstOutcome(outcomes: Outcome[]): Outcome {
  return outcomes.reduce<Outcome>((w, o) => (OUTCOME_CODE[o] > OUTCOME_CODE[w] ? o : w), 'ok');
}

export interface CheckTransition {
  /** The check just crossed its failure streak. */
  becameFailing: boolean;
  /** A failing check just passed its success streak. */
  recovered: boolean;
}

/** Folds one check result into the state: streaks, status, series, spend, trigger hits. */
export function recordCheck(state: WatchState, plan: Plan, r: CheckResult): CheckTransition {
  const spec = plan.checks[r.checkId];
  const c = state.checks[r.checkId];
  c.runs++;
  if (r.outcome === 'fail') {
    c.fails++;
    c.failStreak++;
    c.okStreak = 0;
  } else {
    if (r.outcome === 'warn') c.warns++;
    c.okStreak++;
    c.failStreak = 0;
  }
  c.last = { hour: r.hour, outcome: r.outcome, reason: r.reason, severity: r.severity, durationMs: r.durationMs };
  if (r.outcome !== 'ok') c.evidence = r.evidence;
  c.series.push([r.hour, OUTCOME_CODE[r.outcome], r.metric ?? null]);
  if (c.series.length > SERIES_MAX) c.series.splice(0, c.series.length - SERIES_MAX);

  const before = c.status;
  if (c.failStreak >= spec.failAfter) {
    c.status = 'failing';
    c.failSeverity = r.severity ?? spec.severity;
  } else if (before === 'failing' && c.okStreak < spec.recoverAfter) {
    // stays failing until the success streak is long enough
  } else {
    // A failed run below the failure streak shows as a warning, not yet as failing.
    c.status = r.outcome === 'ok' ? 'healthy' : 'warning';
    c.failSeverity = undefined;
  }

  if (r.cost !== undefined && Number.isFinite(r.cost)) {
    const day = watchDay(r.hour);
    state.spend[day] = round2((state.spend[day] ?? 0) + r.cost);
  }
  if (r.cursor !== undefined) state.cursors[r.checkId] = r.cursor;
  if (r.baseline) c.baseline = r.baseline;
  if (r.bands) c.bands = r.bands;
  if (r.unit) c.unit = r.unit;
  if (r.log) {
    for (const [pattern, n] of Object.entries(r.log.patterns))
      if (n > 0) state.logPatterns[pattern] = (state.logPatterns[pattern] ?? 0) + n;
  }
  for (const t of r.triggers) {
    const hits = (state.triggerHits[t] ??= {});
    hits[watchDay(r.hour)] = (hits[watchDay(r.hour)] ?? 0) + 1;
  }
  return {
    becameFailing: before !== 'failing' && c.status === 'failing' && !spec.dryRun,
    recovered: before === 'failing' && c.status !== 'failing',
  };
}

/** Folds a tier run (its checks' results) into the tier's record; dry-run checks do not count. */
export function recordTierRun(state: WatchState, plan: Plan, tier: string, hour: number, results: CheckResult[], late: boolean): Outcome {
  const counted = results.filter((r) => plan.tiers[tier].checks.includes(r.checkId) && !plan.checks[r.checkId].dryRun);
  const outcome = worstOutcome(counted.map((r) => r.outcome));
  const t = state.tiers[tier];
  t.runs++;
  t.ranAt.push(hour);
  t.lastHour = hour;
  t.lastOutcome = outcome;
  if (late) t.late++;
  if (outcome === 'ok') t.passed++;
  if (outcome === 'warn') {
    t.warned++;
    t.warnedAt.push(hour);
  }
  if (outcome === 'fail') {
    t.failed++;
    t.failedAt.push(hour);
  }
  return outcome;
}

export function health(state: WatchState): Health {
  const statuses = Object.values(state.checks).map((c) => c.status);
  if (statuses.includes('failing')) return 'failing';
  if (statuses.includes('warning')) return 'degraded';
  return 'healthy';
}

export function openIncidents(state: WatchState): number {
  return state.incidents.filter((i) => i.state !== 'resolved').length;
}

export function isEnded(state: WatchState): boolean {
  return state.phase === 'released' || state.phase === 'rollback-requested' || state.phase === 'rolled-back' || state.phase === 'completed';
}

export function checkpointSpec(plan: Plan, cp: CheckpointState): CheckpointSpec {
  return plan.checkpoints.find((c) => c.name === (cp.basedOn ?? cp.name))!;
}

export function pendingCheckpoints(state: WatchState): CheckpointState[] {
  return state.checkpoints.filter((c) => c.state === 'pending');
}

/** The scheduled escalations a watch day produced: budget over its ceiling, triggers seen often enough. */
export function scheduledFindings(plan: Plan, state: WatchState, day: number): Finding[] {
  const out: Finding[] = [];
  for (const t of plan.escalation.scheduled) {
    if (t.budget) {
      const spent = state.spend[day] ?? 0;
      if (plan.budget && spent > plan.budget.daily) {
        out.push({
          day,
          trigger: t.name,
          description: t.description,
          detail: `spent ${spent.toFixed(2)} of ${plan.budget.daily.toFixed(2)} ${plan.budget.currency}`,
        });
      }
      continue;
    }
    const hits = state.triggerHits[t.name]?.[day] ?? 0;
    if (hits >= t.atLeast)
      out.push({ day, trigger: t.name, description: t.description, detail: `${t.check}: ${hits} run(s) with ${t.when}` });
  }
  return out;
}

/** The next checkpoint reminder or lever approval expiry, whichever comes first. */
export function nextDeadline(state: WatchState): number | undefined {
  const due = [
    ...pendingCheckpoints(state).map((c) => c.deadlineAt),
    ...state.levers.filter((r) => r.state === 'awaiting-approval').map((r) => r.expiresAt),
  ].filter((x): x is number => x !== undefined);
  return due.length ? Math.min(...due) : undefined;
}
