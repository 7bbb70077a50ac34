// Go/no-go checkpoints in the workflow: opened at their hour with the criteria evaluated, reminded to
// the escalation contact while unanswered, and decided by a person (update or signal).
import { applyDecision, deadlineMs, openCheckpoint, type DecisionEffect } from '../../core/checkpoints';
import { round1 } from '../../core/hours';
import type { Decide } from '../../core/messages';
import { checkpointDecided, checkpointEscalated, checkpointOpen, checkpointUnanswered } from '../../core/notices';
import { onCallAt } from '../../core/rotation';
import { overdueDeadlines } from '../../core/schedule';
import { isEnded, pendingCheckpoints } from '../../core/state';
import { requestRollback } from './levers';
import type { WatchRun } from './run';
import { countCheckpointDecided, countCheckpointOpened, countMissedDeadline } from '../metrics';

/** Opens the checkpoints due at this slot hour and asks their deciders. */
export function openDue(w: WatchRun, hour: number): void {
  const { plan, state } = w;
  for (const cp of state.checkpoints.filter((c) => c.state === 'upcoming' && c.hour === hour)) {
    openCheckpoint(plan, state, cp, Date.now(), w.hourMs);
    countCheckpointOpened();
    const unmet = cp.criteria!.filter((c) => !c.met);
    w.audit('checkpoint', `${cp.title} open; ${unmet.length ? `unmet: ${unmet.map((c) => c.name).join(', ')}` : 'all criteria met'}`, hour);
    w.notify(checkpointOpen(plan, state, cp));
  }
}

/**
 * Reminds the escalation contact of each checkpoint whose deadline passed. Reminders that all came due
 * while no worker or server was up go out as one, numbered by the latest, not one per workflow task.
 */
export function remindDue(w: WatchRun, now: number): void {
  const { plan, state } = w;
  for (const cp of pendingCheckpoints(state)) {
    if (cp.deadlineAt === undefined || cp.deadlineAt > now) continue;
    const { count, next } = overdueDeadlines(cp.deadlineAt, now, deadlineMs(plan, cp, w.hourMs));
    if (count > 1) (cp.folded ??= []).push(...Array.from({ length: count - 1 }, (_, k) => cp.escalations + 1 + k));
    cp.escalations += count;
    countMissedDeadline('checkpoint');
    cp.deadlineAt = next;
    const to = onCallAt(plan, w.hourNow()).escalation;
    w.audit(
      'checkpoint-escalation',
      `${cp.title} unanswered; escalation ${cp.escalations} to ${to}${count > 1 ? ` (${count - 1} folded in)` : ''}`,
    );
    w.notify(checkpointUnanswered(state, cp, to, count - 1));
  }
}

/** A validated decision: recorded, announced, and carried out. */
export function decide(w: WatchRun, d: Decide, via: 'update' | 'signal'): void {
  const { plan, state } = w;
  w.nonces.spend(d);
  const now = Date.now();
  const hour = w.hourNow();
  const openedAt = state.checkpoints.find((c) => c.name === d.checkpoint)?.openedAt;
  const effects = applyDecision(plan, state, d, now, hour);
  countCheckpointDecided(d.decision, openedAt === undefined ? 0 : (now - openedAt) / 1000);
  const { signature, ...decision } = d;
  state.decisions.push({ ...decision, signed: signature !== undefined, at: now, hour: round1(hour), via });
  w.audit('decision', `checkpoint ${d.checkpoint}: ${d.decision} by ${d.by}${d.note ? ` (${d.note})` : ''}`);
  w.notify(checkpointDecided(plan, d, hour));
  for (const e of effects) carryOut(w, e, d);
  refreshPhase(w);
  w.changed();
}

function carryOut(w: WatchRun, e: DecisionEffect, d: Decide): void {
  w.audit(e.kind, e.text);
  if (e.kind === 'rollback-lever')
    requestRollback(w, d.by, d.note ? `checkpoint ${d.checkpoint}: ${d.note}` : `checkpoint ${d.checkpoint}`);
  if (e.kind === 'notify-escalation') w.notify(checkpointEscalated(d.checkpoint, e.text, e.to!));
}

export function refreshPhase(w: WatchRun): void {
  if (isEnded(w.state)) return;
  w.state.phase = pendingCheckpoints(w.state).length > 0 ? 'awaiting-decision' : 'watching';
}
