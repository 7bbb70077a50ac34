// One run of an incident: its record, the notifications it has sent, and the paging rules. The incident
// owns its state: acknowledgements and resolutions come to it, and it reports every change to its watch.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { Ack, IncidentInput, IncidentRecord, Resolve } from '../../core/incidents';
import { nextInChain } from '../../core/incidents';
import { addressed, incidentAcknowledged, incidentPage, incidentRecovered, pageReasons, type Notice } from '../../core/notices';
import { overdueDeadlines } from '../../core/schedule';
import { NonceStore } from '../../core/signatures';
import { DELIVERY } from '../options';
import { countIncidentResolved, countMissedDeadline } from '../metrics';

const { notify } = proxyActivities<Activities>(DELIVERY);

export class IncidentRun {
  readonly rec: IncidentRecord;
  readonly nonces: NonceStore;
  version = 0;
  /** Notifications, reports and investigations started beside the loop and not yet settled. */
  unsettled = 0;
  /** Deliveries in flight, awaited before the incident closes. */
  readonly deliveries: Promise<unknown>[] = [];
  /** Notifications that could not be delivered: reported to the watch, which keeps them in its status. */
  readonly undelivered: Array<{ eventId: string; sink: string; error: string }> = [];

  constructor(readonly input: IncidentInput) {
    this.rec = input.state ?? {
      state: 'open',
      holder: input.immediate ? input.chain[2] : input.chain[0],
      step: input.immediate ? 2 : 0,
      pages: [],
      investigation: [],
      nonces: [],
      sent: 0,
    };
    this.rec.nonces ??= [];
    this.nonces = new NonceStore(this.rec.nonces);
  }

  /** The history length of the workflow task that took a person's answer last. */
  answeredIn = -1;

  /** A person's answer is taken in this workflow task. */
  answering(): void {
    this.answeredIn = workflowInfo().historyLength;
  }

  /**
   * In the task that takes an answer, with its notification in flight: the report to the watch and a
   * timer for a later deadline wait for the task that notification's return brings, so the answer's
   * round trip carries no more than the answer and its notification.
   */
  deferring(): boolean {
    return this.answeredIn === workflowInfo().historyLength && this.unsettled > 0;
  }

  changed(): void {
    this.version++;
  }

  /** Counts `p` until it settles, on a branch of its own: the chain it belongs to runs as before. */
  beside(p: Promise<unknown>): void {
    this.unsettled++;
    void p.then(
      () => this.unsettled--,
      () => this.unsettled--,
    );
  }

  send(notice: Notice, document?: string): void {
    const notification = addressed(notice, this.input.id, this.input.watchId, Date.now(), this.input.roster.people);
    const delivery = notify({ notification, sinks: this.input.sinks, vars: this.input.vars, ...(document ? { document } : {}) })
      .then((res) => {
        if (res.delivered.length > 0) this.rec.sent = (this.rec.sent ?? 0) + 1;
        for (const f of res.failed) this.undelivered.push({ eventId: notification.eventId, sink: f.sink, error: f.error });
      })
      .catch((err: unknown) => {
        this.undelivered.push({ eventId: notification.eventId, sink: 'all', error: String((err as Error)?.message ?? err) });
      })
      .finally(() => this.changed());
    this.deliveries.push(delivery);
    this.beside(delivery);
  }

  /** Pages `to`; `at` is the deadline that caused it, so the chain keeps exact SLA spacing. */
  page(step: number, to: string, why: string, at = Date.now()): void {
    const { rec } = this;
    rec.step = step;
    rec.holder = to;
    rec.pages.push({ step, to, at, why });
    rec.nextDeadlineAt = at + this.input.ackMs;
    rec.deadlineKind = 'ack';
    this.send(incidentPage(this.input, rec.pages.length, to, why));
  }

  acknowledge(a: Ack): void {
    const { rec } = this;
    if (rec.state === 'resolved') return;
    const takeover = rec.state === 'acknowledged' ? (rec.takeovers = (rec.takeovers ?? 0) + 1) : undefined;
    rec.state = 'acknowledged';
    rec.ackedAt ??= Date.now();
    rec.ackedBy = a.by;
    rec.ackedVia = a.via;
    rec.holder = a.by;
    rec.nextDeadlineAt = Date.now() + this.input.resolveMs;
    rec.deadlineKind = 'resolve';
    this.send(incidentAcknowledged(this.input, rec, a.by, takeover, a.via));
    this.changed();
  }

  resolve(r: Resolve): void {
    const { rec } = this;
    if (rec.state === 'resolved') return;
    countIncidentResolved(this.input.severity);
    Object.assign(rec, {
      state: 'resolved',
      resolvedAt: Date.now(),
      resolvedBy: r.by,
      resolvedVia: r.via,
      rootCause: r.rootCause,
      resolution: r.resolution,
      followUp: r.followUp,
      nextDeadlineAt: undefined,
      deadlineKind: undefined,
    });
    this.changed();
  }

  /** The watch saw the check recover, or fail again before anyone resolved the incident. */
  checkChanged(healthy: boolean, reason: string): void {
    const { rec } = this;
    if (rec.state === 'resolved') return;
    if (healthy && rec.state !== 'recovered') {
      Object.assign(rec, { state: 'recovered', recoveredAt: Date.now(), nextDeadlineAt: undefined, deadlineKind: undefined });
      this.send(incidentRecovered(this.input, rec));
    } else if (!healthy && rec.state === 'recovered') {
      // The same episode, paged afresh.
      rec.state = 'open';
      rec.recoveredAt = undefined;
      this.page(0, this.input.chain[0], pageReasons.failingAgain(reason));
    }
    this.changed();
  }

  /**
   * Pages every deadline that has passed, in this task: the one the alarm rang for, and those that
   * passed while no worker or server was up. One pass through the chain at most; deadlines beyond it
   * are skipped on the same grid (recorded on the incident), so an incident abandoned for days pages
   * its chain once on return, not thousands of times.
   */
  pageOverdue(): void {
    const { rec, input } = this;
    for (let paged = 0; rec.nextDeadlineAt !== undefined && rec.nextDeadlineAt <= Date.now(); paged++) {
      if (paged >= Math.max(1, input.chain.length)) {
        const { count, next } = overdueDeadlines(rec.nextDeadlineAt, Date.now(), input.ackMs);
        (rec.skipped ??= []).push({ from: rec.nextDeadlineAt, count, at: Date.now() });
        rec.nextDeadlineAt = next;
        break;
      }
      this.onDeadline(rec.nextDeadlineAt);
    }
  }

  private onDeadline(due: number): void {
    const { rec, input } = this;
    if (rec.state === 'open' || rec.state === 'acknowledged') countMissedDeadline(rec.state === 'open' ? 'ack' : 'resolve');
    if (rec.state === 'open') {
      const next = nextInChain(input.chain, rec.step);
      if (next) this.page(next.step, next.to, pageReasons.notAcknowledged(input.ackMs, input.hourMs, next.step), due);
      else this.page(rec.step, rec.holder, pageReasons.chainExhausted(), due);
    } else if (rec.state === 'acknowledged') {
      rec.state = 'open';
      this.page(0, input.chain[0], pageReasons.notResolved(rec.ackedBy, input.resolveMs, input.hourMs), due);
    }
  }
}
