// Incidents: who is paged when, what an acknowledgement or resolution must carry, and the write-up.
import type { Plan } from '../plan/schema';
import type { Signature } from './signatures';

export const TEXT_MAX = 4_000;

export interface Ack {
  incident: string;
  by: string;
  /** Where it came from (slack, pagerduty); the CLI and the console leave it out. */
  via?: string;
  signature?: Signature;
}

export interface Resolve {
  incident: string;
  by: string;
  rootCause: string;
  resolution: string;
  followUp?: string;
  via?: string;
  signature?: Signature;
}

export interface Page {
  step: number;
  to: string;
  at: number;
  why: string;
}

/** Everything the incident workflow needs, fixed when the incident opens. */
export interface IncidentInput {
  watchId: string;
  id: string;
  seq: number;
  check: string;
  checkDescription: string;
  severity: string;
  meaning: string;
  category: string;
  reason: string;
  evidence: string;
  openedAt: number;
  openedHour: number;
  hourMs: number;
  ackMs: number;
  resolveMs: number;
  /** Paging order: primary, backup, escalation, repeated the plan's loops. */
  chain: string[];
  /** An immediate-escalation trigger: the escalation contact is paged at once. */
  immediate?: string;
  pagerSeverity: 'critical' | 'error' | 'warning' | 'info';
  sinks: Plan['notify']['sinks'];
  reportsDir: string;
  /** The plan's vars: sink paths and the reports folder may use them. */
  vars: Plan['vars'];
  investigate: string[];
  /** Who may answer the incident, and whether they must sign. */
  roster: Roster;
  /** Carried across continue-as-new of the incident. */
  state?: IncidentRecord;
}

export type Roster = Pick<Plan, 'people' | 'profile' | 'signedApprovals' | 'relays'>;

export interface IncidentRecord {
  state: 'open' | 'acknowledged' | 'recovered' | 'resolved';
  holder: string;
  step: number;
  pages: Page[];
  nextDeadlineAt?: number;
  deadlineKind?: 'ack' | 'resolve';
  ackedAt?: number;
  ackedBy?: string;
  /** Where the last acknowledgement came from, when not the CLI or console (slack, pagerduty). */
  ackedVia?: string;
  recoveredAt?: number;
  resolvedAt?: number;
  resolvedBy?: string;
  resolvedVia?: string;
  rootCause?: string;
  resolution?: string;
  followUp?: string;
  investigation: Array<{ check: string; outcome: string; reason: string; evidence: string }>;
  documentPath?: string;
  /** Nonces of signed answers taken directly (after the watch ended). */
  nonces?: string[];
  /** Acknowledgements of an incident already acknowledged (someone taking it over): each is its own notification. */
  takeovers?: number;
  /** Deadlines that passed while nothing could page, beyond the one pass through the chain made on return. */
  skipped?: Skipped[];
  /** Notifications delivered to at least one sink. */
  sent?: number;
}

/**
 * What an incident reports to its watch after every change: the watch's view of the incident is made of
 * these, in order (each report waits for the one before).
 */
export interface IncidentChange {
  id: string;
  state: IncidentRecord['state'];
  holder: string;
  nextDeadlineAt?: number;
  ackedAt?: number;
  ackedBy?: string;
  resolvedAt?: number;
  resolvedBy?: string;
  rootCause?: string;
  documentPath?: string;
  pages: number;
  /** Notifications of the incident delivered to at least one sink so far. */
  sent: number;
  /** Every notification of the incident that could not be delivered so far. */
  undelivered?: Array<{ eventId: string; sink: string; error: string }>;
}

/** A run of acknowledgement deadlines not paged one by one: `count` of them from `from`, every ackMs. */
export interface Skipped {
  from: number;
  count: number;
  /** When the incident found them (workflow time). */
  at: number;
}

function textError(field: string, v: unknown, required: boolean): string | undefined {
  if (v === undefined || v === null) return required ? `${field} is required` : undefined;
  if (typeof v !== 'string') return `${field} must be text`;
  if (required && !v.trim()) return `${field} is required`;
  if (v.length > TEXT_MAX) return `${field} is too long (${v.length} characters, at most ${TEXT_MAX})`;
  return undefined;
}

/** Why an acknowledgement or resolution cannot be taken, or undefined: checked against the roster the incident was opened with. */
export function answerError(input: IncidentInput, rec: IncidentRecord, kind: 'ack' | 'resolve', a: Ack | Resolve): string | undefined {
  if (!a || typeof a !== 'object')
    return kind === 'ack' ? 'an acknowledgement needs incident and by' : 'a resolution needs incident, by, root cause and resolution';
  const r = a as Resolve;
  const bad =
    textError('incident', a.incident, true) ??
    textError('by', a.by, true) ??
    (kind === 'resolve'
      ? (textError('root cause', r.rootCause, true) ??
        textError('resolution', r.resolution, true) ??
        textError('follow-up', r.followUp, false))
      : undefined);
  if (bad) return bad;
  const ref = String(a.incident).trim();
  if (ref !== input.id && ref !== String(input.seq) && ref !== `incident-${input.seq}`)
    return `this is incident ${input.seq}, not "${a.incident}"`;
  if (rec.state === 'resolved') return `incident ${input.seq} is already resolved`;
  if (!Object.hasOwn(input.roster.people, a.by)) return `${a.by} is not on the plan's roster`;
  if (kind === 'ack' && rec.state === 'acknowledged' && rec.holder === a.by)
    return `incident ${input.seq} is already acknowledged by ${a.by}`;
  return undefined;
}

/** " via Slack" for an answer that came through a chat or pager, else nothing. */
export function viaText(via: string | undefined): string {
  return via === undefined ? '' : ` via ${via === 'pagerduty' ? 'PagerDuty' : via === 'slack' ? 'Slack' : via}`;
}

/** The next person to page after `step`, or undefined when the chain is exhausted. */
export function nextInChain(chain: string[], step: number): { step: number; to: string } | undefined {
  return step + 1 < chain.length ? { step: step + 1, to: chain[step + 1] } : undefined;
}

function hourOf(input: IncidentInput, at?: number): string {
  return at === undefined ? '–' : `hour ${((at - input.openedAt) / input.hourMs + input.openedHour).toFixed(1)}`;
}

/** A moment of the incident, to the minute; to the second under a compressed clock, where minutes hold several watch hours. */
function utc(at: number | undefined, hourMs: number): string {
  return at === undefined
    ? '–'
    : `${new Date(at)
        .toISOString()
        .slice(0, hourMs < 3_600_000 ? 19 : 16)
        .replace('T', ' ')} UTC`;
}

/** The incident document, in the sections of the protocol's template. */
export function renderIncidentDoc(input: IncidentInput, rec: IncidentRecord): string {
  const lines = [
    `## Incident: ${input.checkDescription} — ${input.reason}`,
    `**Time:** ${utc(input.openedAt, input.hourMs)} (watch ${hourOf(input, input.openedAt)})`,
    `**Severity:** ${cap(input.severity)} (${input.meaning})`,
    `**Duration:** ${utc(input.openedAt, input.hourMs)} - ${utc(rec.resolvedAt ?? rec.recoveredAt, input.hourMs)}`,
    `**Root Cause:** ${rec.rootCause ?? '–'}`,
    `**Resolution:** ${rec.resolution ?? '–'}`,
    `**Follow-up:** ${rec.followUp || '–'}`,
    '',
    '### Symptoms',
    `- ${input.check}: ${input.reason}`,
    ...(input.immediate ? [`- Immediate escalation: ${input.immediate}`] : []),
    '',
    '```',
    input.evidence || '(no evidence captured)',
    '```',
    '',
    '### Investigation',
    ...(rec.investigation.length
      ? rec.investigation.flatMap((i) => [
          `- \`${i.check}\`: ${i.outcome} — ${i.reason}`,
          ...(i.evidence ? ['', '```', i.evidence, '```', ''] : []),
        ])
      : ['- (no investigation probes in the plan)']),
    '',
    '### Timeline',
    `- ${utc(input.openedAt, input.hourMs)}: opened (${input.id})`,
    ...rec.pages.map((p) => `- ${utc(p.at, input.hourMs)}: paged ${p.to} (${p.why})`),
    ...(rec.skipped ?? []).map(
      (k) =>
        `- ${utc(k.at, input.hourMs)}: ${k.count} more acknowledgement deadline(s) from ${utc(k.from, input.hourMs)} passed while release-watch was down; the whole chain had been paged, so they were not paged one by one`,
    ),
    ...(rec.ackedAt ? [`- ${utc(rec.ackedAt, input.hourMs)}: acknowledged by ${rec.ackedBy}${viaText(rec.ackedVia)}`] : []),
    ...(rec.recoveredAt ? [`- ${utc(rec.recoveredAt, input.hourMs)}: check recovered`] : []),
    ...(rec.resolvedAt ? [`- ${utc(rec.resolvedAt, input.hourMs)}: resolved by ${rec.resolvedBy}${viaText(rec.resolvedVia)}`] : []),
    '',
  ];
  return lines.join('\n');
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
