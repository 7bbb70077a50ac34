// What `status` shows: a projection of the watch state, computed on read.
import type { Plan } from '../plan/schema';
import { onCallAt } from './rotation';
import { nextSlot } from './schedule';
import { CheckpointState, health, openIncidents, round1, WatchState } from './state';

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
  tiers: Record<string, { runs: number; passed: number; warned: number; failed: number; late: number; lastHour?: number; lastOutcome?: string; ranAt: number[] }>;
  checks: Record<string, { status: string; runs: number; fails: number; warns: number; failStreak: number; okStreak: number; last?: WatchState['checks'][string]['last'] }>;
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
    nextDeadline?: string;
    reason: string;
    trigger?: string;
    pages?: number;
    document?: string;
  }>;
  openIncidents: number;
  spend: Record<string, number>;
  budget?: { daily: number; currency: string };
  decisions: WatchState['decisions'];
  refused: WatchState['refused'];
  notifications: WatchState['notifications'];
  reports: WatchState['reports'];
  findings: WatchState['findings'];
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
    nextSlotHour: nextSlot(plan, state.nextHour, state.schedule, state.checkpoints.filter((c) => c.state === 'upcoming').map((c) => c.hour)),
    onCall: onCallAt(plan, hour),
    tiers: Object.fromEntries(
      Object.entries(state.tiers).map(([name, t]) => [
        name,
        { runs: t.runs, passed: t.passed, warned: t.warned, failed: t.failed, late: t.late, lastHour: t.lastHour, lastOutcome: t.lastOutcome, ranAt: t.ranAt },
      ]),
    ),
    checks: Object.fromEntries(
      Object.entries(state.checks)
        .filter(([, c]) => c.runs > 0)
        .map(([id, c]) => [id, { status: c.status, runs: c.runs, fails: c.fails, warns: c.warns, failStreak: c.failStreak, okStreak: c.okStreak, last: c.last }]),
    ),
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
      nextDeadline: iso(i.nextDeadlineAt),
      reason: i.reason,
      trigger: i.trigger,
      pages: i.pages,
      document: i.documentPath,
    })),
    openIncidents: openIncidents(state),
    spend: Object.fromEntries(Object.entries(state.spend).map(([d, v]) => [`day ${d}`, v])),
    budget: plan.budget,
    decisions: state.decisions,
    refused: state.refused,
    notifications: state.notifications,
    reports: state.reports,
    findings: state.findings,
    generation: state.generation,
    events: state.events.slice(-eventLimit),
  };
}
