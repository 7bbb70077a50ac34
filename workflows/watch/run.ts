// One run of a watch: its plan, its state and the clock, what is in flight, and the means every part
// uses to change things (notify, audit, changed). The parts beside this file each do one job with it.
import { inWorkflowContext, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { hourAt, hourMs as hourMsOf, timeOfHour, watchMs } from '../../core/hours';
import type { WatchInput } from '../../core/messages';
import { addressed, type Notice } from '../../core/notices';
import { sharedPlan } from '../../core/shared-plans';
import { NonceStore } from '../../core/signatures';
import { audit, initialState, type WatchState } from '../../core/state';
import type { Plan } from '../../plan/schema';
import { DELIVERY } from '../options';
import { workerVars } from './checks';

const { notify } = proxyActivities<Activities>(DELIVERY);

export class WatchRun {
  readonly plan: Plan;
  readonly state: WatchState;
  readonly hourMs: number;
  readonly nonces: NonceStore;
  /** Bumped on every change the main loop must look at. */
  version = 0;
  /** Everything started and not finished: tier runs, notifications, levers, incident starts. */
  inflight = 0;
  /** Tier runs only: the next slot waits for these, never for a notification. */
  runsInFlight = 0;
  /** The history length of the workflow task that took a person's answer last (see publish.ts). */
  answeredIn = -1;
  /** The watch hour this run of the workflow (since its last continue-as-new) started at. */
  readonly firstHourOfRun: number;

  constructor(
    readonly input: WatchInput,
    workflowId: string,
    now: number,
  ) {
    // The worker's one copy of this plan (frozen), so a cached watch does not keep its own.
    input.plan = sharedPlan(input.plan);
    this.plan = input.plan;
    this.hourMs = hourMsOf(this.plan);
    this.state = input.state ? (input.state as WatchState) : initialState(workflowId, this.plan, input.release, input.startedBy, now);
    if (input.state) this.state.generation++;
    this.nonces = new NonceStore(this.state.nonces);
    this.firstHourOfRun = this.state.nextHour;
  }

  hourNow(): number {
    return hourAt(this.state.startedAt, Date.now(), this.hourMs);
  }

  dueAt(hour: number): number {
    return timeOfHour(this.state.startedAt, hour, this.hourMs);
  }

  /** A protocol duration of watch time in real milliseconds. */
  ms(duration: string): number {
    return watchMs(duration, this.hourMs);
  }

  /** A person's answer is taken in this workflow task. */
  answering(): void {
    this.answeredIn = workflowInfo().historyLength;
  }

  changed(): void {
    this.version++;
    const next = this.next;
    this.next = undefined;
    if (next) void this.resolved.then(next);
  }

  private next: (() => void) | undefined;
  private readonly resolved = Promise.resolve();

  /**
   * Calls `next` in a microtask of its own at the next change after `seen` (at once if there was one).
   * The main loop is a step called so rather than an async loop: an `await` costs the SDK two promises,
   * each with a stack capture, where this costs one (and a condition four).
   */
  onChangeSince(seen: number, next: () => void): void {
    if (this.version !== seen) void this.resolved.then(next);
    else this.next = next;
  }

  audit(kind: string, text: string, hour = this.hourNow()): void {
    audit(this.state, Date.now(), hour, kind, text);
  }

  /** Counts `p` as in flight until it settles (then runs `after`); a failure fails the workflow task, as a bug should. */
  track(p: Promise<unknown>, after?: () => void): void {
    this.inflight++;
    whenSettled(p, () => {
      after?.();
      this.inflight--;
      this.changed();
    });
  }

  /** A tier run began: in flight (and holding the next slot back) until `runOver`. */
  runBegun(): void {
    this.inflight++;
    this.runsInFlight++;
  }

  /**
   * The tier run is over once `rest` (what it still does: incidents opening, a daily report) settles,
   * at once when nothing is left: most slots, which then cost no promise of their own.
   */
  runOver(rest?: Promise<unknown>): void {
    if (rest) return whenSettled(rest, () => this.runOver());
    this.runsInFlight--;
    this.inflight--;
    this.changed();
  }

  /** Sends a notice to the plan's sinks, beside the loop; what was not delivered is kept in the state. */
  notify(notice: Notice): void {
    const { state } = this;
    const notification = addressed(notice, state.watchId, state.watchId, Date.now(), this.plan.people);
    this.track(
      notify({ notification, sinks: this.plan.notify.sinks, vars: workerVars(this.plan.vars) }).then(
        (res) => {
          if (res.delivered.length > 0) state.notifications.sent++;
          for (const f of res.failed) state.notifications.undelivered.push({ eventId: notification.eventId, sink: f.sink, error: f.error });
          // A sink whose URL or key is missing on the worker is reported once, not per notification.
          for (const sink of res.unconfigured) {
            if (!state.notifications.undelivered.some((u) => u.sink === sink && u.eventId === 'unconfigured')) {
              state.notifications.undelivered.push({
                eventId: 'unconfigured',
                sink,
                error: 'not configured on the worker (its environment variable is unset)',
              });
            }
          }
        },
        (err: unknown) => {
          state.notifications.undelivered.push({
            eventId: notification.eventId,
            sink: 'all',
            error: String((err as Error)?.message ?? err),
          });
        },
      ),
    );
  }
}

/** Calls `settled` when `p` settles; a failure then fails the workflow task, as a bug should. */
function whenSettled(p: Promise<unknown>, settled: () => void): void {
  void p.then(settled, (err: unknown) => {
    settled();
    // Once the workflow is being disposed (evicted, or a replay over), the work it left running ends
    // without a workflow around it; that is not a failure of the watch.
    if (inWorkflowContext()) throw err;
  });
}
