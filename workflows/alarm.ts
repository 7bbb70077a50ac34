// A wake-up at an absolute time that is never cancelled: re-arming for another time starts a new
// timer and lets the old one fire unheeded. Cancelling a timer that fires at the same moment races
// the server (the time-skipping test server rejects such a completion), so the watch never cancels.
import { sleep } from '@temporalio/workflow';

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
