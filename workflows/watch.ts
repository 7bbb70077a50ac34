// The watch: runs the plan's tiers at their watch hours, opens checkpoints and waits for people's
// decisions, escalates what is left unanswered. Deterministic code only; every deadline is an
// absolute time in the state, so it holds across worker restarts and continue-as-new.
import {
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  startChild,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  inWorkflowContext,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type * as activities from '../activities';
import { applyDecision, decisionError, DecisionEffect, openCheckpoint, deadlineMs } from '../core/checkpoints';
import { Ack, ackError, findIncident, incidentSummary, Resolve, resolveError } from '../core/incidents';
import { type Signable, type SignedKind, signatureError } from '../core/signatures';
import { Approve, approveError, automaticLevers, Emergency, emergencyError, findRequest, LeverRequest, leverPulled } from '../core/levers';
import type { CheckRequest, CheckResult, Decide, Notification, WatchInput } from '../core/messages';
import { escalationChain, onCallAt, personLabel } from '../core/rotation';
import { checksOf, hourLabel, hourMs as hourMsOf, nextSlot, overdueDeadlines, tiersDueAt } from '../core/schedule';
import {
  audit,
  health,
  initialState,
  isEnded,
  openIncidents,
  pendingCheckpoints,
  recordCheck,
  recordTierRun,
  scheduledFindings,
  REFUSED_MAX,
  round1,
  watchDay,
  WatchState,
} from '../core/state';
import { watchStatus } from '../core/status';
import { parseDuration } from '../plan/duration';
import type { LeverId, Plan } from '../plan/schema';
import {
  ackUpdate,
  approveUpdate,
  continueAsNewSignal,
  emergencyUpdate,
  decideSignal,
  decideUpdate,
  IncidentChange,
  incidentAckSignal,
  incidentChangedSignal,
  incidentCheckSignal,
  incidentResolveSignal,
  IncidentView,
  REFUSED,
  resolveUpdate,
  SA,
  statusQuery,
} from './definitions';
import { Alarm, PROBE_HEARTBEAT_MS } from './clock';
import { incidentWorkflow } from './incident';

const { notify, writeReport } = proxyActivities<typeof activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

export interface WatchResult {
  watchId: string;
  phase: WatchState['phase'];
  hour: number;
  generation: number;
  incidents: number;
}

export async function watchWorkflow(input: WatchInput): Promise<WatchResult> {
  const { plan } = input;
  const hourMs = hourMsOf(plan);
  const info = workflowInfo();
  const state: WatchState = input.state
    ? (input.state as WatchState)
    : initialState(info.workflowId, plan, input.release, input.startedBy, Date.now());
  if (input.state) {
    state.generation++;
    // A state carried from an older run may lack what newer code keeps.
    state.findings ??= [];
    state.levers ??= [];
    state.nonces ??= [];
  }
  const hourNow = () => (Date.now() - state.startedAt) / hourMs;
  const dueAt = (hour: number) => state.startedAt + hour * hourMs;
  const firstHourOfRun = state.nextHour;

  let version = 0; // bumped on every change the main loop must look at
  let inflight = 0; // everything started and not finished: tier runs, notifications, levers
  let runsInFlight = 0; // tier runs only: the next slot waits for these, never for a notification
  // Watches started before this change waited for every notification too; they replay that way.
  const independentRuns = patched('runs-do-not-wait-for-notifications');
  let continueAsNewRequested = false;
  const changed = () => version++;
  const track = (p: Promise<unknown>) => {
    inflight++;
    const settled = () => {
      inflight--;
      changed();
    };
    void p.then(settled, (err: unknown) => {
      settled();
      // A failure fails the workflow task, as an unhandled rejection does, so a bug shows and is
      // retried. Once the workflow is being disposed (evicted, or a replay over), the work it left
      // running ends without a workflow around it; that is not a failure of the watch.
      if (inWorkflowContext()) throw err;
    });
  };

  // ---- messages -------------------------------------------------------------------------

  setHandler(statusQuery, (events?: number) => watchStatus(plan, state, Date.now(), hourMs, events));

  setHandler(
    decideUpdate,
    (d: Decide) => {
      decide(d, 'update');
      return state.checkpoints.find((c) => c.name === d.checkpoint)!;
    },
    { validator: (d: Decide) => refuseWith(decisionError(plan, state, d) ?? signed('decide', d)) },
  );

  setHandler(decideSignal, (d: Decide) => {
    const reason = decisionError(plan, state, d) ?? signed('decide', d);
    if (reason) {
      refuse('signal', `decide ${JSON.stringify(d).slice(0, 300)}`, reason);
      return;
    }
    decide(d, 'signal');
  });

  function refuseWith(reason: string | undefined) {
    if (reason) throw ApplicationFailure.create({ message: reason, type: REFUSED, nonRetryable: true });
  }

  /** Checked after the request itself is found valid; the handler then spends the nonce. */
  function signed(kind: SignedKind, request: Signable): string | undefined {
    return signatureError(plan, state.nonces, state.watchId, kind, request);
  }

  function spendNonce(request: Signable) {
    if (request.signature) state.nonces.push(request.signature.nonce);
  }

  setHandler(
    ackUpdate,
    async (a: Ack) => {
      spendNonce(a);
      const inc = findIncident(state, a.incident)!;
      inc.state = 'acknowledged';
      inc.holder = a.by;
      inc.ackedHour ??= round1(hourNow());
      audit(state, Date.now(), hourNow(), 'incident', `incident ${inc.seq} acknowledged by ${a.by}`);
      changed();
      // The answer is the acknowledgement as accepted: a report the incident sent before it had the
      // acknowledgement can arrive during the signal's round trip and set this mirror back to open
      // until the incident's next report.
      const accepted = view(inc);
      await getExternalWorkflowHandle(inc.id).signal(incidentAckSignal, a);
      return accepted;
    },
    { validator: (a: Ack) => refuseWith(ackError(plan, state, a) ?? signed('ack', a)) },
  );

  setHandler(
    resolveUpdate,
    async (r: Resolve) => {
      spendNonce(r);
      const inc = findIncident(state, r.incident)!;
      inc.state = 'resolved';
      inc.holder = r.by;
      inc.rootCause = r.rootCause;
      inc.resolvedHour = round1(hourNow());
      inc.nextDeadlineAt = undefined;
      audit(state, Date.now(), hourNow(), 'incident', `incident ${inc.seq} resolved by ${r.by}: ${r.rootCause}`);
      changed();
      await getExternalWorkflowHandle(inc.id).signal(incidentResolveSignal, r);
      return view(inc);
    },
    { validator: (r: Resolve) => refuseWith(resolveError(plan, state, r) ?? signed('resolve', r)) },
  );

  setHandler(
    emergencyUpdate,
    (e: Emergency) => {
      spendNonce(e);
      return requestLever(e.lever as LeverId, e.by, e.reason, false);
    },
    { validator: (e: Emergency) => refuseWith(emergencyError(plan, state, e) ?? signed('emergency', e)) },
  );

  setHandler(
    approveUpdate,
    (a: Approve) => {
      spendNonce(a);
      const req = findRequest(state, a.request)!;
      req.approvedBy = a.by;
      req.expiresAt = undefined;
      audit(state, Date.now(), hourNow(), 'lever', `${req.lever} (request ${req.seq}) approved by ${a.by}`);
      startLever(req);
      return req;
    },
    { validator: (a: Approve) => refuseWith(approveError(plan, state, a) ?? signed('approve', a)) },
  );

  setHandler(incidentChangedSignal, (c: IncidentChange) => {
    const inc = state.incidents.find((i) => i.id === c.id);
    if (!inc) return;
    // A resolution is final here, with its resolver as holder, even if an older report arrives after it.
    if (inc.state !== 'resolved') {
      inc.state = c.state;
      inc.holder = c.holder;
      inc.nextDeadlineAt = c.nextDeadlineAt;
    }
    inc.pages = c.pages;
    if (c.documentPath) inc.documentPath = c.documentPath;
    for (const u of c.undelivered ?? []) {
      if (!state.notifications.undelivered.some((x) => x.eventId === u.eventId && x.sink === u.sink)) state.notifications.undelivered.push(u);
    }
    changed();
  });

  function view(inc: WatchState['incidents'][number]): IncidentView {
    return { id: inc.id, seq: inc.seq, state: inc.state, holder: inc.holder };
  }

  setHandler(continueAsNewSignal, () => {
    continueAsNewRequested = true;
    changed();
  });

  function refuse(via: 'update' | 'signal', what: string, reason: string) {
    const hour = round1(hourNow());
    state.refused.push({ at: Date.now(), hour, via, what, reason });
    if (state.refused.length > REFUSED_MAX) state.refused.splice(0, state.refused.length - REFUSED_MAX);
    audit(state, Date.now(), hour, 'refused', `${via} refused: ${reason}`);
    changed();
  }

  function decide(d: Decide, via: 'update' | 'signal') {
    spendNonce(d);
    const now = Date.now();
    const hour = hourNow();
    const effects = applyDecision(plan, state, d, now, hour);
    const { signature, ...decision } = d;
    state.decisions.push({ ...decision, signed: signature !== undefined, at: now, hour: round1(hour), via });
    audit(state, now, hour, 'decision', `checkpoint ${d.checkpoint}: ${d.decision} by ${d.by}${d.note ? ` (${d.note})` : ''}`);
    sendNotification({
      key: `decision:${d.checkpoint}`,
      kind: 'checkpoint-decided',
      severity: 'info',
      title: `Checkpoint ${d.checkpoint}: ${d.decision}`,
      text: `${personLabel(plan, d.by)} decided "${d.decision}" at hour ${round1(hour)}${d.note ? `: ${d.note}` : ''}`,
    });
    for (const e of effects) carryOut(e, d);
    refreshPhase();
    changed();
  }

  function carryOut(e: DecisionEffect, d: Decide) {
    audit(state, Date.now(), hourNow(), e.kind, e.text);
    if (e.kind === 'rollback-lever') requestLever('rollback', d.by, d.note ? `checkpoint ${d.checkpoint}: ${d.note}` : `checkpoint ${d.checkpoint}`, false);
    if (e.kind === 'notify-escalation') {
      sendNotification({
        key: `escalation:${d.checkpoint}`,
        kind: 'checkpoint-escalated',
        severity: 'error',
        title: `Escalated at checkpoint ${d.checkpoint}`,
        text: e.text,
        to: [e.to!],
      });
    }
  }

  // ---- notifications --------------------------------------------------------------------

  function sendNotification(n: Omit<Notification, 'eventId' | 'watchId' | 'at'> & { key: string }) {
    const { key, ...rest } = n;
    const notification: Notification = { ...rest, eventId: `${state.watchId}:${key}`, watchId: state.watchId, at: new Date().toISOString() };
    track(
      notify({ notification, sinks: plan.notify.sinks }).then(
        (res) => {
          if (res.delivered.length > 0) state.notifications.sent++;
          for (const f of res.failed) state.notifications.undelivered.push({ eventId: notification.eventId, sink: f.sink, error: f.error });
          // A sink whose URL or key is missing on the worker is reported once, not per notification.
          for (const sink of res.unconfigured) {
            if (!state.notifications.undelivered.some((u) => u.sink === sink && u.eventId === 'unconfigured')) {
              state.notifications.undelivered.push({ eventId: 'unconfigured', sink, error: 'not configured on the worker (its environment variable is unset)' });
            }
          }
        },
        (err: unknown) => {
          state.notifications.undelivered.push({ eventId: notification.eventId, sink: 'all', error: String((err as Error)?.message ?? err) });
        },
      ),
    );
  }

  // ---- tier runs ------------------------------------------------------------------------

  async function runSlot(hour: number) {
    const tiers = tiersDueAt(plan, hour, state.schedule);
    const late = Date.now() - dueAt(hour) > hourMs / 10;
    if (tiers.length > 0) {
      setDetails(`running ${tiers.join(' + ')} checks, hour ${hourLabel(hour, state.schedule)}`);
      const results = await Promise.all(checksOf(plan, tiers).map((id) => runOneCheck(id, hour, tiers)));
      // All results of a run are recorded in one go and their incidents start together: fewer
      // promises per run, which is most of a watch task's CPU. Watches that recorded one result after
      // another's incident had started replay that way.
      if (patched('check-results-at-once')) {
        const opening = results.flatMap(afterCheck);
        if (opening.length) await Promise.all(opening);
      } else {
        for (const r of results) await Promise.all(afterCheck(r));
      }
      // Watches started before automatic levers existed must replay as they ran.
      if (patched('automatic-levers')) {
        for (const auto of automaticLevers(plan, state)) requestLever(auto.lever, 'release-watch', `automatic: ${auto.because}`, true);
      }
      for (const tier of tiers) {
        const outcome = recordTierRun(state, plan, tier, hour, results, late);
        audit(state, Date.now(), hour, 'tier', `${tier} run ${hourLabel(hour, state.schedule)}: ${outcome}`);
      }
      if (tiers.some((t) => plan.tiers[t].report)) await writeDailyReport(hour);
    }
    for (const cp of state.checkpoints.filter((c) => c.state === 'upcoming' && c.hour === hour)) {
      openCheckpoint(plan, state, cp, Date.now(), hourMs);
      const unmet = cp.criteria!.filter((c) => !c.met);
      audit(state, Date.now(), hour, 'checkpoint', `${cp.title} open; ${unmet.length ? `unmet: ${unmet.map((c) => c.name).join(', ')}` : 'all criteria met'}`);
      const deciders = plan.checkpoints.find((c) => c.name === (cp.basedOn ?? cp.name))!.deciders;
      sendNotification({
        key: `checkpoint:${cp.name}`,
        kind: 'checkpoint-open',
        severity: 'warning',
        title: `${cp.title}: decision needed`,
        text: cp.criteria!.map((c) => `${c.met ? '✔' : '✘'} ${c.name} — ${c.detail}`).join('\n'),
        command: `release-watch decide ${state.watchId} --checkpoint ${cp.name} --decision <${plan.checkpoints.find((c) => c.name === (cp.basedOn ?? cp.name))!.decisions.join('|')}> --by <person>`,
        to: deciders,
      });
    }
    refreshPhase();
  }

  function runOneCheck(checkId: string, hour: number, tiers: string[]): Promise<CheckResult> {
    const check = plan.checks[checkId];
    const timeoutMs = check.probe.kind === 'log' ? 60_000 : parseDuration(check.probe.timeout);
    // The probes heartbeat while they run: a probe lost with a crashed worker is retried after
    // PROBE_HEARTBEAT_MS, not after its whole start-to-close timeout (up to 2.5 min, three times),
    // while the next slot waits. Watches started before this change replay without it.
    const heartbeat = patched('probe-heartbeat-timeout') ? { heartbeatTimeout: PROBE_HEARTBEAT_MS } : {};
    const { runCheck } = proxyActivities<typeof activities>({
      startToCloseTimeout: timeoutMs + 30_000,
      ...heartbeat,
      retry: { initialInterval: '1s', maximumAttempts: 3 },
      summary: `${tiers.join('+')} check ${hourLabel(hour, state.schedule)}: ${checkId}`,
    });
    const triggers = [...plan.escalation.immediate, ...plan.escalation.scheduled]
      .filter((t) => t.check === checkId && t.when)
      .map((t) => ({ name: t.name, when: t.when! }));
    return runCheck({
      watchId: state.watchId,
      checkId,
      hour,
      check,
      vars: plan.vars,
      release: state.release,
      triggers,
      logCursor: state.logCursors[checkId],
      logFromEnd: check.probe.kind === 'log' && !state.logCursors[checkId],
    }).catch((err: unknown): CheckResult => {
      // Our own infrastructure failed past its retries: the check failed, the watch goes on.
      const reason = `probe could not run: ${String((err as Error)?.cause ?? (err as Error)?.message ?? err)}`.slice(0, 500);
      return { checkId, hour, outcome: 'fail', reason, conditions: [], durationMs: 0, triggers: [], evidence: reason, startedAt: new Date().toISOString() };
    });
  }

  /** Records a result; returns the incidents it opens, starting. */
  function afterCheck(r: CheckResult): Promise<void>[] {
    const t = recordCheck(state, plan, r);
    const opening: Promise<void>[] = [];
    if (t.becameFailing) opening.push(openIncident(r));
    if (t.recovered) tellIncident(r.checkId, true, r.reason);
    for (const name of r.triggers) {
      const trigger = plan.escalation.immediate.find((x) => x.name === name);
      if (trigger && !leverPulled(state, trigger.unlessLever)) opening.push(openIncident(r, trigger.name, trigger.description));
    }
    return opening;
  }

  function unresolvedIncident(check: string, trigger?: string) {
    return state.incidents.find((i) => i.check === check && i.trigger === trigger && i.state !== 'resolved');
  }

  function tellIncident(check: string, healthy: boolean, reason: string) {
    const inc = unresolvedIncident(check);
    if (!inc) return;
    if (healthy && inc.state !== 'recovered') {
      inc.state = 'recovered';
      audit(state, Date.now(), hourNow(), 'incident', `incident ${inc.seq} recovered: ${check} healthy again`);
    }
    track(getExternalWorkflowHandle(inc.id).signal(incidentCheckSignal, { healthy, reason }).catch(() => undefined));
  }

  /** One incident per check (or trigger) and failure episode: a relapse before resolution pages the same one again. */
  async function openIncident(r: CheckResult, trigger?: string, triggerText?: string) {
    const existing = unresolvedIncident(r.checkId, trigger);
    if (existing) {
      if (existing.state === 'recovered') {
        existing.state = 'open';
        tellIncident(r.checkId, false, r.reason);
      }
      return;
    }
    const spec = plan.checks[r.checkId];
    const seq = state.incidents.length + 1;
    const severity = trigger ? 'critical' : (r.severity ?? spec.severity);
    const sev = plan.severities[severity] ?? plan.severities[spec.severity];
    const id = `${state.watchId}/incident-${seq}`;
    const openedAt = Date.now();
    const chain = escalationChain(plan, r.hour);
    const ackMs = (parseDuration(sev.ack) / 3_600_000) * hourMs;
    state.incidents.push({
      id,
      seq,
      check: r.checkId,
      severity,
      category: trigger ? 'security' : spec.category,
      state: 'open',
      openedHour: r.hour,
      openedAt,
      reason: triggerText ? `${triggerText}: ${r.reason}` : r.reason,
      holder: trigger ? chain[2] : chain[0],
      trigger,
      nextDeadlineAt: openedAt + ackMs,
    });
    const meaning = trigger ? (triggerText ?? trigger) : sev.meaning;
    audit(state, openedAt, r.hour, 'incident', `${incidentSummary({ seq, severity, meaning })}: ${r.checkId}: ${triggerText ?? r.reason}`);
    const investigations: CheckRequest[] = spec.investigate.map((checkId) => ({
      watchId: state.watchId,
      checkId,
      hour: r.hour,
      check: plan.checks[checkId],
      vars: plan.vars,
      release: state.release,
      triggers: [],
    }));
    // try/await, not .catch(): on the path every recorded history took, the same microtask timing as before.
    try {
      await startChild(incidentWorkflow, {
        workflowId: id,
        args: [
          {
            watchId: state.watchId,
            id,
            seq,
            check: r.checkId,
            checkDescription: spec.description,
            severity,
            meaning,
            category: trigger ? 'security' : spec.category,
            reason: r.reason,
            evidence: r.evidence,
            openedAt,
            openedHour: r.hour,
            hourMs,
            ackMs,
            resolveMs: (parseDuration(sev.resolve) / 3_600_000) * hourMs,
            chain,
            immediate: triggerText,
            pagerSeverity: trigger ? 'critical' : pagerSeverity(plan, severity),
            sinks: plan.notify.sinks,
            reportsDir: plan.notify.reportsDir,
            investigate: spec.investigate,
            investigations,
            roster: { people: plan.people, profile: plan.profile, signedApprovals: plan.signedApprovals },
          },
        ],
        // Incidents outlive a watch run: they survive continue-as-new and an ended watch until a person resolves them.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: incidentSummary({ seq, severity, meaning }, openedAt + ackMs),
        staticDetails: `${spec.description}: ${r.reason}`,
      });
    } catch (err) {
      // Only when a reset (release-watch repair) runs the task that opened it again: the incident is
      // still open, paging as before, and the watch goes on with it.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  async function writeDailyReport(hour: number) {
    const day = watchDay(Math.max(0, hour - 1));
    const findings = scheduledFindings(plan, state, day);
    state.findings.push(...findings);
    if (findings.length && patched('scheduled-escalations')) {
      const to = onCallAt(plan, hour).escalation;
      audit(state, Date.now(), hour, 'escalation', `day ${day}: ${findings.map((f) => f.description).join(', ')} → ${to}`);
      sendNotification({
        key: `scheduled:day-${day}`,
        kind: 'scheduled-escalation',
        severity: 'warning',
        title: `Day ${day} escalations: ${findings.map((f) => f.description).join(', ')}`,
        text: findings.map((f) => `- ${f.description}: ${f.detail}`).join('\n'),
        to: [to],
      });
    }
    try {
      const res = await writeReport({ kind: 'daily', hour, status: watchStatus(plan, state, Date.now(), hourMs, 0), reportsDir: plan.notify.reportsDir });
      state.reports.push({ hour, kind: 'daily', path: res.path });
      audit(state, Date.now(), hour, 'report', `daily report written: ${res.path}`);
    } catch (err) {
      audit(state, Date.now(), hour, 'report', `daily report failed: ${String((err as Error)?.message ?? err)}`);
    }
  }

  // ---- levers ---------------------------------------------------------------------------

  function requestLever(lever: LeverId, by: string, reason: string, automatic: boolean): LeverRequest {
    const spec = plan.levers[lever]!;
    const now = Date.now();
    const needsApproval = !automatic && spec.approval.required;
    const req: LeverRequest = {
      seq: state.levers.length + 1,
      lever,
      by,
      reason,
      automatic,
      requestedAt: now,
      requestedHour: round1(hourNow()),
      state: needsApproval ? 'awaiting-approval' : 'running',
      expiresAt: needsApproval ? now + (parseDuration(spec.approval.within) / 3_600_000) * hourMs : undefined,
    };
    state.levers.push(req);
    audit(state, now, hourNow(), 'lever', `${lever} requested by ${by}${automatic ? ' (automatic)' : ''}: ${reason}`);
    if (needsApproval) {
      sendNotification({
        key: `lever:${req.seq}:requested`,
        kind: 'lever-approval-needed',
        severity: 'critical',
        title: `Approval needed: ${lever} (request ${req.seq})`,
        text: `${personLabel(plan, by)} asks for ${lever}: ${reason}. ${spec.description}. Expires in ${spec.approval.within}.`,
        command: `release-watch approve ${state.watchId} ${req.seq} --by <approver>`,
        to: spec.approval.approvers.filter((p) => p !== by),
      });
    } else startLever(req);
    changed();
    return req;
  }

  function startLever(req: LeverRequest) {
    req.state = 'running';
    track(runLever(req));
    changed();
  }

  async function runLever(req: LeverRequest) {
    const spec = plan.levers[req.lever]!;
    const timeout = spec.steps.reduce((sum, st) => sum + parseDuration(st.timeout), 0) + 30_000;
    // A lever is never pulled twice by a retry: one attempt, and an unknown outcome is recorded as failed.
    const { pullLever } = proxyActivities<typeof activities>({ startToCloseTimeout: timeout, retry: { maximumAttempts: 1 }, summary: `lever ${req.lever} (request ${req.seq})` });
    try {
      const result = await pullLever({ lever: req.lever, steps: spec.steps, vars: plan.vars, release: state.release });
      req.steps = result.steps.map((x) => ({ step: x.step, ok: x.ok, detail: x.detail.slice(0, 300) }));
      req.state = result.ok ? 'done' : 'failed';
    } catch (err) {
      req.steps = [{ step: req.lever, ok: false, detail: `outcome unknown: ${String((err as Error)?.message ?? err)}`.slice(0, 300) }];
      req.state = 'failed';
    }
    if (spec.verify && req.state === 'done') {
      const r = await runOneCheck(spec.verify, hourNow(), [`verify ${req.lever}`]);
      req.verify = { check: spec.verify, outcome: r.outcome, reason: r.reason };
    }
    req.finishedHour = round1(hourNow());
    const summary = `${req.lever} (request ${req.seq}) ${req.state}${req.verify ? `; verify ${req.verify.check}: ${req.verify.outcome}` : ''}`;
    audit(state, Date.now(), hourNow(), 'lever', summary);
    sendNotification({
      key: `lever:${req.seq}:${req.state}`,
      kind: 'lever-pulled',
      severity: req.state === 'done' ? 'warning' : 'error',
      title: `Lever ${summary}`,
      text: (req.steps ?? []).map((x) => `${x.ok ? '✔' : '✘'} ${x.step}: ${x.detail}`).join('\n'),
    });
    if (req.lever === 'rollback' && req.state === 'done') state.phase = 'rolled-back';
    changed();
  }

  function expireLeverRequests(now: number) {
    for (const req of state.levers) {
      if (req.state !== 'awaiting-approval' || req.expiresAt === undefined || req.expiresAt > now) continue;
      req.state = 'expired';
      audit(state, now, hourNow(), 'lever', `${req.lever} (request ${req.seq}) expired unapproved`);
      sendNotification({ key: `lever:${req.seq}:expired`, kind: 'lever-expired', severity: 'warning', title: `Lever request ${req.seq} (${req.lever}) expired`, text: `Nobody approved it within ${plan.levers[req.lever]!.approval.within}.` });
    }
  }

  // ---- deadlines ------------------------------------------------------------------------

  function escalateDueCheckpoints(now: number) {
    for (const cp of pendingCheckpoints(state)) {
      if (cp.deadlineAt === undefined || cp.deadlineAt > now) continue;
      const step = deadlineMs(plan, cp, hourMs);
      // Reminders that all came due while no worker or server was up go out as one, numbered by the
      // latest, instead of one per workflow task (thousands, for a watch left for days). Watches that
      // reminded before this change replay one at a time.
      const { count, next } = patched('checkpoint-reminders-folded') ? overdueDeadlines(cp.deadlineAt, now, step) : { count: 1, next: cp.deadlineAt + step };
      if (count > 1) (cp.folded ??= []).push(...Array.from({ length: count - 1 }, (_, k) => cp.escalations + 1 + k));
      cp.escalations += count;
      cp.deadlineAt = next;
      const to = onCallAt(plan, hourNow()).escalation;
      const missed = count > 1 ? ` ${count - 1} earlier reminder(s) came due while release-watch was down.` : '';
      audit(state, now, hourNow(), 'checkpoint-escalation', `${cp.title} unanswered; escalation ${cp.escalations} to ${to}${missed ? ` (${count - 1} folded in)` : ''}`);
      sendNotification({
        key: `checkpoint:${cp.name}:escalation:${cp.escalations}`,
        kind: 'checkpoint-unanswered',
        severity: 'error',
        title: `${cp.title} unanswered (reminder ${cp.escalations})`,
        text: `Checkpoint ${cp.name} opened at hour ${cp.hour} is still waiting for a decision.${missed}`,
        command: `release-watch decide ${state.watchId} --checkpoint ${cp.name} --decision <decision> --by <person>`,
        to: [to],
      });
    }
  }

  function nextDeadline(): number | undefined {
    const due = [...pendingCheckpoints(state).map((c) => c.deadlineAt), ...state.levers.filter((r) => r.state === 'awaiting-approval').map((r) => r.expiresAt)].filter(
      (x): x is number => x !== undefined,
    );
    return due.length ? Math.min(...due) : undefined;
  }

  // ---- phase, details, search attributes --------------------------------------------------

  function refreshPhase() {
    if (isEnded(state)) return;
    state.phase = pendingCheckpoints(state).length > 0 ? 'awaiting-decision' : 'watching';
  }

  let lastAttributes = '';
  function publish() {
    const attrs = { phase: state.phase, health: health(state), open: openIncidents(state) };
    const key = JSON.stringify(attrs);
    if (key !== lastAttributes) {
      lastAttributes = key;
      upsertSearchAttributes([
        { key: SA.phase, value: attrs.phase },
        { key: SA.health, value: attrs.health },
        { key: SA.openIncidents, value: attrs.open },
      ]);
    }
  }

  function setDetails(doing: string) {
    const pending = pendingCheckpoints(state).map((c) => c.name);
    setCurrentDetails(
      [
        `**${state.release.service} ${state.release.version}** · hour ${hourLabel(round1(hourNow()), state.schedule)} · ${state.phase} · ${health(state)}`,
        doing,
        pending.length ? `waiting for decision: ${pending.join(', ')}` : '',
        openIncidents(state) ? `open incidents: ${openIncidents(state)}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  }

  function checkpointHours(): number[] {
    return state.checkpoints.filter((c) => c.state === 'upcoming').map((c) => c.hour);
  }

  function wantsContinueAsNew(): boolean {
    if (continueAsNewRequested || workflowInfo().continueAsNewSuggested) return true;
    const every = input.continueAsNewAfterHours;
    return every !== undefined && state.nextHour - firstHourOfRun >= every;
  }

  // ---- main loop --------------------------------------------------------------------------

  refreshPhase();
  if (!input.state) {
    audit(state, Date.now(), 0, 'start', `watch of ${state.release.service} ${state.release.version} started by ${input.startedBy}`);
    sendNotification({
      key: 'start',
      kind: 'watch-started',
      severity: 'info',
      title: `Watch started: ${state.release.service} ${state.release.version}`,
      text: `${plan.name}: ${state.schedule.endHour} watch hours, on call now ${personLabel(plan, onCallAt(plan, 0).primary)}`,
    });
  }

  const alarm = new Alarm();
  while (!isEnded(state)) {
    const now = Date.now();
    escalateDueCheckpoints(now);
    expireLeverRequests(now);
    let wakeAt = nextDeadline();
    let waitingFor = 'a decision';
    if ((independentRuns ? runsInFlight : inflight) === 0) {
      const slot = nextSlot(plan, state.nextHour, state.schedule, checkpointHours());
      if (slot === undefined && pendingCheckpoints(state).length === 0 && hourNow() >= state.schedule.endHour) {
        state.phase = 'completed';
        break;
      }
      if (slot !== undefined && dueAt(slot) <= now) {
        state.nextHour = slot + 1;
        runsInFlight++;
        track(runSlot(slot).finally(() => runsInFlight--));
        publish();
        continue;
      }
      if (wantsContinueAsNew() && inflight === 0) {
        await condition(allHandlersFinished);
        if (inflight === 0) {
          await continueAsNew<typeof watchWorkflow>({ ...input, state });
        }
      }
      const nextAt = slot !== undefined ? dueAt(slot) : pendingCheckpoints(state).length === 0 ? dueAt(state.schedule.endHour) : undefined;
      if (nextAt !== undefined && (wakeAt === undefined || nextAt < wakeAt)) {
        wakeAt = nextAt;
        waitingFor = slot === undefined ? 'the end of the watch' : `${tiersDueAt(plan, slot, state.schedule).join(' + ') || 'checkpoint'} ${hourLabel(slot, state.schedule)}`;
      }
    }
    publish();
    setDetails(runsInFlight > 0 ? 'checks running' : `next: ${waitingFor}`);
    const seen = version;
    alarm.arm(wakeAt, `until ${waitingFor}`);
    await condition(() => version !== seen || alarm.rang);
  }

  // Let the runs, notifications and handlers in flight finish before the watch closes.
  await condition(() => inflight === 0 && allHandlersFinished());
  state.endedAt = Date.now();
  audit(state, Date.now(), hourNow(), 'end', `watch ended: ${state.phase}`);
  try {
    const res = await writeReport({ kind: 'final', hour: round1(hourNow()), status: watchStatus(plan, state, Date.now(), hourMs, 0), reportsDir: plan.notify.reportsDir });
    state.reports.push({ hour: round1(hourNow()), kind: 'final', path: res.path });
  } catch {
    // the history still holds everything the report would have said
  }
  // An update accepted while the final report was written still finishes before the watch closes.
  await condition(() => inflight === 0 && allHandlersFinished());
  publish();
  setDetails(`ended: ${state.phase}`);
  return { watchId: state.watchId, phase: state.phase, hour: round1(hourNow()), generation: state.generation, incidents: state.incidents.length };
}

function pagerSeverity(plan: Plan, severity: string): Notification['severity'] {
  return plan.severities[severity]?.pagerduty ?? 'warning';
}
