// The watch: runs the plan's tiers at their watch hours, opens checkpoints and waits for people's
// decisions, escalates what is left unanswered, and pulls levers. This file holds its message handlers
// and its main loop; the parts in watch/ each do one job. Deterministic code only; every deadline is
// an absolute time in the state, so it holds across worker restarts and continue-as-new.
import { ApplicationFailure, allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { decisionError } from '../core/checkpoints';
import { round1 } from '../core/hours';
import { approveError, emergencyError, findRequest, type Approve, type Emergency } from '../core/levers';
import type { Decide, WatchInput } from '../core/messages';
import { watchStarted } from '../core/notices';
import { onCallAt } from '../core/rotation';
import { hourLabel, nextSlot, tiersDueAt } from '../core/schedule';
import { warmKeys } from '../core/ed25519';
import { signaturesRequired, signerKeys, type SignedKind, type Signable } from '../core/signatures';
import { isEnded, nextDeadline, pendingCheckpoints, REFUSED_MAX, type WatchState } from '../core/state';
import { watchStatus, type WatchStatus } from '../core/status';
import { Alarm } from './clock';
import {
  approveUpdate,
  continueAsNewSignal,
  decideSignal,
  decideUpdate,
  emergencyUpdate,
  incidentChangedSignal,
  REFUSED,
  statusQuery,
} from './definitions';
import { decide, refreshPhase, remindDue } from './watch/checkpoints';
import { incidentChanged } from './watch/incidents';
import { approved, expire, requestLever } from './watch/levers';
import { publish, publishSoon, setDetails } from './watch/publish';
import { writeFinalReport } from './watch/reports';
import { WatchRun } from './watch/run';
import { runSlot } from './watch/tiers';

export interface WatchResult {
  watchId: string;
  phase: WatchState['phase'];
  hour: number;
  generation: number;
  incidents: number;
  /** The final status, so an ended watch is read from the server without a worker. */
  status: WatchStatus;
}

/** Events kept in the final status a watch returns. */
const FINAL_EVENTS = 100;

export async function watchWorkflow(input: WatchInput): Promise<WatchResult> {
  const w = new WatchRun(input, workflowInfo().workflowId, Date.now());
  const { plan, state } = w;
  // The signers' keys decoded with their tables now, once per worker: no answer waits for them.
  if (signaturesRequired(plan)) warmKeys(signerKeys(plan));
  let continueAsNewRequested = false;

  // ---- messages -------------------------------------------------------------------------

  const refuseWith = (reason: string | undefined) => {
    if (reason) throw ApplicationFailure.create({ message: reason, type: REFUSED, nonRetryable: true });
  };
  /** Checked after the request itself is found valid; the handler then spends the nonce. */
  const signed = (kind: SignedKind, request: Signable) => w.nonces.error(plan, state.watchId, kind, request);

  setHandler(statusQuery, (events?: number) => watchStatus(plan, state, Date.now(), w.hourMs, events));

  setHandler(
    decideUpdate,
    (d: Decide) => {
      w.answering();
      decide(w, d, 'update');
      return state.checkpoints.find((c) => c.name === d.checkpoint)!;
    },
    { validator: (d: Decide) => refuseWith(decisionError(plan, state, d) ?? signed('decide', d)) },
  );

  setHandler(decideSignal, (d: Decide) => {
    const reason = decisionError(plan, state, d) ?? signed('decide', d);
    if (!reason) return decide(w, d, 'signal');
    // A signal cannot be refused to its sender: the refusal is recorded, and changes nothing else.
    const hour = round1(w.hourNow());
    state.refused.push({ at: Date.now(), hour, via: 'signal', what: `decide ${JSON.stringify(d).slice(0, 300)}`, reason });
    if (state.refused.length > REFUSED_MAX) state.refused.splice(0, state.refused.length - REFUSED_MAX);
    w.audit('refused', `signal refused: ${reason}`, hour);
    w.changed();
  });

  setHandler(
    emergencyUpdate,
    (e: Emergency) => {
      w.answering();
      w.nonces.spend(e);
      return requestLever(w, e.lever, e.by, e.reason, false);
    },
    { validator: (e: Emergency) => refuseWith(emergencyError(plan, state, e) ?? signed('emergency', e)) },
  );

  setHandler(
    approveUpdate,
    (a: Approve) => {
      w.answering();
      w.nonces.spend(a);
      return approved(w, findRequest(state, a.request)!, a.by);
    },
    { validator: (a: Approve) => refuseWith(approveError(plan, state, a) ?? signed('approve', a)) },
  );

  setHandler(incidentChangedSignal, (c) => incidentChanged(w, c));

  setHandler(continueAsNewSignal, () => {
    continueAsNewRequested = true;
    w.changed();
  });

  const wantsContinueAsNew = () =>
    continueAsNewRequested ||
    workflowInfo().continueAsNewSuggested ||
    (input.continueAsNewAfterHours !== undefined && state.nextHour - w.firstHourOfRun >= input.continueAsNewAfterHours);

  // ---- main loop --------------------------------------------------------------------------

  refreshPhase(w);
  if (!input.state) {
    w.audit('start', `watch of ${state.release.service} ${state.release.version} started by ${input.startedBy}`, 0);
    w.notify(watchStarted(plan, state, onCallAt(plan, 0).primary));
  }

  const alarm = new Alarm(() => w.changed());

  /** After the loop: what is in flight finishes, the final report is written, the watch closes. */
  const close = async (): Promise<WatchResult> => {
    // Let the runs, notifications and handlers in flight finish before the watch closes.
    await condition(() => w.inflight === 0 && allHandlersFinished());
    state.endedAt = Date.now();
    w.audit('end', `watch ended: ${state.phase}`);
    await writeFinalReport(w);
    // An update accepted while the final report was written still finishes before the watch closes.
    await condition(() => w.inflight === 0 && allHandlersFinished());
    publish(w);
    setDetails(w, `ended: ${state.phase}`);
    return {
      watchId: state.watchId,
      phase: state.phase,
      hour: round1(w.hourNow()),
      generation: state.generation,
      incidents: state.incidents.length,
      status: watchStatus(plan, state, Date.now(), w.hourMs, FINAL_EVENTS),
    };
  };

  // ---- main loop --------------------------------------------------------------------------
  // A step at the start and after every change (w.onChangeSince) rather than an async loop: an await
  // per pass costs the SDK two promises with a stack capture each, a step one; the order of what it
  // does is the same.

  return new Promise<WatchResult>((resolve, reject) => {
    /** Waits for the next change, or the alarm; `idle` when no tier run is in flight. */
    const wait = (idle: boolean, slot: number | undefined, wakeAt: number | undefined, waitingFor: string): void => {
      if (idle) {
        const nextAt =
          slot !== undefined ? w.dueAt(slot) : pendingCheckpoints(state).length === 0 ? w.dueAt(state.schedule.endHour) : undefined;
        if (nextAt !== undefined && (wakeAt === undefined || nextAt < wakeAt)) {
          wakeAt = nextAt;
          waitingFor =
            slot === undefined
              ? 'the end of the watch'
              : `${tiersDueAt(plan, slot, state.schedule).join(' + ') || 'checkpoint'} ${hourLabel(slot, state.schedule)}`;
        }
      }
      publishSoon(w);
      setDetails(w, w.runsInFlight > 0 ? 'checks running' : `next: ${waitingFor}`);
      const seen = w.version;
      alarm.arm(wakeAt, `until ${waitingFor}`);
      w.onChangeSince(seen, step);
    };

    const step = (): void => {
      try {
        for (;;) {
          if (isEnded(state)) return resolve(close());
          const now = Date.now();
          remindDue(w, now);
          expire(w, now);
          const wakeAt = nextDeadline(state);
          const waitingFor = 'a decision';
          if (w.runsInFlight > 0) return wait(false, undefined, wakeAt, waitingFor);
          const slot = nextSlot(
            plan,
            state.nextHour,
            state.schedule,
            state.checkpoints.filter((c) => c.state === 'upcoming').map((c) => c.hour),
          );
          if (slot === undefined && pendingCheckpoints(state).length === 0 && w.hourNow() >= state.schedule.endHour) {
            state.phase = 'completed';
            return resolve(close());
          }
          if (slot !== undefined && w.dueAt(slot) <= now) {
            state.nextHour = slot + 1;
            runSlot(w, slot);
            publish(w);
            continue;
          }
          if (wantsContinueAsNew() && w.inflight === 0) {
            condition(allHandlersFinished)
              .then(() => {
                if (w.inflight === 0) return continueAsNew<typeof watchWorkflow>({ ...input, state });
                wait(true, slot, wakeAt, waitingFor);
              })
              .catch(reject);
            return;
          }
          return wait(true, slot, wakeAt, waitingFor);
        }
      } catch (err) {
        reject(err);
      }
    };
    step();
  });
}
