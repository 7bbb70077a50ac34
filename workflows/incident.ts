// One incident: pages the on-call chain, holds the acknowledgement and resolution deadlines as
// timers, takes acknowledgements and resolutions forwarded by its watch, and writes the document.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities';
import { Ack, directAnswerError, IncidentInput, IncidentRecord, incidentSummary, nextInChain, renderIncidentDoc, Resolve } from '../core/incidents';
import { overdueDeadlines } from '../core/schedule';
import { signatureError } from '../core/signatures';
import type { CheckRequest, Notification } from '../core/messages';
import { Alarm, PROBE_HEARTBEAT_MS } from './clock';
import {
  incidentAckSignal,
  incidentAckUpdate,
  incidentChangedSignal,
  incidentCheckSignal,
  incidentQuery,
  incidentResolveSignal,
  incidentResolveUpdate,
  REFUSED,
} from './definitions';

const { notify, writeIncidentDoc } = proxyActivities<typeof activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

export interface IncidentStart extends IncidentInput {
  /** Probes run for evidence when the incident opens (the check's `investigate` list). */
  investigations: CheckRequest[];
}

export async function incidentWorkflow(input: IncidentStart): Promise<IncidentRecord> {
  const info = workflowInfo();
  const parent = info.parent ? getExternalWorkflowHandle(info.parent.workflowId) : undefined;
  const rec: IncidentRecord = input.state ?? {
    state: 'open',
    holder: input.immediate ? input.chain[2] : input.chain[0],
    step: input.immediate ? 2 : 0,
    pages: [],
    investigation: [],
  };
  let version = 0;
  const changed = () => version++;
  /** Pages that could not be delivered: reported to the watch, which keeps them in its status and reports. */
  const undelivered: Array<{ eventId: string; sink: string; error: string }> = [];
  const pending: Promise<unknown>[] = [];
  /** Notifications, reports and investigations started beside the loop and not yet settled. */
  let unsettled = 0;
  /** Counts `p` until it settles, on a branch of its own: the chain it belongs to runs as before. */
  function beside(p: Promise<unknown>): void {
    unsettled++;
    void p.then(
      () => unsettled--,
      () => unsettled--,
    );
  }

  setHandler(incidentQuery, () => rec);

  setHandler(incidentAckSignal, (a: Ack) => acknowledge(a));
  setHandler(incidentResolveSignal, (r: Resolve) => resolve(r));

  // Answers sent here directly, once the watch that forwards them has ended.
  const refuseWith = (reason: string | undefined) => {
    if (reason) throw ApplicationFailure.create({ message: reason, type: REFUSED, nonRetryable: true });
  };
  const directError = (kind: 'ack' | 'resolve', a: Ack | Resolve) =>
    directAnswerError(input, rec, kind, a) ?? signatureError(input.roster!, rec.nonces ?? [], input.watchId, kind, a);
  const spendNonce = (a: Ack | Resolve) => {
    if (a.signature) (rec.nonces ??= []).push(a.signature.nonce);
  };
  setHandler(
    incidentAckUpdate,
    (a: Ack) => {
      spendNonce(a);
      acknowledge(a);
      return rec;
    },
    { validator: (a: Ack) => refuseWith(directError('ack', a)) },
  );
  setHandler(
    incidentResolveUpdate,
    (r: Resolve) => {
      spendNonce(r);
      resolve(r);
      return rec;
    },
    { validator: (r: Resolve) => refuseWith(directError('resolve', r)) },
  );

  function acknowledge(a: Ack) {
    if (rec.state === 'resolved') return;
    // The first acknowledgement after a page is `ack:<pages>`; one of an incident already acknowledged
    // (someone else taking it over before the next page) needs an id of its own, or every sink would
    // drop it as a duplicate of the first.
    const key = rec.state === 'acknowledged' ? `ack:${rec.pages.length}:takeover-${(rec.takeovers = (rec.takeovers ?? 0) + 1)}` : `ack:${rec.pages.length}`;
    rec.state = 'acknowledged';
    rec.ackedAt ??= Date.now();
    rec.ackedBy = a.by;
    rec.holder = a.by;
    rec.nextDeadlineAt = Date.now() + input.resolveMs;
    rec.deadlineKind = 'resolve';
    send(key, 'info', `Incident ${input.seq} acknowledged by ${a.by}`, `Resolve it within the ${input.severity} resolution time.`, [a.by], 'acknowledge');
    changed();
  }

  function resolve(r: Resolve) {
    if (rec.state === 'resolved') return;
    rec.state = 'resolved';
    rec.resolvedAt = Date.now();
    rec.resolvedBy = r.by;
    rec.rootCause = r.rootCause;
    rec.resolution = r.resolution;
    rec.followUp = r.followUp;
    rec.nextDeadlineAt = undefined;
    rec.deadlineKind = undefined;
    changed();
  }

  setHandler(incidentCheckSignal, ({ healthy, reason }) => {
    if (rec.state === 'resolved') return;
    if (healthy && rec.state !== 'recovered') {
      rec.state = 'recovered';
      rec.recoveredAt = Date.now();
      rec.nextDeadlineAt = undefined;
      rec.deadlineKind = undefined;
      send(`recovered:${rec.pages.length}`, 'info', `Incident ${input.seq} recovered`, `${input.check} is healthy again; resolve it with the write-up.`, [rec.holder]);
    } else if (!healthy && rec.state === 'recovered') {
      // The check failed again before anyone resolved the incident: the same episode, paged afresh.
      rec.state = 'open';
      rec.recoveredAt = undefined;
      page(0, input.chain[0], `failing again: ${reason}`);
    }
    changed();
  });

  function send(key: string, severity: Notification['severity'], title: string, text: string, to: string[], action?: 'trigger' | 'acknowledge' | 'resolve') {
    const notification: Notification = {
      eventId: `${input.id}:${key}`,
      watchId: input.watchId,
      kind: `incident-${key.split(':')[0]}`,
      severity,
      title,
      text,
      to,
      at: new Date().toISOString(),
      command: rec.state === 'resolved' ? undefined : `release-watch ack ${input.watchId} ${input.seq} --by <you>`,
      ...(action ? { incident: { id: input.id, action } } : {}),
    };
    const delivery = notify({ notification, sinks: input.sinks })
      .then((res) => {
        for (const f of res.failed) undelivered.push({ eventId: notification.eventId, sink: f.sink, error: f.error });
      })
      .catch((err: unknown) => {
        undelivered.push({ eventId: notification.eventId, sink: 'all', error: String((err as Error)?.message ?? err) });
      })
      .finally(changed);
    pending.push(delivery);
    beside(delivery);
  }

  /** Pages `to`; `at` is the deadline that caused it, so the chain keeps exact SLA spacing. */
  function page(step: number, to: string, why: string, at = Date.now()) {
    rec.step = step;
    rec.holder = to;
    rec.pages.push({ step, to, at, why });
    rec.nextDeadlineAt = at + input.ackMs;
    rec.deadlineKind = 'ack';
    send(
      `page:${rec.pages.length}`,
      input.pagerSeverity,
      `${incidentSummary(input)}: ${why}`,
      `${input.checkDescription}: ${input.reason}`,
      [to],
      rec.pages.length === 1 ? 'trigger' : undefined,
    );
  }

  function onDeadline(due: number) {
    if (rec.state === 'open') {
      const next = nextInChain(input.chain, rec.step);
      if (next) page(next.step, next.to, `not acknowledged within ${fmt(input.ackMs, input.hourMs)} (escalation ${next.step})`, due);
      else page(rec.step, rec.holder, `still not acknowledged; escalation chain exhausted`, due);
    } else if (rec.state === 'acknowledged') {
      rec.state = 'open';
      page(0, input.chain[0], `acknowledged by ${rec.ackedBy} but not resolved within ${fmt(input.resolveMs, input.hourMs)}: back to the escalation chain`, due);
    }
  }

  let reported = '';
  /** The reports sent so far, in order: each waits for the one before, so the watch sees them in turn. */
  let reporting: Promise<void> = Promise.resolve();
  /** Sends the change without holding the loop: a deadline that passes meanwhile pages on time. */
  function reportBeside(): void {
    reporting = reporting.then(report);
    beside(reporting);
  }
  async function report() {
    const change = {
      id: input.id,
      state: rec.state,
      holder: rec.holder,
      nextDeadlineAt: rec.nextDeadlineAt,
      ackedAt: rec.ackedAt,
      resolvedAt: rec.resolvedAt,
      documentPath: rec.documentPath,
      pages: rec.pages.length,
      ...(undelivered.length ? { undelivered: [...undelivered] } : {}),
    };
    const key = JSON.stringify(change);
    if (key === reported || !parent) return;
    reported = key;
    await parent.signal(incidentChangedSignal, change).catch(() => undefined); // the watch may have ended
  }

  function details() {
    setCurrentDetails(`${incidentSummary(input, rec.nextDeadlineAt, rec.deadlineKind)}\n\n${rec.state}, held by ${rec.holder}`);
  }

  /** Runs the check's investigation probes and keeps their evidence for the incident document. */
  async function investigate(requests: CheckRequest[], heartbeat: boolean) {
    const { runCheck } = proxyActivities<typeof activities>({
      startToCloseTimeout: '2 minutes',
      ...(heartbeat ? { heartbeatTimeout: PROBE_HEARTBEAT_MS } : {}),
      retry: { maximumAttempts: 2 },
      summary: `investigate incident ${input.seq}`,
    });
    const results = await Promise.all(requests.map((req) => runCheck(req).catch((err: Error) => ({ checkId: req.checkId, outcome: 'fail', reason: err.message, evidence: '' }))));
    rec.investigation = results.map((r) => ({ check: r.checkId, outcome: r.outcome, reason: r.reason, evidence: r.evidence.slice(0, 1500) }));
  }

  let investigating: Promise<void> = Promise.resolve();
  if (!input.state) {
    page(rec.step, rec.holder, input.immediate ? `immediate escalation: ${input.immediate}` : 'opened', input.openedAt);
    if (input.investigations.length) {
      // The acknowledgement deadline runs while the probes do: a hung probe, or one lost with its
      // worker, must not hold back the next page. Incidents opened before this change replay as they ran.
      if (patched('investigation-beside-deadlines')) beside((investigating = investigate(input.investigations, true).finally(changed)));
      else await investigate(input.investigations, false);
    }
  }

  /**
   * Pages every deadline that has passed, in this task: the one the alarm rang for, and those that
   * passed while no worker or server was up. One pass through the chain at most; deadlines beyond it
   * are skipped on the same grid (recorded on the incident), so an incident abandoned for days pages
   * its chain once on return, not thousands of times.
   */
  function pageOverdue() {
    for (let paged = 0; rec.nextDeadlineAt !== undefined && rec.nextDeadlineAt <= Date.now(); paged++) {
      if (paged >= Math.max(1, input.chain.length)) {
        const { count, next } = overdueDeadlines(rec.nextDeadlineAt, Date.now(), input.ackMs);
        (rec.skipped ??= []).push({ from: rec.nextDeadlineAt, count, at: Date.now() });
        rec.nextDeadlineAt = next;
        break;
      }
      onDeadline(rec.nextDeadlineAt);
    }
  }

  const alarm = new Alarm();
  // Incidents opened before this change put a deadline off to the next task when anything else had
  // changed in the task it rang in; they replay that way.
  const deadlineDespiteChanges = patched('deadline-despite-other-changes');
  while (rec.state !== 'resolved') {
    // Overdue deadlines page on any task, one chain pass at most. Asked on every pass, so an incident
    // opened before this change replays as it ran and takes the change up on its first new task.
    const overdueOnAnyTask = patched('overdue-on-any-task');
    // The server suggests continuing as new once the history is long (days of unanswered pages). The
    // incident then continues as soon as its work in flight has settled, and pages any deadline that
    // passes meanwhile. Before this change it read the suggestion from the info it started with, which
    // never changes, so it never continued as new; incidents that ran so replay that way. Checked
    // before this pass reports: the report settles, the wait below wakes, and the next pass continues.
    const continueWhenSettled = workflowInfo().continueAsNewSuggested && patched('incident-continues-as-new');
    const settled = () => unsettled === 0 && allHandlersFinished();
    if (continueWhenSettled && settled()) {
      await continueAsNew<typeof incidentWorkflow>({ ...input, investigations: [], state: rec });
    }
    // Taken before reporting: a signal handled while the report is in flight must wake the next wait.
    const seen = version;
    details();
    // The report to the watch goes beside the wait: awaited, a deadline that passed during its round
    // trip waited for it, and an answer arriving in between dropped the page. Asked on every pass,
    // as above.
    if (patched('reports-beside-deadlines')) reportBeside();
    else await report();
    if (!continueWhenSettled && info.continueAsNewSuggested) {
      await investigating;
      await reporting;
      await Promise.all(pending);
      await condition(allHandlersFinished);
      await continueAsNew<typeof incidentWorkflow>({ ...input, investigations: [], state: rec });
    }
    const due = rec.nextDeadlineAt;
    if (overdueOnAnyTask && due !== undefined && due <= Date.now()) {
      pageOverdue();
      continue;
    }
    alarm.arm(due, `${rec.deadlineKind} deadline: incident ${input.seq}, ${input.severity}`);
    await condition(() => version !== seen || alarm.rang || (overdueOnAnyTask && due !== undefined && due <= Date.now()) || (continueWhenSettled && settled()));
    if (overdueOnAnyTask) {
      pageOverdue();
      continue;
    }
    if (continueWhenSettled && !alarm.rang) continue; // woken to continue as new, not by a deadline
    // The deadline rang and still stands: it pages even when something else changed in the same task
    // (a page's delivery finishing); an acknowledgement, recovery or resolution moves or clears it.
    const deadlineStands = due !== undefined && rec.nextDeadlineAt === due;
    if (deadlineStands && (version === seen || (alarm.rang && deadlineDespiteChanges))) {
      onDeadline(due);
      // Deadlines that also passed while no worker or server was up are paged now, in this task,
      // not one timer round trip each; an incident waiting here since before the chain-pass limit
      // takes the limit up now (days overdue paged tens of thousands of times in one task).
      if (patched('overdue-on-any-task')) pageOverdue();
      else while (input.ackMs > 0 && rec.state === 'open' && rec.nextDeadlineAt! <= Date.now() && patched('incident-overdue-pages-at-once')) onDeadline(rec.nextDeadlineAt!);
    }
  }

  // Timers of a closed incident are gone with the loop; what is left is the write-up, with the evidence.
  await investigating;
  const doc = renderIncidentDoc(input, rec);
  rec.documentPath = (await writeIncidentDoc({ watchId: input.watchId, seq: input.seq, reportsDir: input.reportsDir, markdown: doc }).catch(() => ({ path: undefined }))).path;
  send('resolve', 'info', `Incident ${input.seq} resolved by ${rec.resolvedBy}`, `Root cause: ${rec.rootCause}\nResolution: ${rec.resolution}`, [rec.holder], 'resolve');
  await Promise.all(pending);
  await reporting;
  await report();
  await condition(allHandlersFinished);
  details();
  return rec;
}

function fmt(ms: number, hourMs: number): string {
  const h = ms / hourMs;
  return h >= 1 ? `${+h.toFixed(2)} h` : `${Math.round(h * 60)} min`;
}
