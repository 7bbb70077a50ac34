// What the watch shows outside its history: search attributes (for `list` and the Web UI's filters)
// and the current details line of the Web UI.
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

/** Upserts the search attributes when they changed. */
export function publish(w: WatchRun): void {
  const attrs = { phase: w.state.phase, health: health(w.state), open: openIncidents(w.state) };
  const key = JSON.stringify(attrs);
  if (w.publishedAttributes === key) return;
  w.publishedAttributes = key;
  upsertSearchAttributes([
    { key: SA.phase, value: attrs.phase },
    { key: SA.health, value: attrs.health },
    { key: SA.openIncidents, value: attrs.open },
  ]);
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
