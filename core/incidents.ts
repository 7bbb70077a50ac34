// Incidents: who is paged when, what an acknowledgement or resolution must carry, and the write-up.
import type { Plan } from '../plan/schema';
import type { Signature } from './signatures';
import type { IncidentState, WatchState } from './state';

export const TEXT_MAX = 4_000;

export interface Ack {
  incident: string;
  by: string;
  signature?: Signature;
}

export interface Resolve {
  incident: string;
  by: string;
  rootCause: string;
  resolution: string;
  followUp?: string;
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
  investigate: string[];
  /** Who may answer the incident directly once its watch has ended, and whether they must sign. */
  roster?: Roster;
  /** Carried across continue-as-new of the incident. */
  state?: IncidentRecord;
}

export type Roster = Pick<Plan, 'people' | 'profile' | 'signedApprovals'>;

export interface IncidentRecord {
  state: IncidentState['state'];
  holder: string;
  step: number;
  pages: Page[];
  nextDeadlineAt?: number;
  deadlineKind?: 'ack' | 'resolve';
  ackedAt?: number;
  ackedBy?: string;
  recoveredAt?: number;
  resolvedAt?: number;
  resolvedBy?: string;
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
}

/** A run of acknowledgement deadlines not paged one by one: `count` of them from `from`, every ackMs. */
export interface Skipped {
  from: number;
  count: number;
  /** When the incident found them (workflow time). */
  at: number;
}


export function findIncident(state: WatchState, ref: string): IncidentState | undefined {
  const key = String(ref).trim();
  return state.incidents.find((i) => i.id === key || String(i.seq) === key || `incident-${i.seq}` === key);
}

function incidentList(state: WatchState): string {
  return state.incidents.length ? state.incidents.map((i) => i.seq).join(', ') : 'none yet';
}

function textError(field: string, v: unknown, required: boolean): string | undefined {
  if (v === undefined || v === null) return required ? `${field} is required` : undefined;
  if (typeof v !== 'string') return `${field} must be text`;
  if (required && !v.trim()) return `${field} is required`;
  if (v.length > TEXT_MAX) return `${field} is too long (${v.length} characters, at most ${TEXT_MAX})`;
  return undefined;
}

/**
 * Why an answer sent to the incident itself (its watch has ended) cannot be taken, or undefined.
 * The same rules as through the watch, against the roster the incident was opened with.
 */
export function directAnswerError(input: IncidentInput, rec: IncidentRecord, kind: 'ack' | 'resolve', a: Ack | Resolve): string | undefined {
  if (!a || typeof a !== 'object') return kind === 'ack' ? 'an acknowledgement needs incident and by' : 'a resolution needs incident, by, root cause and resolution';
  const r = a as Resolve;
  const bad =
    textError('incident', a.incident, true) ??
    textError('by', a.by, true) ??
    (kind === 'resolve' ? (textError('root cause', r.rootCause, true) ?? textError('resolution', r.resolution, true) ?? textError('follow-up', r.followUp, false)) : undefined);
  if (bad) return bad;
  const ref = String(a.incident).trim();
  if (ref !== input.id && ref !== String(input.seq) && ref !== `incident-${input.seq}`) return `this is incident ${input.seq}, not "${a.incident}"`;
  if (rec.state === 'resolved') return `incident ${input.seq} is already resolved`;
  if (!input.roster) return `incident ${input.seq} was opened without a roster: answer it through its watch`;
  if (!Object.hasOwn(input.roster.people, a.by)) return `${a.by} is not on the plan's roster`;
  if (kind === 'ack' && rec.state === 'acknowledged' && rec.holder === a.by) return `incident ${input.seq} is already acknowledged by ${a.by}`;
  return undefined;
}

export function ackError(plan: Plan, state: WatchState, a: Ack): string | undefined {
  if (!a || typeof a !== 'object') return 'an acknowledgement needs incident and by';
  const bad = textError('incident', a.incident, true) ?? textError('by', a.by, true);
  if (bad) return bad;
  const inc = findIncident(state, a.incident);
  if (!inc) return `no incident "${a.incident}" (incidents: ${incidentList(state)})`;
  if (inc.state === 'resolved') return `incident ${inc.seq} is already resolved`;
  if (!Object.hasOwn(plan.people, a.by)) return `${a.by} is not on the plan's roster`;
  if (inc.state === 'acknowledged' && inc.holder === a.by) return `incident ${inc.seq} is already acknowledged by ${a.by}`;
  return undefined;
}

export function resolveError(plan: Plan, state: WatchState, r: Resolve): string | undefined {
  if (!r || typeof r !== 'object') return 'a resolution needs incident, by, root cause and resolution';
  const bad =
    textError('incident', r.incident, true) ??
    textError('by', r.by, true) ??
    textError('root cause', r.rootCause, true) ??
    textError('resolution', r.resolution, true) ??
    textError('follow-up', r.followUp, false);
  if (bad) return bad;
  const inc = findIncident(state, r.incident);
  if (!inc) return `no incident "${r.incident}" (incidents: ${incidentList(state)})`;
  if (inc.state === 'resolved') return `incident ${inc.seq} is already resolved`;
  if (!Object.hasOwn(plan.people, r.by)) return `${r.by} is not on the plan's roster`;
  return undefined;
}

/** "incident 3 · critical · services down · ack due 14:15" (UTC). */
export function incidentSummary(input: Pick<IncidentInput, 'seq' | 'severity' | 'meaning'>, due?: number, kind = 'ack'): string {
  const at = due === undefined ? '' : ` · ${kind} due ${new Date(due).toISOString().slice(11, 16)}`;
  return `incident ${input.seq} · ${input.severity} · ${input.meaning.toLowerCase()}${at}`;
}

/** The next person to page after `step`, or undefined when the chain is exhausted. */
export function nextInChain(chain: string[], step: number): { step: number; to: string } | undefined {
  return step + 1 < chain.length ? { step: step + 1, to: chain[step + 1] } : undefined;
}

function hourOf(input: IncidentInput, at?: number): string {
  return at === undefined ? '–' : `hour ${((at - input.openedAt) / input.hourMs + input.openedHour).toFixed(1)}`;
}

function utc(at?: number): string {
  return at === undefined ? '–' : `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The incident document, in the sections of the protocol's template. */
export function renderIncidentDoc(input: IncidentInput, rec: IncidentRecord): string {
  const lines = [
    `## Incident: ${input.checkDescription} — ${input.reason}`,
    `**Time:** ${utc(input.openedAt)} (watch ${hourOf(input, input.openedAt)})`,
    `**Severity:** ${cap(input.severity)} (${input.meaning})`,
    `**Duration:** ${utc(input.openedAt)} - ${utc(rec.resolvedAt ?? rec.recoveredAt)}`,
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
      ? rec.investigation.flatMap((i) => [`- \`${i.check}\`: ${i.outcome} — ${i.reason}`, ...(i.evidence ? ['', '```', i.evidence, '```', ''] : [])])
      : ['- (no investigation probes in the plan)']),
    '',
    '### Timeline',
    `- ${utc(input.openedAt)}: opened (${input.id})`,
    ...rec.pages.map((p) => `- ${utc(p.at)}: paged ${p.to} (${p.why})`),
    ...(rec.skipped ?? []).map((k) => `- ${utc(k.at)}: ${k.count} more acknowledgement deadline(s) from ${utc(k.from)} passed while release-watch was down; the whole chain had been paged, so they were not paged one by one`),
    ...(rec.ackedAt ? [`- ${utc(rec.ackedAt)}: acknowledged by ${rec.ackedBy}`] : []),
    ...(rec.recoveredAt ? [`- ${utc(rec.recoveredAt)}: check recovered`] : []),
    ...(rec.resolvedAt ? [`- ${utc(rec.resolvedAt)}: resolved by ${rec.resolvedBy}`] : []),
    '',
  ];
  return lines.join('\n');
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
