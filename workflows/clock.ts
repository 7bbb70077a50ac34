// Time in the workflows: the alarm that wakes them at a deadline, and the guard against acting on a
// stale clock.
//
// The alarm is never cancelled: re-arming for another time starts a new timer and lets the old one
// fire unheeded. Cancelling a timer that fires at the same moment races the server (the time-skipping
// test server rejects such a completion), so the watch never cancels.
import { sleep, workflowInfo } from '@temporalio/workflow';

export class Alarm {
  private at: number | undefined;
  private token = 0;
  rang = false;

  /** `onRing` is called when it rings (a loop waiting on its own promise rather than a condition). */
  constructor(private readonly onRing?: () => void) {}

  /** Will ring at or before `at`: a running timer that needs no new one for a deadline moved later. */
  holds(at: number | undefined): boolean {
    return this.at !== undefined && !this.rang && (at === undefined || this.at <= at);
  }

  /** Rings at `at` (ms since epoch); a call with the time already armed keeps the running timer. */
  arm(at: number | undefined, summary: string): void {
    if (at === this.at && !this.rang) return;
    this.at = at;
    this.rang = false;
    const token = ++this.token;
    if (at === undefined) return;
    void sleep(Math.max(1, at - Date.now()), { summary }).then(() => {
      if (token !== this.token) return;
      this.rang = true;
      this.onRing?.();
    });
  }
}

/**
 * Refuses to act on a stale workflow clock. Every new workflow task brings more history and a later
 * time; an activation that brings more history on the time of the one before comes from the
 * TypeScript SDK (1.24) serving a query: on a worker that does not have the workflow cached, or on
 * one that does when events came in after the query was dispatched, it applies the events after the
 * last completed workflow task (a timer that fired, a signal, an activity that timed out) on that
 * task's time. Acting on that clock starts other commands than a replay does (the workflow is then
 * stuck on a nondeterminism error) or timers of the wrong length; and a command started there is
 * sent with the query's answer, which the SDK core rejects by shutting the whole worker down.
 *
 * `observe()` runs in the activation interceptor (interceptors.ts) before any job of the
 * activation is applied, so nothing has run and no command is buffered when it throws: only that
 * query fails, and the next workflow task replays from history with its own time.
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
          '(a query served with events its workflow task has not run); not acting on it',
      );
    }
    this.now = now;
    this.length = historyLength;
  }
}
