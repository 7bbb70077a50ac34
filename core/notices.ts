// What the watch and its incidents tell people: every notification's words, built from the state by
// pure functions, one per kind. The workflows decide when; these decide what is said.
import type { Decide, Notification } from './messages';
import type { Finding, CheckpointState, WatchState } from './state';
import type { LeverRequest } from './levers';
import { viaText, type IncidentInput, type IncidentRecord } from './incidents';
import type { Plan } from '../plan/schema';
import { checkpointSpec } from './state';
import { formatHours, formatWatchMs, round1 } from './hours';
import { personLabel } from './rotation';

export type NoticeKind =
  | 'watch-started'
  | 'checkpoint-open'
  | 'checkpoint-decided'
  | 'checkpoint-escalated'
  | 'checkpoint-unanswered'
  | 'scheduled-escalation'
  | 'lever-approval-needed'
  | 'lever-pulled'
  | 'lever-expired'
  | 'incident-page'
  | 'incident-ack'
  | 'incident-recovered'
  | 'incident-resolve';

/** A notification before it is addressed: `key` is unique per event within its workflow. */
export interface Notice {
  key: string;
  kind: NoticeKind;
  severity: Notification['severity'];
  title: string;
  text: string;
  command?: string;
  to?: string[];
  incident?: Notification['incident'];
}

/** The notification of a notice sent by workflow `sender` (a watch or an incident) for `watchId`. */
export function addressed(
  notice: Notice,
  sender: string,
  watchId: string,
  at: number,
  people: Record<string, { slack?: string }> = {},
): Notification {
  const { key, ...rest } = notice;
  // Chat mentions need the chat's own user IDs: those of the people addressed travel with the notification.
  const slack = (notice.to ?? []).flatMap((p) => (Object.hasOwn(people, p) && people[p].slack ? [[p, people[p].slack!] as const] : []));
  return {
    ...rest,
    eventId: `${sender}:${key}`,
    watchId,
    at: new Date(at).toISOString(),
    ...(slack.length ? { slackIds: Object.fromEntries(slack) } : {}),
  };
}

// ---- the watch --------------------------------------------------------------------------------

export function watchStarted(plan: Plan, state: WatchState, onCallNow: string): Notice {
  return {
    key: 'start',
    kind: 'watch-started',
    severity: 'info',
    title: `Watch started: ${state.release.service} ${state.release.version}`,
    text: `${plan.name}: ${state.schedule.endHour} watch hours, on call now ${personLabel(plan, onCallNow)}`,
  };
}

export function checkpointOpen(plan: Plan, state: WatchState, cp: CheckpointState): Notice {
  const spec = checkpointSpec(plan, cp);
  return {
    key: `checkpoint:${cp.name}`,
    kind: 'checkpoint-open',
    severity: 'warning',
    title: `${cp.title}: decision needed`,
    text: (cp.criteria ?? []).map((c) => `${c.met ? '✔' : '✘'} ${c.name} — ${c.detail}`).join('\n'),
    command: `release-watch decide ${state.watchId} --checkpoint ${cp.name} --decision <${spec.decisions.join('|')}> --by <person>`,
    to: spec.deciders,
  };
}

export function checkpointDecided(plan: Plan, d: Decide, hour: number): Notice {
  return {
    key: `decision:${d.checkpoint}`,
    kind: 'checkpoint-decided',
    severity: 'info',
    title: `Checkpoint ${d.checkpoint}: ${d.decision}`,
    text: `${personLabel(plan, d.by)} decided "${d.decision}" at hour ${round1(hour)}${d.note ? `: ${d.note}` : ''}`,
  };
}

export function checkpointEscalated(checkpoint: string, text: string, to: string): Notice {
  return {
    key: `escalation:${checkpoint}`,
    kind: 'checkpoint-escalated',
    severity: 'error',
    title: `Escalated at checkpoint ${checkpoint}`,
    text,
    to: [to],
  };
}

/** A reminder of an unanswered checkpoint; `folded` reminders came due while release-watch was down. */
export function checkpointUnanswered(state: WatchState, cp: CheckpointState, to: string, folded: number): Notice {
  const missed = folded > 0 ? ` ${folded} earlier reminder(s) came due while release-watch was down.` : '';
  return {
    key: `checkpoint:${cp.name}:escalation:${cp.escalations}`,
    kind: 'checkpoint-unanswered',
    severity: 'error',
    title: `${cp.title} unanswered (reminder ${cp.escalations})`,
    text: `Checkpoint ${cp.name} opened at hour ${cp.hour} is still waiting for a decision.${missed}`,
    command: `release-watch decide ${state.watchId} --checkpoint ${cp.name} --decision <decision> --by <person>`,
    to: [to],
  };
}

export function scheduledEscalation(day: number, findings: Finding[], to: string): Notice {
  return {
    key: `scheduled:day-${day}`,
    kind: 'scheduled-escalation',
    severity: 'warning',
    title: `Day ${day} escalations: ${findings.map((f) => f.description).join(', ')}`,
    text: findings.map((f) => `- ${f.description}: ${f.detail}`).join('\n'),
    to: [to],
  };
}

export function leverApprovalNeeded(plan: Plan, state: WatchState, req: LeverRequest): Notice {
  const spec = plan.levers[req.lever]!;
  return {
    key: `lever:${req.seq}:requested`,
    kind: 'lever-approval-needed',
    severity: 'critical',
    title: `Approval needed: ${req.lever} (request ${req.seq})`,
    text: `${personLabel(plan, req.by)} asks for ${req.lever}: ${req.reason}. ${spec.description}. Expires in ${spec.approval.within}.`,
    command: `release-watch approve ${state.watchId} ${req.seq} --by <approver>`,
    to: spec.approval.approvers.filter((p) => p !== req.by),
  };
}

/** "rollback (request 2) done; verify fast-pulse: ok" */
export function leverSummary(req: LeverRequest): string {
  return `${req.lever} (request ${req.seq}) ${req.state}${req.verify ? `; verify ${req.verify.check}: ${req.verify.outcome}` : ''}`;
}

export function leverPulled(req: LeverRequest): Notice {
  return {
    key: `lever:${req.seq}:${req.state}`,
    kind: 'lever-pulled',
    severity: req.state === 'done' ? 'warning' : 'error',
    title: `Lever ${leverSummary(req)}`,
    text: (req.steps ?? []).map((x) => `${x.ok ? '✔' : '✘'} ${x.step}: ${x.detail}`).join('\n'),
  };
}

export function leverExpired(plan: Plan, req: LeverRequest): Notice {
  return {
    key: `lever:${req.seq}:expired`,
    kind: 'lever-expired',
    severity: 'warning',
    title: `Lever request ${req.seq} (${req.lever}) expired`,
    text: `Nobody approved it within ${plan.levers[req.lever]?.approval.within ?? 'its approval time'}.`,
  };
}

// ---- incidents ---------------------------------------------------------------------------------

type IncidentFacts = Pick<
  IncidentInput,
  'id' | 'watchId' | 'seq' | 'check' | 'checkDescription' | 'reason' | 'severity' | 'meaning' | 'pagerSeverity'
>;

/** "incident 3 · critical · services down" */
export function incidentTitle(input: Pick<IncidentInput, 'seq' | 'severity' | 'meaning'>): string {
  return `incident ${input.seq} · ${input.severity} · ${input.meaning.toLowerCase()}`;
}

function answerCommand(input: IncidentFacts): string {
  return `release-watch ack ${input.watchId} ${input.seq} --by <you>`;
}

/** The `pages`-th page of the incident (1 is the first, which opens it at PagerDuty). */
export function incidentPage(input: IncidentFacts, pages: number, to: string, why: string): Notice {
  return {
    key: `page:${pages}`,
    kind: 'incident-page',
    severity: input.pagerSeverity,
    title: `${incidentTitle(input)}: ${why}`,
    text: `${input.checkDescription}: ${input.reason}`,
    command: answerCommand(input),
    to: [to],
    ...(pages === 1 ? { incident: { id: input.id, action: 'trigger' as const } } : {}),
  };
}

/**
 * An acknowledgement. The first after a page is `ack:<pages>`; one of an incident already acknowledged
 * (someone taking it over before the next page) needs a key of its own, or every sink would drop it as a
 * duplicate of the first.
 */
export function incidentAcknowledged(
  input: IncidentFacts,
  rec: Pick<IncidentRecord, 'pages'>,
  by: string,
  takeover: number | undefined,
  via?: string,
): Notice {
  return {
    key: takeover === undefined ? `ack:${rec.pages.length}` : `ack:${rec.pages.length}:takeover-${takeover}`,
    kind: 'incident-ack',
    severity: 'info',
    title: `Incident ${input.seq} acknowledged by ${by}${viaText(via)}`,
    text: `Resolve it within the ${input.severity} resolution time.`,
    command: answerCommand(input),
    to: [by],
    incident: { id: input.id, action: 'acknowledge', ...(via ? { via } : {}) },
  };
}

export function incidentRecovered(input: IncidentFacts, rec: Pick<IncidentRecord, 'pages' | 'holder'>): Notice {
  return {
    key: `recovered:${rec.pages.length}`,
    kind: 'incident-recovered',
    severity: 'info',
    title: `Incident ${input.seq} recovered`,
    text: `${input.check} is healthy again; resolve it with the write-up.`,
    command: answerCommand(input),
    to: [rec.holder],
  };
}

export function incidentResolved(
  input: IncidentFacts,
  rec: Pick<IncidentRecord, 'resolvedBy' | 'resolvedVia' | 'rootCause' | 'resolution' | 'holder'>,
): Notice {
  return {
    key: 'resolve',
    kind: 'incident-resolve',
    severity: 'info',
    title: `Incident ${input.seq} resolved by ${rec.resolvedBy}${viaText(rec.resolvedVia)}`,
    text: `Root cause: ${rec.rootCause}\nResolution: ${rec.resolution}`,
    to: [rec.holder],
    incident: { id: input.id, action: 'resolve', ...(rec.resolvedVia ? { via: rec.resolvedVia } : {}) },
  };
}

/** Why a page goes out when a deadline passes. */
export const pageReasons = {
  opened: (immediate?: string) => (immediate ? `immediate escalation: ${immediate}` : 'opened'),
  notAcknowledged: (ackMs: number, hourMs: number, step: number) =>
    `not acknowledged within ${formatWatchMs(ackMs, hourMs)} (escalation ${step})`,
  chainExhausted: () => 'still not acknowledged; escalation chain exhausted',
  notResolved: (by: string | undefined, resolveMs: number, hourMs: number) =>
    `acknowledged by ${by} but not resolved within ${formatWatchMs(resolveMs, hourMs)}: back to the escalation chain`,
  failingAgain: (reason: string) => `failing again: ${reason}`,
};

export { formatHours };
