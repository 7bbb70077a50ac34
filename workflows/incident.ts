// One incident: pages the on-call chain, holds the acknowledgement and resolution deadlines as timers,
// takes acknowledgements and resolutions (validated, and signed where the plan says so), reports each
// change to its watch, and writes the incident document when resolved. It outlives its watch.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { answerError, renderIncidentDoc, type Ack, type IncidentInput, type IncidentRecord, type Resolve } from '../core/incidents';
import { warmKeys } from '../core/ed25519';
import type { CheckRequest } from '../core/messages';
import { signaturesRequired, signerKeys } from '../core/signatures';
import { incidentResolved, incidentTitle, pageReasons } from '../core/notices';
import { Alarm } from './clock';
import { incidentAckUpdate, incidentCheckSignal, incidentQuery, incidentResolveUpdate, REFUSED } from './definitions';
import { Reporter } from './incident/report';
import { IncidentRun } from './incident/run';
import { DELIVERY, investigation } from './options';

const { writeIncidentDoc } = proxyActivities<Activities>(DELIVERY);

export interface IncidentStart extends IncidentInput {
  /** Probes run for evidence when the incident opens (the check's `investigate` list). */
  investigations: CheckRequest[];
}

export async function incidentWorkflow(input: IncidentStart): Promise<IncidentRecord> {
  const run = new IncidentRun(input);
  const { rec } = run;
  if (signaturesRequired(input.roster)) warmKeys(signerKeys(input.roster));
  const reporter = new Reporter(run);

  // ---- messages -------------------------------------------------------------------------

  setHandler(incidentQuery, () => rec);
  const refuseWith = (reason: string | undefined) => {
    if (reason) throw ApplicationFailure.create({ message: reason, type: REFUSED, nonRetryable: true });
  };
  const refusal = (kind: 'ack' | 'resolve', a: Ack | Resolve) =>
    answerError(input, rec, kind, a) ?? run.nonces.error(input.roster, input.watchId, kind, a);
  setHandler(
    incidentAckUpdate,
    (a: Ack) => {
      run.answering();
      run.nonces.spend(a);
      run.acknowledge(a);
      return rec;
    },
    { validator: (a: Ack) => refuseWith(refusal('ack', a)) },
  );
  setHandler(
    incidentResolveUpdate,
    (r: Resolve) => {
      run.answering();
      run.nonces.spend(r);
      run.resolve(r);
      return rec;
    },
    { validator: (r: Resolve) => refuseWith(refusal('resolve', r)) },
  );
  setHandler(incidentCheckSignal, ({ healthy, reason }) => run.checkChanged(healthy, reason));

  // ---- opening ----------------------------------------------------------------------------

  let investigating: Promise<void> = Promise.resolve();
  if (!input.state) {
    run.page(rec.step, rec.holder, pageReasons.opened(input.immediate), input.openedAt);
    // The acknowledgement deadline runs while the investigation probes do: a hung probe, or one lost
    // with its worker, must not hold back the next page.
    if (input.investigations.length) run.beside((investigating = investigate(input, rec).finally(() => run.changed())));
  }

  // ---- main loop: page each deadline as it passes, until resolved ---------------------------

  const alarm = new Alarm();
  while (rec.state !== 'resolved') {
    // The server suggests continuing as new once the history is long (days of unanswered pages): the
    // incident continues as soon as its work in flight has settled, paging meanwhile.
    const suggested = workflowInfo().continueAsNewSuggested;
    const settled = () => run.unsettled === 0 && allHandlersFinished();
    if (suggested && settled()) await continueAsNew<typeof incidentWorkflow>({ ...input, investigations: [], state: rec });
    // Taken before reporting: a change handled while the report is in flight must wake the next wait.
    const seen = run.version;
    setCurrentDetails(details(input, rec));
    const deferring = run.deferring();
    if (!deferring) reporter.beside();
    const due = rec.nextDeadlineAt;
    if (due === undefined || due > Date.now()) {
      // A deadline moved later (an acknowledgement's resolve deadline) keeps the running timer, which
      // rings first, until the next task: that one arms it.
      if (!(deferring && alarm.holds(due))) alarm.arm(due, `${rec.deadlineKind} deadline: incident ${input.seq}, ${input.severity}`);
      await condition(() => run.version !== seen || alarm.rang || (due !== undefined && due <= Date.now()) || (suggested && settled()));
    }
    // Deadlines that passed, whatever woke the loop (the alarm, or a task that came after an outage).
    run.pageOverdue();
  }

  // Timers of a closed incident are gone with the loop; what is left is the write-up, with the evidence.
  await investigating;
  const doc = renderIncidentDoc(input, rec);
  rec.documentPath = (
    await writeIncidentDoc({ watchId: input.watchId, seq: input.seq, reportsDir: input.reportsDir, vars: input.vars, markdown: doc }).catch(
      () => ({
        path: undefined,
      }),
    )
  ).path;
  run.send(incidentResolved(input, rec), doc);
  await Promise.all(run.deliveries);
  await reporter.flush();
  await condition(allHandlersFinished);
  setCurrentDetails(details(input, rec));
  return rec;
}

/** Runs the check's investigation probes and keeps their evidence for the incident document. */
async function investigate(input: IncidentStart, rec: IncidentRecord): Promise<void> {
  const { runCheck } = proxyActivities<Activities>(investigation(input.seq));
  const results = await Promise.all(
    input.investigations.map((req) =>
      runCheck(req).catch((err: Error) => ({ checkId: req.checkId, outcome: 'fail', reason: err.message, evidence: '' })),
    ),
  );
  rec.investigation = results.map((r) => ({ check: r.checkId, outcome: r.outcome, reason: r.reason, evidence: r.evidence.slice(0, 1500) }));
}

/** The Web UI's current details: the next deadline (to the second: clocks may be compressed) and who holds it. */
function details(input: IncidentInput, rec: IncidentRecord): string {
  const due =
    rec.nextDeadlineAt === undefined ? '' : ` · ${rec.deadlineKind} due ${new Date(rec.nextDeadlineAt).toISOString().slice(11, 19)} UTC`;
  return `${incidentTitle(input)}${due}\n\n${rec.state}, held by ${rec.holder}`;
}
