// What the console shows beside a watch's status and which answers it offers: pure functions of the plan
// and the last status. The console offers an answer only to the people the plan allows and, where the
// watch would refuse it anyway, says why instead of offering it.
import type { CriterionResult } from '../../core/state';
import type { WatchStatus } from '../../core/status';
import { signaturesRequired } from '../../core/signatures';
import { tierDueAt, type ScheduleState } from '../../core/schedule';
import { watchHours } from '../../plan/duration';
import type { DecisionName, Plan } from '../../plan/schema';

/** The part of the plan a browser needs: the roster (with public keys), who may answer what. */
export interface PlanSummary {
  name: string;
  service: string;
  signed: boolean;
  people: Array<{ id: string; name: string; role?: string; publicKey?: string }>;
  checks: Record<string, { description: string; category: string; severity: string }>;
}

export function planSummary(plan: Plan): PlanSummary {
  return {
    name: plan.name,
    service: plan.service,
    signed: signaturesRequired(plan),
    people: Object.entries(plan.people).map(([id, p]) => ({ id, name: p.name ?? id, role: p.role, publicKey: p.publicKey })),
    checks: Object.fromEntries(
      Object.entries(plan.checks).map(([id, c]) => [id, { description: c.description, category: c.category, severity: c.severity }]),
    ),
  };
}

export interface DecisionOffer {
  decision: DecisionName;
  gated: boolean;
  /** Criteria unmet for a gated decision (as last evaluated), other than the note: the watch refuses it until they are met. */
  unmet: CriterionResult[];
  /** A gated decision that needs the decider's note (a note-given criterion): the note form field meets it. */
  needsNote: boolean;
}

export interface CheckpointOffer {
  name: string;
  title: string;
  hour: number;
  deadline?: string;
  deciders: string[];
  decisions: DecisionOffer[];
  criteria: CriterionResult[];
}

export interface IncidentOffer {
  id: string;
  seq: number;
  state: string;
  holder?: string;
  /** Anyone on the roster may take an incident over; the holder may not acknowledge it twice. */
  ack: { people: string[] } | { why: string };
  resolve: { people: string[] } | { why: string };
}

export interface LeverOffer {
  lever: string;
  description: string;
  requesters: string[];
  approval?: { approvers: string[]; within: string };
  /** Why it cannot be asked for now. */
  why?: string;
}

export interface ApprovalOffer {
  seq: number;
  lever: string;
  requestedBy: string;
  reason: string;
  expiresAt?: string;
  /** The lever's approvers without the person who asked: a second person approves. */
  approvers: string[];
}

export interface Offers {
  /** The watch has ended: it takes no decision and no lever (its incidents may still be answered). */
  ended?: string;
  checkpoints: CheckpointOffer[];
  incidents: IncidentOffer[];
  levers: LeverOffer[];
  approvals: ApprovalOffer[];
}

const ENDED = new Set(['released', 'rollback-requested', 'rolled-back', 'completed']);

export function incidentSeq(id: string): number {
  return Number(/incident-(\d+)$/.exec(id)?.[1] ?? NaN);
}

export function offers(plan: Plan, s: WatchStatus): Offers {
  const roster = Object.keys(plan.people);
  const ended = ENDED.has(s.phase) ? `the watch has ended (${s.phase})` : undefined;
  const checkpoints: CheckpointOffer[] = ended
    ? []
    : s.checkpoints
        .filter((c) => c.state === 'pending')
        .map((c) => {
          const spec = plan.checkpoints.find((p) => p.name === c.name) ?? plan.checkpoints.find((p) => c.name.startsWith(`${p.name}-ext`));
          const criteria = refreshCriteria(plan, s, c.criteria ?? [], spec?.criteria ?? []);
          const notes = new Set((spec?.criteria ?? []).filter((k) => k.kind === 'note-given').map((k) => k.name));
          return {
            name: c.name,
            title: c.title,
            hour: c.hour,
            deadline: c.deadline,
            deciders: spec?.deciders ?? [],
            criteria,
            decisions: (spec?.decisions ?? []).map((d) => {
              const gated = spec?.gated.includes(d) ?? false;
              const unmet = gated ? criteria.filter((x) => !x.met && !notes.has(x.name)) : [];
              const needsNote = gated && criteria.some((x) => !x.met && notes.has(x.name));
              return { decision: d, gated, unmet, needsNote };
            }),
          };
        });
  const incidents: IncidentOffer[] = s.incidents.map((i) => {
    const seq = incidentSeq(i.id);
    const resolved = i.state === 'resolved' ? { why: `incident ${seq} is already resolved` } : undefined;
    const acked = i.state === 'acknowledged' && i.holder ? roster.filter((p) => p !== i.holder) : roster;
    return {
      id: i.id,
      seq,
      state: i.state,
      holder: i.holder,
      ack: resolved ?? { people: acked },
      resolve: resolved ?? { people: roster },
    };
  });
  const levers: LeverOffer[] = Object.entries(plan.levers).map(([lever, spec]) => {
    const open = s.levers.find((r) => r.lever === lever && (r.state === 'awaiting-approval' || r.state === 'running'));
    const why =
      ended ??
      (open ? `${lever} is already ${open.state === 'running' ? 'being pulled' : 'awaiting approval'} (request ${open.seq})` : undefined);
    return {
      lever,
      description: spec.description,
      requesters: (spec.requesters ?? roster).filter((p) => roster.includes(p)),
      ...(spec.approval.required ? { approval: { approvers: spec.approval.approvers, within: spec.approval.within } } : {}),
      ...(why ? { why } : {}),
    };
  });
  const approvals: ApprovalOffer[] = s.levers
    .filter((r) => r.state === 'awaiting-approval')
    .map((r) => ({
      seq: r.seq,
      lever: r.lever,
      requestedBy: r.by,
      reason: r.reason,
      expiresAt: r.expiresAt === undefined ? undefined : new Date(r.expiresAt).toISOString(),
      approvers: (plan.levers[r.lever]?.approval.approvers ?? []).filter((p) => p !== r.by && roster.includes(p)),
    }));
  return { ...(ended ? { ended } : {}), checkpoints, incidents, levers, approvals };
}

/**
 * The criteria as the watch evaluated them when the checkpoint opened, with the one that can only become
 * met later brought up to date from the status: incidents-documented (every incident resolved, which takes
 * a root cause). The watch evaluates them again when a decision comes; its reason is shown if it refuses.
 */
function refreshCriteria(plan: Plan, s: WatchStatus, evaluated: CriterionResult[], specs: Plan['checkpoints'][number]['criteria']) {
  return evaluated.map((c) => {
    const spec = specs.find((k) => k.name === c.name);
    if (spec?.kind !== 'incidents-documented' || c.met) return c;
    const open = s.incidents.filter((i) => i.state !== 'resolved');
    return open.length
      ? { ...c, detail: `not yet resolved with a write-up: ${open.map((i) => i.id).join(', ')}` }
      : { ...c, met: true, detail: `${s.incidents.length} incident(s), all written up` };
  });
}

export interface NextAction {
  kind: 'decide' | 'acknowledge' | 'resolve' | 'approve';
  what: string;
  /** Who may (or must) act: the plan's deciders, the incident's holder, the lever's approvers. */
  who: string[];
  due?: string;
}

/** Who must act next, soonest deadline first. */
export function nextActions(plan: Plan, s: WatchStatus): NextAction[] {
  const o = offers(plan, s);
  const out: NextAction[] = [
    ...o.checkpoints.map((c) => ({ kind: 'decide' as const, what: `decide ${c.title}`, who: c.deciders, due: c.deadline })),
    ...s.incidents
      .filter((i) => i.state === 'open' || i.state === 'acknowledged' || i.state === 'recovered')
      .map((i) => ({
        kind: i.state === 'open' ? ('acknowledge' as const) : ('resolve' as const),
        what: `${i.state === 'open' ? 'acknowledge' : 'resolve'} incident ${incidentSeq(i.id)} (${i.check}, ${i.severity})`,
        who: i.holder ? [i.holder] : [],
        due: i.nextDeadline,
      })),
    ...o.approvals.map((a) => ({
      kind: 'approve' as const,
      what: `approve ${a.lever} (request ${a.seq})`,
      who: a.approvers,
      due: a.expiresAt,
    })),
  ];
  return out.sort((a, b) => (a.due ?? '~').localeCompare(b.due ?? '~'));
}

export type Cell = 'ok' | 'warn' | 'fail' | 'missed' | 'due' | 'none';

export interface TierRow {
  tier: string;
  checks: string[];
  late: number;
  /** One cell per watch hour, 0 … endHour. */
  cells: Cell[];
}

/**
 * The tier run grid by watch hour: ok / warn / fail for the runs the watch recorded, missed for a slot
 * that was due over an hour ago and has no run, due for one still to come or under way. The watch counts
 * late runs per tier, not per hour: the row carries the count.
 */
export function tierGrid(plan: Plan, s: WatchStatus): TierRow[] {
  const schedule: ScheduleState = { endHour: s.endHour, cadence: {} };
  // A reduce-monitoring decision changed the cadence from its checkpoint's hour (core/checkpoints applyDecision).
  for (const d of s.decisions.filter((x) => x.decision === 'reduce-monitoring')) {
    const cp = s.checkpoints.find((c) => c.name === d.checkpoint);
    if (!cp) continue;
    for (const [tier, every] of Object.entries(plan.monitoring.reduced))
      schedule.cadence[tier] = { every: watchHours(every), since: cp.hour };
  }
  const ended = ENDED.has(s.phase);
  return Object.entries(s.tiers).map(([tier, t]) => {
    const cells: Cell[] = [];
    for (let h = 0; h <= s.endHour; h++) {
      if (t.failedAt.includes(h)) cells.push('fail');
      else if (t.warnedAt.includes(h)) cells.push('warn');
      else if (t.ranAt.includes(h)) cells.push('ok');
      else if (!tierDueAt(plan, tier, h, schedule)) cells.push('none');
      else if (ended) cells.push(h <= s.hour ? 'missed' : 'none');
      else cells.push(h < s.hour - 1 ? 'missed' : 'due');
    }
    return { tier, checks: t.checks, late: t.late, cells };
  });
}
