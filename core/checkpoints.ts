// Go/no-go checkpoints: automatic criteria, who may decide what, and what a decision does.
import { parseDuration, watchHours } from '../plan/duration';
import type { CriterionSpec, Plan } from '../plan/schema';
import type { Decide } from './messages';
import { onCallAt } from './rotation';
import { tierDueAt } from './schedule';
import { checkpointSpec, CheckpointState, CriterionResult, isEnded, NOTE_MAX, WatchState } from './state';

/**
 * One criterion at a checkpoint of `hour`. Run history counts from `fromHour`: the watch's start, or
 * for an extension's checkpoint the end it extended, so an extension can prove stability anew.
 */
export function evaluateCriterion(
  plan: Plan,
  state: WatchState,
  c: CriterionSpec,
  hour: number,
  note?: string,
  fromHour = 0,
): CriterionResult {
  const result = (met: boolean, detail: string): CriterionResult => ({ name: c.name, met, detail });
  switch (c.kind) {
    case 'tier-passed': {
      const t = state.tiers[c.tier];
      let expected = 0;
      const inWindow = (h: number) => h >= fromHour && h <= hour;
      for (let h = fromHour; h <= Math.min(hour, state.schedule.endHour); h++) if (tierDueAt(plan, c.tier, h, state.schedule)) expected++;
      const ran = t.ranAt.filter(inWindow).length;
      const failed = t.failedAt.filter(inWindow);
      const warned = c.allowWarn ? [] : t.warnedAt.filter(inWindow);
      const bad = [...failed, ...warned].sort((a, b) => a - b);
      const missing = Math.max(0, expected - ran);
      const detail =
        `${ran - bad.length}/${expected} ${c.tier} runs passed` +
        (bad.length ? `; not passed at hours ${bad.join(', ')}` : '') +
        (missing ? `; ${missing} not run yet` : '');
      return result(bad.length === 0 && missing === 0, detail);
    }
    case 'checks-passed': {
      const bad = c.checks.filter((id) => state.checks[id].fails > 0 || (!c.allowWarn && state.checks[id].warns > 0));
      const never = c.checks.filter((id) => state.checks[id].runs === 0);
      const detail = bad.length
        ? `not passed: ${bad.map((id) => `${id} (${state.checks[id].fails} failed, ${state.checks[id].warns} warned of ${state.checks[id].runs})`).join(', ')}`
        : never.length
          ? `not run yet: ${never.join(', ')}`
          : `all ${c.checks.length} passed every run`;
      return result(bad.length === 0 && never.length === 0, detail);
    }
    case 'no-incidents': {
      const hits = state.incidents.filter(
        (i) => (!c.severity || i.severity === c.severity) && (!c.category || i.category === c.category) && i.openedHour <= hour,
      );
      return result(hits.length === 0, hits.length ? `incidents ${hits.map((i) => `${i.id} (${i.check})`).join(', ')}` : 'none');
    }
    case 'report-written': {
      const r = state.reports.filter((x) => x.hour <= hour);
      return result(r.length > 0, r.length ? `report of hour ${r[r.length - 1].hour}` : 'no report written yet');
    }
    case 'budget-held': {
      const ceiling = plan.budget?.daily ?? Infinity;
      const over = Object.entries(state.spend).filter(([, v]) => v > ceiling);
      const spent =
        Object.entries(state.spend)
          .map(([d, v]) => `day ${d}: ${v.toFixed(2)}`)
          .join(', ') || 'nothing spent';
      return result(over.length === 0, `${spent} (ceiling ${ceiling.toFixed(2)} ${plan.budget?.currency ?? ''} a day)`);
    }
    case 'incidents-documented': {
      const open = state.incidents.filter((i) => i.state !== 'resolved' || !i.rootCause);
      return result(
        open.length === 0,
        open.length
          ? `not yet resolved with a write-up: ${open.map((i) => i.id).join(', ')}`
          : `${state.incidents.length} incident(s), all written up`,
      );
    }
    case 'note-given':
      return result(!!note?.trim(), note?.trim() ? 'given with the decision' : "the decider's note is required");
  }
}

export function evaluateCriteria(plan: Plan, state: WatchState, cp: CheckpointState, note?: string): CriterionResult[] {
  const from = cp.basedOn ? cp.hour - watchHours(plan.monitoring.extendBy) : 0;
  return checkpointSpec(plan, cp).criteria.map((c) => evaluateCriterion(plan, state, c, cp.hour, note, from));
}

const NAME_MAX = 200;

/** Why a decision cannot be taken now, or undefined when it can. Used by the update validator and the signal. */
export function decisionError(plan: Plan, state: WatchState, d: Decide): string | undefined {
  if (!d || typeof d !== 'object') return 'a decision needs checkpoint, decision and by';
  for (const field of ['checkpoint', 'decision', 'by'] as const) {
    if (typeof d[field] !== 'string' || !d[field].trim()) return `${field} is required`;
    // Names in a plan are short; a longer one is not a name, and is not echoed back whole.
    if (d[field].length > NAME_MAX) return `${field} is too long (${d[field].length} characters, at most ${NAME_MAX})`;
  }
  if (d.note !== undefined && typeof d.note !== 'string') return 'note must be text';
  if ((d.note?.length ?? 0) > NOTE_MAX) return `note is too long (${d.note!.length} characters, at most ${NOTE_MAX})`;
  if (isEnded(state)) return `the watch has ended (${state.phase})`;
  const cp = state.checkpoints.find((c) => c.name === d.checkpoint);
  if (!cp) return `no checkpoint "${d.checkpoint}" (checkpoints: ${state.checkpoints.map((c) => c.name).join(', ')})`;
  if (cp.state === 'upcoming') return `checkpoint "${cp.name}" is not open yet (it opens at hour ${cp.hour})`;
  if (cp.state === 'decided') return `checkpoint "${cp.name}" was already decided: ${cp.decision} by ${cp.by}`;
  const spec = checkpointSpec(plan, cp);
  if (!spec.decisions.includes(d.decision)) {
    return `decision "${d.decision}" is not allowed at checkpoint "${cp.name}" (allowed: ${spec.decisions.join(', ')})`;
  }
  if (!Object.hasOwn(plan.people, d.by)) return `unknown person "${d.by}"`;
  if (!spec.deciders.includes(d.by)) return `${d.by} may not decide checkpoint "${cp.name}" (deciders: ${spec.deciders.join(', ')})`;
  if (spec.gated.includes(d.decision)) {
    const unmet = evaluateCriteria(plan, state, cp, d.note).filter((c) => !c.met);
    if (unmet.length) return `"${d.decision}" needs every criterion met; unmet: ${unmet.map((c) => `${c.name} (${c.detail})`).join('; ')}`;
  }
  return undefined;
}

export interface DecisionEffect {
  kind: 'notify-escalation' | 'ended' | 'cadence-reduced' | 'extended' | 'rollback-lever';
  text: string;
  to?: string;
}

/** Applies a validated decision; returns what the workflow must still do about it. */
export function applyDecision(plan: Plan, state: WatchState, d: Decide, now: number, hour: number): DecisionEffect[] {
  const cp = state.checkpoints.find((c) => c.name === d.checkpoint)!;
  cp.state = 'decided';
  cp.decision = d.decision;
  cp.by = d.by;
  cp.note = d.note;
  cp.decidedAt = now;
  cp.decidedHour = Math.round(hour * 10) / 10;
  cp.deadlineAt = undefined;
  cp.criteria = evaluateCriteria(plan, state, cp, d.note);
  switch (d.decision) {
    case 'continue':
      return [];
    case 'escalate': {
      const to = onCallAt(plan, hour).escalation;
      return [{ kind: 'notify-escalation', to, text: `checkpoint ${cp.name} escalated by ${d.by}${d.note ? `: ${d.note}` : ''}` }];
    }
    case 'reduce-monitoring': {
      for (const [tier, every] of Object.entries(plan.monitoring.reduced)) {
        state.schedule.cadence[tier] = { every: watchHours(every), since: cp.hour };
      }
      const text = Object.entries(plan.monitoring.reduced)
        .map(([t, e]) => `${t} every ${e}`)
        .join(', ');
      return [{ kind: 'cadence-reduced', text: `monitoring reduced from hour ${cp.hour}: ${text}` }];
    }
    case 'extend': {
      const by = watchHours(plan.monitoring.extendBy);
      const base = checkpointSpec(plan, cp);
      const n = state.checkpoints.filter((c) => c.basedOn === base.name).length + 1;
      state.schedule.endHour += by;
      state.checkpoints.push({
        name: `${base.name}-ext${n}`,
        title: `${base.title ?? base.name} (extension ${n})`,
        hour: state.schedule.endHour,
        state: 'upcoming',
        escalations: 0,
        basedOn: base.name,
      });
      return [{ kind: 'extended', text: `watch extended by ${plan.monitoring.extendBy} to hour ${state.schedule.endHour}` }];
    }
    case 'release':
      state.phase = 'released';
      return [{ kind: 'ended', text: `released to normal operations by ${d.by}` }];
    case 'rollback':
      // With a rollback lever the request goes through its approval; the watch ends once it has run.
      if (plan.levers.rollback) return [{ kind: 'rollback-lever', text: `rollback requested by ${d.by}${d.note ? `: ${d.note}` : ''}` }];
      state.phase = 'rollback-requested';
      return [{ kind: 'ended', text: `rollback requested by ${d.by}${d.note ? `: ${d.note}` : ''}` }];
  }
}

/**
 * Opens a checkpoint: criteria evaluated now; the first escalation is due the plan's deadline after
 * the checkpoint's own hour (not after the moment its checks finished), so it lines up with the hour grid.
 */
export function openCheckpoint(plan: Plan, state: WatchState, cp: CheckpointState, now: number, hourMs: number): void {
  cp.state = 'pending';
  cp.openedAt = now;
  cp.criteria = evaluateCriteria(plan, state, cp);
  cp.deadlineAt = state.startedAt + cp.hour * hourMs + deadlineMs(plan, cp, hourMs);
}

export function deadlineMs(plan: Plan, cp: CheckpointState, hourMs: number): number {
  return (parseDuration(checkpointSpec(plan, cp).deadline) / 3_600_000) * hourMs;
}
