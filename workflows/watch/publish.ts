// What the watch shows outside its history: search attributes (for `list` and the Web UI's filters)
// and the current details line of the Web UI.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { round1 } from '../../core/hours';
import { hourLabel } from '../../core/schedule';
import { health, openIncidents, pendingCheckpoints } from '../../core/state';
import { SA } from '../definitions';
import type { WatchRun } from './run';

/**
 * Upserts the search attributes when they changed; not in the workflow task that takes a person's
 * answer while something it started is in flight (its notification, a lever's pull): the answer's
 * round trip then carries no visibility write, and the next task, when that returns, upserts.
 */
export function publishSoon(w: WatchRun): void {
  if (w.answeredIn === workflowInfo().historyLength && w.inflight > 0) return;
  publish(w);
}

/**
 * Upserts the search attributes that changed, and only those: against what the workflow has (those
 * it started with, carried across continue-as-new, and its upserts since).
 */
export function publish(w: WatchRun): void {
  const has = workflowInfo().typedSearchAttributes;
  const changed: SearchAttributeUpdatePair[] = [];
  const phase = w.state.phase;
  if (has.get(SA.phase) !== phase) changed.push({ key: SA.phase, value: phase });
  const healthNow = health(w.state);
  if (has.get(SA.health) !== healthNow) changed.push({ key: SA.health, value: healthNow });
  const open = openIncidents(w.state);
  if (has.get(SA.openIncidents) !== open) changed.push({ key: SA.openIncidents, value: open });
  if (changed.length) upsertSearchAttributes(changed);
}

/** The Web UI's current details: where the watch stands and what it is doing or waiting for. */
export function setDetails(w: WatchRun, doing: string): void {
  const { state } = w;
  const hour = round1(w.hourNow());
  const where = hour > state.schedule.endHour ? `past its end (hour ${state.schedule.endHour})` : `hour ${hourLabel(hour, state.schedule)}`;
  const pending = pendingCheckpoints(state).map((c) => c.name);
  setCurrentDetails(
    [
      `**${state.release.service} ${state.release.version}** · ${where} · ${state.phase} · ${health(state)}`,
      doing,
      pending.length ? `waiting for decision: ${pending.join(', ')}` : '',
      openIncidents(state) ? `open incidents: ${openIncidents(state)}` : '',
    ]
      .filter(Boolean)
      .join('\n\n'),
  );
}
