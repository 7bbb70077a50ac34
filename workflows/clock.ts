// Time in the workflows: the alarm that wakes them at a deadline, the guard against acting on a stale
// clock, and the heartbeat a running probe owes.
//
// The alarm is never cancelled: re-arming for another time starts a new timer and lets the old one
// fire unheeded. Cancelling a timer that fires at the same moment races the server (the time-skipping
// test server rejects such a completion), so the watch never cancels.
import { sleep, workflowInfo } from '@temporalio/workflow';

/** How long a running probe may go without a heartbeat before its attempt is given up as lost. */
export const PROBE_HEARTBEAT_MS = 10_000;

export class Alarm {
  private at: number | undefined;
  private token = 0;
  rang = false;

  /** Rings at `at` (ms since epoch); a call with the time already armed keeps the running timer. */
  arm(at: number | undefined, summary: string): void {
    if (at === this.at && !this.rang) return;
    this.at = at;
    this.rang = false;
    const token = ++this.token;
    if (at === undefined) return;
    void sleep(Math.max(1, at - Date.now()), { summary }).then(() => {
      if (token === this.token) this.rang = true;
    });
  }
}

/**
 * Refuses to act on a stale workflow clock. Every new workflow task brings more history and a later
 * time; an activation that brings more history on the time of the one before comes from the
 * TypeScript SDK (1.24) serving a query on a worker that does not have the workflow cached: it
 * applies the events after the last completed workflow task (a timer that fired while the worker that
 * had the workflow was down) on that task's time, and keeps the result for the next real task. Acting
 * on that clock starts other commands than a replay does (the workflow is then stuck on a
 * nondeterminism error) or timers of the wrong length. Throwing fails only that query; the next
 * workflow task replays from history with its own time.
 *
 * `observe()` is called from the predicate the workflow waits on, which the SDK evaluates after
 * every job of every activation.
 */
export class ClockGuard {
  private now = -1;
  private length = -1;

  observe(): void {
    const now = Date.now();
    const { historyLength } = workflowInfo();
    if (historyLength > this.length && now === this.now && this.length >= 0) {
      throw new Error(
        `stale workflow clock: the history grew from ${this.length} to ${historyLength} events but the clock still reads ${new Date(now).toISOString()} ` +
          '(a query served by a worker without this workflow in its cache); not acting on it',
      );
    }
    this.now = now;
    this.length = historyLength;
  }
}
