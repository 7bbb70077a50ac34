// The watch's side of incidents: a check's failure streak (or an immediate trigger) opens one as a child
// workflow, a recovery or relapse is told to it, and its reports are what the watch knows of it. The
// incident owns its state; people answer it directly.
import { getExternalWorkflowHandle, ParentClosePolicy, startChild } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { hourAt, round1 } from '../../core/hours';
import type { IncidentChange } from '../../core/incidents';
import { leverPulled } from '../../core/levers';
import type { CheckRequest, CheckResult } from '../../core/messages';
import { incidentTitle } from '../../core/notices';
import { escalationChain } from '../../core/rotation';
import { recordCheck, type IncidentState, type Relapse } from '../../core/state';
import type { TriggerSpec } from '../../plan/schema';
import { incidentCheckSignal } from '../definitions';
import { incidentWorkflow } from '../incident';
import { countIncidentOpened } from '../metrics';
import { workerVars } from './checks';
import type { WatchRun } from './run';

/** Records a result; returns the incidents it opens, starting. */
export function afterCheck(w: WatchRun, r: CheckResult): Promise<void>[] {
  const t = recordCheck(w.state, w.plan, r);
  const opening: Promise<void>[] = [];
  if (t.becameFailing) opening.push(openOrRelapse(w, r));
  if (t.recovered) tell(w, unresolved(w, r.checkId), true, r.reason);
  for (const name of r.triggers) {
    const trigger = w.plan.escalation.immediate.find((x) => x.name === name);
    if (trigger && !leverPulled(w.state, trigger.unlessLever)) opening.push(openOrRelapse(w, r, trigger));
  }
  return opening;
}

function unresolved(w: WatchRun, check: string, trigger?: string): IncidentState | undefined {
  return w.state.incidents.find((i) => i.check === check && i.trigger === trigger && i.state !== 'resolved');
}

function tell(w: WatchRun, inc: IncidentState | undefined, healthy: boolean, reason: string): void {
  if (!inc) return;
  w.track(
    getExternalWorkflowHandle(inc.id)
      .signal(incidentCheckSignal, { healthy, reason })
      .catch(() => undefined),
  );
}

/**
 * One incident per check (or trigger) and failure episode: a relapse before resolution pages the same
 * one again. The incident may have been resolved a moment ago without the watch knowing yet: the relapse
 * is kept, and opens a new incident if the resolution turns out to be older (see incidentChanged).
 */
async function openOrRelapse(w: WatchRun, r: CheckResult, trigger?: TriggerSpec): Promise<void> {
  const existing = unresolved(w, r.checkId, trigger?.name);
  if (existing) {
    existing.relapse = { at: Date.now(), hour: r.hour, reason: r.reason, evidence: r.evidence, severity: r.severity };
    if (!trigger) tell(w, existing, false, r.reason);
    return;
  }
  await openIncident(w, r.checkId, { hour: r.hour, reason: r.reason, evidence: r.evidence, severity: r.severity, at: Date.now() }, trigger);
}

async function openIncident(w: WatchRun, checkId: string, failure: Relapse, trigger?: TriggerSpec): Promise<void> {
  const { plan, state } = w;
  const spec = plan.checks[checkId];
  const seq = state.incidents.length + 1;
  // The trigger's own severity and category, else the check's; a failed condition may name a graver one.
  const severity = trigger ? (trigger.severity ?? spec.severity) : (failure.severity ?? spec.severity);
  const sev = plan.severities[severity] ?? plan.severities[spec.severity];
  const category = trigger?.category ?? spec.category;
  const id = `${state.watchId}/incident-${seq}`;
  const openedAt = Date.now();
  const chain = escalationChain(plan, failure.hour);
  const ackMs = w.ms(sev.ack);
  countIncidentOpened(severity);
  state.incidents.push({
    id,
    seq,
    check: checkId,
    severity,
    category,
    state: 'open',
    openedHour: failure.hour,
    openedAt,
    reason: trigger ? `${trigger.description}: ${failure.reason}` : failure.reason,
    holder: trigger ? chain[2] : chain[0],
    trigger: trigger?.name,
    nextDeadlineAt: openedAt + ackMs,
  });
  const meaning = trigger ? trigger.description : sev.meaning;
  w.audit('incident', `${incidentTitle({ seq, severity, meaning })}: ${checkId}: ${trigger?.description ?? failure.reason}`, failure.hour);
  const investigations: CheckRequest[] = spec.investigate.map((ref) => ({
    watchId: state.watchId,
    checkId: ref,
    hour: failure.hour,
    check: plan.checks[ref],
    vars: workerVars(plan.vars),
    release: state.release,
    triggers: [],
  }));
  try {
    await startChild(incidentWorkflow, {
      workflowId: id,
      args: [
        {
          watchId: state.watchId,
          id,
          seq,
          check: checkId,
          checkDescription: spec.description,
          severity,
          meaning,
          category,
          reason: failure.reason,
          evidence: failure.evidence,
          openedAt,
          openedHour: failure.hour,
          hourMs: w.hourMs,
          ackMs,
          resolveMs: w.ms(sev.resolve),
          chain,
          immediate: trigger?.description,
          pagerSeverity: sev.pagerduty ?? 'error',
          sinks: plan.notify.sinks,
          reportsDir: plan.notify.reportsDir,
          vars: workerVars(plan.vars),
          investigate: spec.investigate,
          investigations,
          roster: { people: plan.people, profile: plan.profile, signedApprovals: plan.signedApprovals, relays: plan.relays },
        },
      ],
      // Incidents outlive a watch run: they survive continue-as-new and an ended watch until a person resolves them.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: incidentTitle({ seq, severity, meaning }),
      staticDetails: `${spec.description}: ${failure.reason}`,
    });
  } catch (err) {
    // Only when a reset (release-watch repair) runs the task that opened it again: the incident is
    // still open, paging as before, and the watch goes on with it.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** An incident's report: the watch's view of it, in order. */
export function incidentChanged(w: WatchRun, c: IncidentChange): void {
  const { state } = w;
  const inc = state.incidents.find((i) => i.id === c.id);
  if (!inc) return;
  const before = inc.state;
  const hourOf = (t: number) => round1(hourAt(state.startedAt, t, w.hourMs));
  Object.assign(inc, {
    state: c.state,
    holder: c.holder,
    nextDeadlineAt: c.nextDeadlineAt,
    pages: c.pages,
    sent: c.sent,
    ...(c.ackedAt !== undefined ? { ackedHour: hourOf(c.ackedAt), ackedBy: c.ackedBy } : {}),
    ...(c.resolvedAt !== undefined ? { resolvedHour: hourOf(c.resolvedAt), resolvedBy: c.resolvedBy, rootCause: c.rootCause } : {}),
    ...(c.documentPath ? { documentPath: c.documentPath } : {}),
  });
  for (const u of c.undelivered ?? []) {
    if (!state.notifications.undelivered.some((x) => x.eventId === u.eventId && x.sink === u.sink)) state.notifications.undelivered.push(u);
  }
  if (before !== c.state) {
    if (c.state === 'acknowledged') w.audit('incident', `incident ${inc.seq} acknowledged by ${c.ackedBy}`);
    if (c.state === 'recovered') w.audit('incident', `incident ${inc.seq} recovered: ${inc.check} healthy again`);
    if (c.state === 'resolved') w.audit('incident', `incident ${inc.seq} resolved by ${c.resolvedBy}: ${c.rootCause}`);
  }
  // A failure sent to the incident after it had been resolved: it is a new episode.
  const relapse = inc.relapse;
  if (c.state === 'resolved' && relapse && c.resolvedAt !== undefined && relapse.at >= c.resolvedAt) {
    inc.relapse = undefined;
    const trigger = inc.trigger ? w.plan.escalation.immediate.find((t) => t.name === inc.trigger) : undefined;
    if (!unresolved(w, inc.check, inc.trigger)) w.track(openIncident(w, inc.check, relapse, trigger));
  }
  w.changed();
}
