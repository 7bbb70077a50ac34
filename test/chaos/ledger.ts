// What the chaos suite checks, read from the workflows' own histories (every run of the
// continue-as-new chain and every incident), the watch's final status, the receiver's records and
// the notification file: tier runs lost or doubled, notifications duplicated or undelivered,
// incidents lost, and how late each deadline fired against its due time.
import { existsSync, readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { forPagerDuty } from '../../sinks/pagerduty';
import { deadlineMs } from '../../core/checkpoints';
import type { IncidentInput, IncidentRecord } from '../../core/incidents';
import type { CheckRequest, CheckResult, Notification, TierRequest, TierResult } from '../../core/messages';
import { allSlots, checksOf, hourMs as hourMsOf, initialSchedule, tiersDueAt } from '../../core/schedule';
import type { CheckpointState } from '../../core/state';
import type { WatchStatus } from '../../core/status';
import type { Plan } from '../../plan/schema';
import type { Receiver, Recorded } from '../helpers/receiver';
import { PATHS, type KillRecord, type ServerRestart } from './harness';

// ---- histories ------------------------------------------------------------------------------

export interface Ev {
  id: number;
  /** Wall time the server recorded (ms). */
  t: number;
  kind: string;
  a: any;
}

export interface RunHistory {
  workflowId: string;
  runId: string;
  events: Ev[];
}

const num = (v: unknown): number =>
  v === null || v === undefined ? 0 : typeof v === 'number' ? v : Number((v as { toString(): string }).toString());
const ms = (ts: any): number => num(ts?.seconds) * 1000 + Math.floor(num(ts?.nanos) / 1e6);

export function decode<T = unknown>(payload: any): T | undefined {
  if (!payload) return undefined;
  return defaultPayloadConverter.fromPayload<T>(payload);
}

function toEv(e: any): Ev {
  const key = Object.keys(e).find((k) => k.endsWith('EventAttributes') && e[k]);
  return { id: num(e.eventId), t: ms(e.eventTime), kind: key ? key.slice(0, -'EventAttributes'.length) : 'unknown', a: key ? e[key] : {} };
}

/** Every run of a workflow, oldest first, following continue-as-new back from the latest run. */
export async function fetchRuns(client: Client, workflowId: string): Promise<RunHistory[]> {
  const runs: RunHistory[] = [];
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = (history.events ?? []).map(toEv);
    runs.unshift({ workflowId, runId, events });
    runId = events[0]?.a?.continuedExecutionRunId || undefined;
  }
  return runs;
}

export interface ActivityRun {
  workflowId: string;
  type: string;
  input: any;
  summary: string;
  scheduledAt: number;
  closedAt?: number;
  close?: string;
  /** Attempt of the final execution (ActivityTaskStarted carries the last one). */
  attempt?: number;
  result?: any;
}

/** Every check result a watch's history holds for one check, with when its activity closed. */
export function checkResults(
  runs: RunHistory[],
  checkId: string,
): Array<{ scheduledAt: number; closedAt: number; outcome: string; reason: string }> {
  return probeRuns(activities(runs))
    .filter((p) => p.checkId === checkId && p.result)
    .map((p) => ({
      scheduledAt: p.activity.scheduledAt,
      closedAt: p.activity.closedAt!,
      outcome: String(p.result!.outcome),
      reason: String(p.result!.reason ?? ''),
    }));
}

/**
 * One check's run inside an activity: a runCheck (a lever's verify check, an investigation) or one
 * check of a runTier (a slot's checks in one activity, each with its own result in the activity's).
 */
export interface ProbeRun {
  checkId: string;
  hour: number;
  activity: ActivityRun;
  /** This check's result, once its activity completed. */
  result?: CheckResult;
}

/** The check runs of these activities, a tier run's checks each on its own. */
export function probeRuns(acts: ActivityRun[]): ProbeRun[] {
  const out: ProbeRun[] = [];
  for (const a of acts) {
    if (a.type === 'runCheck') {
      const req = a.input as CheckRequest;
      out.push({ checkId: req.checkId, hour: req.hour, activity: a, result: a.result as CheckResult | undefined });
    } else if (a.type === 'runTier') {
      const req = a.input as TierRequest;
      const results = (a.result as TierResult | undefined)?.results;
      for (const c of req.checks)
        out.push({ checkId: c.checkId, hour: req.hour, activity: a, result: results?.find((r) => r.checkId === c.checkId) });
    }
  }
  return out;
}

const isProbe = (a: ActivityRun) => a.type === 'runCheck' || a.type === 'runTier';

function activities(runs: RunHistory[]): ActivityRun[] {
  const out: ActivityRun[] = [];
  for (const run of runs) {
    const byId = new Map<number, ActivityRun>();
    for (const e of run.events) {
      if (e.kind === 'activityTaskScheduled') {
        const a: ActivityRun = {
          workflowId: run.workflowId,
          type: e.a.activityType?.name,
          input: decode(e.a.input?.payloads?.[0]),
          summary: String(decode(e.a.userMetadata?.summary) ?? ''),
          scheduledAt: e.t,
        };
        byId.set(e.id, a);
        out.push(a);
      } else if (e.kind === 'activityTaskStarted') {
        const a = byId.get(num(e.a.scheduledEventId));
        if (a) a.attempt = e.a.attempt;
      } else if (['activityTaskCompleted', 'activityTaskFailed', 'activityTaskTimedOut', 'activityTaskCanceled'].includes(e.kind)) {
        const a = byId.get(num(e.a.scheduledEventId));
        if (a) {
          a.closedAt = e.t;
          a.close = e.kind.slice('activityTask'.length).toLowerCase();
          if (e.kind === 'activityTaskCompleted') a.result = decode(e.a.result?.payloads?.[0]);
        }
      }
    }
  }
  return out;
}

type Interval = [number, number];

/**
 * Times a workflow had a task waiting for a worker: scheduled until started, and started until it
 * timed out. After a task times out or fails, its retries are written to history only when one
 * completes (transient attempts): a task scheduled as attempt 2 or later waited since the last one
 * that timed out or failed, through attempts lost with their workers that history does not show.
 */
function waitingForWorker(runs: RunHistory[]): Interval[] {
  const out: Interval[] = [];
  for (const run of runs) {
    const scheduled = new Map<number, number>();
    const started = new Map<number, number>();
    let lastLost: number | undefined;
    for (const e of run.events) {
      if (e.kind === 'workflowTaskTimedOut' || e.kind === 'workflowTaskFailed') lastLost = e.t;
      if (e.kind === 'workflowTaskScheduled') {
        scheduled.set(e.id, e.t);
        if (Number(e.a.attempt ?? 1) > 1 && lastLost !== undefined) out.push([lastLost, e.t]);
      } else if (e.kind === 'workflowTaskStarted') {
        started.set(e.id, e.t);
        const s = scheduled.get(num(e.a.scheduledEventId));
        if (s !== undefined) out.push([s, e.t]);
      } else if (e.kind === 'workflowTaskTimedOut') {
        const s = started.get(num(e.a.startedEventId)) ?? scheduled.get(num(e.a.scheduledEventId));
        if (s !== undefined) out.push([s, e.t]);
      }
    }
  }
  return out;
}

/** Length of the part of [from, to] covered by the union of `intervals`. */
function covered(from: number, to: number, intervals: Interval[]): number {
  const clipped = intervals
    .map(([a, b]) => [Math.max(a, from), Math.min(b, to)] as Interval)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = from;
  for (const [a, b] of clipped) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

// ---- the ledger -----------------------------------------------------------------------------

export interface Inputs {
  client: Client;
  plan: Plan;
  watchId: string;
  status: WatchStatus;
  rx: Receiver;
  notificationsFile: string;
  kills: KillRecord[];
  serverRestarts: ServerRestart[];
  /** Wall-time windows the simulator hung. */
  hangs: Array<{ from: number; to: number }>;
}

export interface DeadlineFire {
  kind: 'tier slot' | 'checkpoint open' | 'checkpoint escalation' | 'incident page';
  what: string;
  due: number;
  fired?: number;
  /** Fired minus due, in ms. */
  lateMs?: number;
  /** Of that, the time the workflow could not act: a task waiting for a worker, the server down, the previous run still going. */
  blockedMs?: number;
  /** lateMs - blockedMs. */
  effectiveMs?: number;
  why?: string;
}

export interface Ledger {
  watchRuns: number;
  slots: { expected: number; recorded: number; lost: string[]; doubled: string[] };
  probes: {
    scheduledTwice: string[];
    missing: string[];
    /** Checks whose activity completed without a result for them (each check's result is in the history). */
    withoutResult: string[];
    /** Probe activities (tier runs, verify checks, investigations): attempts, and those retried after a lost attempt. */
    attempts: number;
    retried: number;
    checksRecordedWrong: string[];
  };
  notifications: {
    events: number;
    /** (event, sink) pairs expected at the receiver or in the file. */
    deliveries: number;
    undelivered: string[];
    duplicated: string[];
    /** Extra deliveries of an event already delivered, with the same dedup key (a retried attempt). */
    redelivered: Array<{ sink: string; key: string; raw: number }>;
    /** Notify activities that needed more than one attempt (the receiver down, a worker killed). */
    retried: number;
    statusUndelivered: WatchStatus['notifications']['undelivered'];
    unknown: string[];
  };
  incidents: {
    opened: number;
    inStatus: number;
    lost: string[];
    notClosed: string[];
    doubled: string[];
    hangCaught: string[];
    skippedDeadlines: number;
  };
  deadlines: DeadlineFire[];
  kills: Array<KillRecord & { hour: number; inFlight: string[] }>;
  /** Workflow tasks that failed (not timed out): a nondeterminism error, or code that threw. */
  taskFailures: string[];
  /** Task completions the server refused because new events had arrived (retried with them). */
  unhandledCommands: number;
  recovery: { maxStallMs: number; stalls: number };
  /** When each notify activity was scheduled (the watch's and its incidents'). */
  notifyScheduledAt: number[];
}

export async function buildLedger(inp: Inputs): Promise<Ledger> {
  const { client, plan, watchId, status } = inp;
  const hourMs = hourMsOf(plan);
  const startedAt = Date.parse(status.startedAt);
  const dueAt = (h: number) => startedAt + h * hourMs;
  const hourOf = (t: number) => (t - startedAt) / hourMs;

  const watchRuns = await fetchRuns(client, watchId);
  const childIds = [
    ...new Set(
      watchRuns.flatMap((r) =>
        r.events.filter((e) => e.kind === 'startChildWorkflowExecutionInitiated').map((e) => String(e.a.workflowId)),
      ),
    ),
  ];
  const incidentRuns = new Map<string, RunHistory[]>();
  for (const id of new Set([...childIds, ...status.incidents.map((i) => i.id)])) {
    incidentRuns.set(id, await fetchRuns(client, id).catch(() => []));
  }
  const watchActs = activities(watchRuns);
  const incidentActs = [...incidentRuns.values()].flatMap(activities);
  const serverDown: Interval[] = inp.serverRestarts.map((r) => [r.stoppedAt, r.servingAt]);

  // ---- tier runs: what the plan schedules against what the watch recorded ----------------------
  const schedule = initialSchedule(plan);
  schedule.endHour = status.endHour;
  const expectedSlots = allSlots(plan, schedule);
  const lost: string[] = [];
  const doubled: string[] = [];
  for (const [tier, t] of Object.entries(status.tiers)) {
    const want = expectedSlots.filter((s) => s.tier === tier).map((s) => s.hour);
    const seen = new Map<number, number>();
    for (const h of t.ranAt) seen.set(h, (seen.get(h) ?? 0) + 1);
    for (const h of want) if (!seen.has(h)) lost.push(`${tier} ${h}`);
    for (const [h, n] of seen) if (n > 1 || !want.includes(h)) doubled.push(`${tier} ${h}${n > 1 ? ` ×${n}` : ' (not scheduled)'}`);
  }

  // ---- probes: each check of each slot scheduled exactly once, in one tier run -------------------
  const slotProbes = probeRuns(watchActs.filter((a) => isProbe(a) && !a.summary.startsWith('verify')));
  const perCheckHour = new Map<string, ProbeRun[]>();
  for (const p of slotProbes) {
    const k = `${p.checkId}@${p.hour}`;
    perCheckHour.set(k, [...(perCheckHour.get(k) ?? []), p]);
  }
  const withoutResult = slotProbes.filter((p) => p.activity.close === 'completed' && !p.result).map((p) => `${p.checkId}@${p.hour}`);
  const scheduledTwice = [...perCheckHour].filter(([, v]) => v.length > 1).map(([k, v]) => `${k} ×${v.length}`);
  const missing: string[] = [];
  const expectedRuns: Record<string, number> = {};
  for (let h = 0; h <= schedule.endHour; h++) {
    for (const c of checksOf(plan, tiersDueAt(plan, h, schedule))) {
      if (!perCheckHour.has(`${c}@${h}`)) missing.push(`${c}@${h}`);
      expectedRuns[c] = (expectedRuns[c] ?? 0) + 1;
    }
  }
  const checksRecordedWrong = Object.entries(expectedRuns)
    .filter(([c, n]) => (status.checks[c]?.runs ?? 0) !== n)
    .map(([c, n]) => `${c}: recorded ${status.checks[c]?.runs ?? 0} runs, scheduled ${n}`);
  const attempts = [...watchActs, ...incidentActs].filter(isProbe).reduce((s, a) => s + (a.attempt ?? 1), 0);
  const retried = [...watchActs, ...incidentActs].filter((a) => isProbe(a) && (a.attempt ?? 1) > 1).length;

  // ---- notifications ---------------------------------------------------------------------------
  const notifies = [...watchActs, ...incidentActs].filter((a) => a.type === 'notify');
  const byEvent = new Map<string, { n: Notification; scheduled: number }>();
  for (const a of notifies) {
    const n = (a.input as { notification: Notification }).notification;
    const seen = byEvent.get(n.eventId);
    byEvent.set(n.eventId, { n, scheduled: (seen?.scheduled ?? 0) + 1 });
  }
  const duplicated: string[] = [...byEvent].filter(([, v]) => v.scheduled > 1).map(([id, v]) => `${id} sent by ${v.scheduled} activities`);
  const fileIds = existsSync(inp.notificationsFile)
    ? readFileSync(inp.notificationsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as Notification).eventId)
    : [];
  const fileCount = new Map<string, number>();
  for (const id of fileIds) fileCount.set(id, (fileCount.get(id) ?? 0) + 1);
  for (const [id, n] of fileCount) if (n > 1) duplicated.push(`${id} ×${n} in the notification file`);

  // Each receiver delivery, named by the event it carries. PagerDuty acknowledge/resolve events carry
  // only the incident's dedup key and the action: they are named by those.
  const delivered = inp.rx.delivered();
  const nameOf = (r: Recorded): string | undefined => {
    const body = r.body as any;
    if (r.path === PATHS.webhook || r.path === PATHS.slack) return r.headers['idempotency-key'];
    if (r.path === PATHS.change) return body?.payload?.custom_details?.event_id;
    if (r.path === PATHS.trigger)
      return body?.event_action === 'trigger' ? body?.payload?.custom_details?.event_id : `${body?.dedup_key} ${body?.event_action}`;
    return undefined;
  };
  const rawBySinkKey = new Map<string, number>();
  for (const r of delivered) {
    const k = `${r.path} ${nameOf(r) ?? '(none)'}`;
    rawBySinkKey.set(k, (rawBySinkKey.get(k) ?? 0) + 1);
  }
  const expectedPairs = new Set<string>();
  for (const { n } of byEvent.values()) {
    expectedPairs.add(`file ${n.eventId}`);
    expectedPairs.add(`${PATHS.webhook} ${n.eventId}`);
    expectedPairs.add(`${PATHS.slack} ${n.eventId}`);
    if (forPagerDuty(n)) {
      if (!n.incident) expectedPairs.add(`${PATHS.change} ${n.eventId}`);
      else if (n.incident.action === 'trigger') expectedPairs.add(`${PATHS.trigger} ${n.eventId}`);
      else expectedPairs.add(`${PATHS.trigger} ${n.incident.id} ${n.incident.action}`);
    }
  }
  const undelivered = [...expectedPairs].filter((p) => (p.startsWith('file ') ? !fileCount.has(p.slice(5)) : !rawBySinkKey.has(p)));
  const unknown = [...rawBySinkKey.keys()].filter((k) => !expectedPairs.has(k));
  const redelivered = [...rawBySinkKey]
    .filter(([, raw]) => raw > 1)
    .map(([k, raw]) => ({ sink: k.split(' ')[0], key: k.slice(k.indexOf(' ') + 1), raw }));
  // Two PagerDuty acknowledgements of one incident are two events (acked, back to the chain, acked
  // again): counted as expected, not as redeliveries.
  const pdRepeats = new Map<string, number>();
  for (const { n } of byEvent.values()) {
    if (n.incident && n.incident.action !== 'trigger') {
      const k = `${n.incident.id} ${n.incident.action}`;
      pdRepeats.set(k, (pdRepeats.get(k) ?? 0) + 1);
    }
  }
  const realRedelivered = redelivered
    .map((r) => ({ ...r, raw: r.sink === PATHS.trigger ? r.raw - (pdRepeats.get(r.key) ?? 1) + 1 : r.raw }))
    .filter((r) => r.raw > 1);

  // ---- incidents -------------------------------------------------------------------------------
  const records = new Map<string, IncidentRecord | undefined>();
  const notClosed: string[] = [];
  for (const id of incidentRuns.keys()) {
    const h = client.workflow.getHandle(id);
    const desc = await h.describe().catch(() => undefined);
    if (!desc) {
      records.set(id, undefined);
      continue;
    }
    if (desc.status.name !== 'COMPLETED') notClosed.push(`${id}: ${desc.status.name}`);
    records.set(id, desc.status.name === 'COMPLETED' ? ((await h.result()) as IncidentRecord) : undefined);
  }
  const inStatus = new Set(status.incidents.map((i) => i.id));
  const incidentsLost = [
    ...childIds.filter((id) => !inStatus.has(id)).map((id) => `${id}: started by the watch, not in its status`),
    ...[...inStatus].filter((id) => !(incidentRuns.get(id)?.length ?? 0)).map((id) => `${id}: in the status, no workflow`),
    ...status.incidents.filter((i) => !childIds.includes(i.id)).map((i) => `${i.id}: in the status, never started by the watch`),
  ];
  for (const [id, rec] of records) {
    if (rec && rec.state !== 'resolved') notClosed.push(`${id}: ${rec.state}`);
    if (rec && (!rec.documentPath || !existsSync(rec.documentPath))) notClosed.push(`${id}: no incident document`);
  }
  // One incident per check (or trigger) and failure episode: no two open at once. An incident is
  // closed for the watch when the watch accepts its resolution (the incident applies it a signal later).
  const resolvedByWatch = new Map<string, number>();
  for (const e of watchRuns.flatMap((r) => r.events))
    if (e.kind === 'workflowExecutionUpdateAccepted' && e.a.acceptedRequest?.input?.name === 'resolve') {
      const ref = String(decode<{ incident: string }>(e.a.acceptedRequest.input.args?.payloads?.[0])?.incident ?? '');
      const inc = status.incidents.find((i) => i.id === ref || i.id.endsWith(`/incident-${ref}`) || i.id.endsWith(`/${ref}`));
      if (inc && !resolvedByWatch.has(inc.id)) resolvedByWatch.set(inc.id, e.t);
    }
  const incidentsDoubled: string[] = [];
  const episodes = new Map<string, Array<{ id: string; opened: number; closed: number }>>();
  for (const i of status.incidents) {
    const rec = records.get(i.id);
    const opened = (incidentRuns.get(i.id)?.[0]?.events[0]?.t ?? 0) as number;
    const k = `${i.check} ${i.trigger ?? ''}`;
    episodes.set(k, [
      ...(episodes.get(k) ?? []),
      { id: i.id, opened, closed: Math.min(resolvedByWatch.get(i.id) ?? Infinity, rec?.resolvedAt ?? Infinity) },
    ]);
  }
  for (const list of episodes.values()) {
    list.sort((a, b) => a.opened - b.opened);
    for (let j = 1; j < list.length; j++)
      if (list[j].opened < list[j - 1].closed) incidentsDoubled.push(`${list[j].id} opened while ${list[j - 1].id} was unresolved`);
  }
  // The hung runs: the slots whose fast-pulse probe ran while the simulator hung and which the watch
  // recorded as failed (the probe timed out, or, its worker killed meanwhile, every attempt was lost),
  // each with the incident that opened for it (fast-pulse fails at once, critical).
  const pulseFailedAt = new Set((status.checks['fast-pulse']?.series ?? []).filter(([, code]) => code === 2).map(([h]) => h));
  const hangCaught = inp.hangs.map((win) => {
    const hit = slotProbes.filter(
      (p) =>
        p.checkId === 'fast-pulse' &&
        p.activity.scheduledAt <= win.to &&
        (p.activity.closedAt ?? Infinity) >= win.from &&
        pulseFailedAt.has(p.hour) &&
        (p.result === undefined || /timed out/.test(String(p.result.reason))),
    );
    // With its worker killed meanwhile, a hung probe is retried after the hang and may pass: no failure then.
    if (!hit.length)
      return `hang at hour ${hourOf(win.from).toFixed(1)}-${hourOf(win.to).toFixed(1)}: probes hung, no fast-pulse run failed (retried after it)`;
    const slots = [...new Set(hit.map((p) => p.hour))];
    // The incident opened for it, or one already open for fast-pulse that it joins.
    const inc = status.incidents.find(
      (i) =>
        i.check === 'fast-pulse' &&
        !i.trigger &&
        i.openedHour <= Math.max(...slots) + 2 &&
        (i.resolvedHour === undefined || i.resolvedHour >= Math.min(...slots)),
    );
    const why = hit.map((p) => String(p.result?.reason ?? `every attempt lost (${p.activity.close ?? 'open'})`).slice(0, 40));
    return `slot ${slots.join('+')}: fast-pulse failed (${[...new Set(why)].join('; ')}); ${inc ? `${inc.id.slice(watchId.length + 1)}` : 'no incident'}`;
  });

  // ---- deadlines -------------------------------------------------------------------------------
  const deadlines: DeadlineFire[] = [];
  const watchWaiting = waitingForWorker(watchRuns);
  const fire = (d: DeadlineFire, blockedBy: Interval[]) => {
    if (d.fired === undefined) return deadlines.push(d);
    d.lateMs = d.fired - d.due;
    d.blockedMs = covered(d.due, d.fired, blockedBy);
    d.effectiveMs = Math.max(0, d.lateMs - d.blockedMs);
    deadlines.push(d);
  };
  // When the run of a slot was over: its last probe closed, its incidents started, its report written.
  const runEnd = (h: number): number => {
    const ends = [
      ...slotProbes.filter((p) => p.hour === h).map((p) => p.activity.closedAt ?? Infinity),
      ...watchActs.filter((a) => a.type === 'writeReport' && a.input?.hour === h).map((a) => a.closedAt ?? Infinity),
      ...watchRuns.flatMap((r) =>
        r.events
          .filter(
            (e) =>
              e.kind === 'childWorkflowExecutionStarted' &&
              status.incidents.some((i) => i.id === e.a.workflowExecution?.workflowId && i.openedHour === h),
          )
          .map((e) => e.t),
      ),
    ];
    return ends.length ? Math.max(...ends) : -Infinity;
  };
  const firstProbe = new Map<number, number>();
  for (const p of slotProbes) firstProbe.set(p.hour, Math.min(firstProbe.get(p.hour) ?? Infinity, p.activity.scheduledAt));
  const slotHours = [...new Set(expectedSlots.map((s) => s.hour))].sort((a, b) => a - b);
  for (const [i, h] of slotHours.entries()) {
    const prev = i > 0 ? runEnd(slotHours[i - 1]) : -Infinity;
    fire(
      {
        kind: 'tier slot',
        what: `${tiersDueAt(plan, h, schedule).join('+')} ${h}`,
        due: dueAt(h),
        fired: firstProbe.get(h),
        why: `previous run over at ${hourOf(prev).toFixed(2)}`,
      },
      [...watchWaiting, ...serverDown, [dueAt(h), prev]],
    );
  }
  // When the watch next completed a workflow task, from a moment on (it acted then).
  const tasksDone = watchRuns
    .flatMap((r) => r.events.filter((e) => e.kind === 'workflowTaskCompleted').map((e) => e.t))
    .sort((a, b) => a - b);
  const nextTaskDone = (t: number) => tasksDone.find((x) => x > t) ?? Infinity;
  const lastRun = watchRuns[watchRuns.length - 1].events;
  const watchEnd = lastRun[lastRun.length - 1]?.t ?? Date.now();
  const notified = (eventId: string) => notifies.find((a) => (a.input as { notification: Notification }).notification.eventId === eventId);
  for (const cp of status.checkpoints) {
    const open = notified(`${watchId}:checkpoint:${cp.name}`);
    const prevSlot = slotHours.filter((h) => h < cp.hour).pop();
    fire({ kind: 'checkpoint open', what: cp.name, due: dueAt(cp.hour), fired: open?.scheduledAt }, [
      ...watchWaiting,
      ...serverDown,
      [dueAt(cp.hour), Math.max(runEnd(cp.hour), prevSlot === undefined ? -Infinity : runEnd(prevSlot))],
    ]);
    if (!open) continue;
    const step = deadlineMs(plan, { name: cp.name } as CheckpointState, hourMs);
    // Due while the checkpoint was open, and the watch could act on it a tick before the decision
    // came (or the watch ended): it must have fired. One due before the checkpoint could open (a late
    // watch) could not fire before the opening; the watch then sends the overdue ones one after
    // another, and a decision arriving meanwhile rightly stops the rest. One due while the watch
    // could not act (a task waiting for a worker, the server down) and handled in the same task as
    // the decision is rightly not sent either.
    // Overdue reminders go out one after another (one per workflow task; since the fold, one for all
    // those due at once), so reminder k can go no earlier than reminder k-1 did.
    // "Could act" is read from the history: the watch completed a workflow task after the reminder came
    // due (and after the one before it went out), a tick or more before the decision.
    const decided = notified(`${watchId}:decision:${cp.name}`)?.scheduledAt ?? Infinity;
    const horizon = Math.min(decided, watchEnd) - hourMs;
    const blocked: Interval[] = [...watchWaiting, ...serverDown];
    let previous = open.scheduledAt;
    // A reminder folded into a later one (they came due while the watch could not act) went out with it.
    const sentWith = (k: number): number => (cp.folded?.includes(k) ? sentWith(k + 1) : k);
    for (let k = 1; ; k++) {
      const due = dueAt(cp.hour) + k * step;
      const esc = notified(`${watchId}:checkpoint:${cp.name}:escalation:${sentWith(k)}`);
      if (!esc && due > horizon) break;
      if (!esc && (due < open.scheduledAt || nextTaskDone(Math.max(due, previous)) > horizon)) continue;
      fire({ kind: 'checkpoint escalation', what: `${cp.name} #${k}`, due, fired: esc?.scheduledAt }, [...blocked, [due, previous]]);
      if (esc) previous = esc.scheduledAt;
    }
  }
  for (const [id, runs] of incidentRuns) {
    const rec = records.get(id);
    if (!rec) continue;
    const waiting = waitingForWorker(runs);
    const acts = activities(runs);
    // Pages that never came. A run of pages ends when the incident leaves "open": a healthy check,
    // an acknowledgement or a resolution reaches it (a relapse then starts a new run). Every
    // acknowledgement deadline of the run that came due before that, while the incident could act on
    // its timer (it started a workflow task after the deadline), must have paged.
    const input = decode<IncidentInput>(runs[0]?.events[0]?.a.input?.payloads?.[0]);
    // Deadlines run from when the watch saw the failure (openedAt, its workflow task's time); the
    // incident exists only once that task completed, so it cannot page before its own start.
    const opening: Interval = [input?.openedAt ?? 0, runs[0]?.events[0]?.t ?? 0];
    // When the incident took each answer: a signal when it arrived (the next task sees it); an update
    // (acknowledge, resolve) when the task that accepted it started, since it came with that task and
    // its handler ran before the task looked at the clock.
    const leftOpen = runs
      .flatMap((r) => {
        let taskStart = 0;
        return r.events.flatMap((e) => {
          if (e.kind === 'workflowTaskStarted') taskStart = e.t;
          if (e.kind === 'workflowExecutionUpdateAccepted') return [taskStart || e.t];
          const answered =
            e.kind === 'workflowExecutionSignaled' &&
            (e.a.signalName === 'ack' ||
              e.a.signalName === 'resolve' ||
              (e.a.signalName === 'check' && decode<{ healthy: boolean }>(e.a.input?.payloads?.[0])?.healthy));
          return answered ? [e.t] : [];
        });
      })
      .sort((a, b) => a - b);
    // Workflow tasks the incident completed, by the time each started: one that started after a
    // deadline saw its timer.
    const taskStarts = runs.flatMap((r) => {
      const started = new Map(r.events.filter((e) => e.kind === 'workflowTaskStarted').map((e) => [e.id, e.t]));
      return r.events.filter((e) => e.kind === 'workflowTaskCompleted').map((e) => started.get(num(e.a.startedEventId)) ?? Infinity);
    });
    if (input) {
      // Deadlines the incident skipped on its return from an outage, after paging the whole chain.
      const skipped = (rec.skipped ?? []).map((k) => [k.from, k.from + (k.count - 1) * input.ackMs] as Interval);
      for (const [p, page] of rec.pages.entries()) {
        const next = rec.pages[p + 1];
        const end = Math.min(leftOpen.find((t) => t > page.at) ?? Infinity, next && next.at !== page.at + input.ackMs ? next.at : Infinity);
        if (next?.at === page.at + input.ackMs || !Number.isFinite(end)) continue;
        const due = page.at + input.ackMs;
        if (skipped.some(([from, to]) => due >= from && due <= to)) continue;
        // Any workflow task that starts after a deadline pages it (incidents check the clock on every
        // task), so one that started after it and before the answer is a page that never came.
        if (due < end && taskStarts.some((t) => t > due && t < end))
          fire(
            {
              kind: 'incident page',
              what: `${id.slice(watchId.length + 1)} page due at hour ${hourOf(due).toFixed(2)}`,
              due,
              fired: undefined,
            },
            [],
          );
      }
    }
    for (const [p, page] of rec.pages.entries()) {
      if (p === 0) continue; // the first page is the opening, not a deadline
      const sent = acts.find(
        (a) => a.type === 'notify' && (a.input as { notification: Notification }).notification.eventId === `${id}:page:${p + 1}`,
      );
      fire({ kind: 'incident page', what: `${id.slice(watchId.length + 1)} page ${p + 1}`, due: page.at, fired: sent?.scheduledAt }, [
        ...waiting,
        ...serverDown,
        opening,
      ]);
    }
  }

  // ---- kills: what each one caught in flight ----------------------------------------------------
  const allRuns = [...watchRuns, ...[...incidentRuns.values()].flat()];
  const kills = inp.kills.map((k) => {
    const inFlight: string[] = [];
    for (const run of allRuns) {
      const short = run.workflowId === watchId ? 'watch' : run.workflowId.slice(watchId.length + 1);
      const started = new Map<number, Ev>();
      for (const e of run.events) {
        if (e.kind === 'workflowTaskStarted') started.set(e.id, e);
        if (['workflowTaskCompleted', 'workflowTaskTimedOut', 'workflowTaskFailed'].includes(e.kind)) {
          const s = started.get(num(e.a.startedEventId));
          if (s && s.t <= k.at && e.t >= k.at && s.a.identity === k.identity)
            inFlight.push(`${short} workflow task${e.kind === 'workflowTaskTimedOut' ? ' (timed out)' : ''}`);
        }
        if (e.kind === 'workflowExecutionContinuedAsNew' && Math.abs(e.t - k.at) < 1000)
          inFlight.push(`${short} continue-as-new ${e.t <= k.at ? 'just done' : 'pending'}`);
      }
    }
    for (const a of [...watchActs, ...incidentActs]) {
      if (a.scheduledAt <= k.at && (a.closedAt ?? Infinity) >= k.at) {
        const what =
          a.type === 'runCheck'
            ? `runCheck ${(a.input as CheckRequest).checkId}@${(a.input as CheckRequest).hour}`
            : a.type === 'runTier'
              ? `runTier ${(a.input as TierRequest).tiers.join('+')}@${(a.input as TierRequest).hour}`
              : a.type === 'notify'
                ? `notify ${(a.input as { notification: Notification }).notification.kind}`
                : a.type;
        inFlight.push(`${what}${(a.attempt ?? 1) > 1 ? ` (retried: attempt ${a.attempt})` : ''}`);
      }
    }
    return { ...k, hour: Math.round(hourOf(k.at) * 100) / 100, inFlight: [...new Set(inFlight)] };
  });
  // A task whose completion the server refused because new events had arrived meanwhile (UnhandledCommand)
  // is retried with them: routine, counted apart. Any other failure is a nondeterminism error or code that threw.
  const failures = allRuns.flatMap((run) =>
    run.events
      .filter((e) => e.kind === 'workflowTaskFailed')
      .map(
        (e) =>
          `${run.workflowId === watchId ? 'watch' : run.workflowId.slice(watchId.length + 1)} event ${e.id}: ${String(e.a.failure?.message ?? e.a.cause).slice(0, 200)}`,
      ),
  );
  const taskFailures = failures.filter((f) => !/: UnhandledCommand$/.test(f));
  const unhandledCommands = failures.length - taskFailures.length;
  const stalls = [...watchWaiting, ...[...incidentRuns.values()].flatMap(waitingForWorker)].map(([a, b]) => b - a).filter((d) => d > 1000);

  return {
    watchRuns: watchRuns.length,
    slots: { expected: expectedSlots.length, recorded: Object.values(status.tiers).reduce((s, t) => s + t.ranAt.length, 0), lost, doubled },
    probes: { scheduledTwice, missing, withoutResult, attempts, retried, checksRecordedWrong },
    notifications: {
      events: byEvent.size,
      deliveries: expectedPairs.size,
      undelivered,
      duplicated,
      redelivered: realRedelivered,
      retried: notifies.filter((a) => (a.attempt ?? 1) > 1).length,
      statusUndelivered: status.notifications.undelivered,
      unknown,
    },
    incidents: {
      opened: childIds.length,
      inStatus: inStatus.size,
      lost: incidentsLost,
      notClosed,
      doubled: incidentsDoubled,
      hangCaught,
      skippedDeadlines: [...records.values()].reduce((n, r) => n + (r?.skipped ?? []).reduce((m, k) => m + k.count, 0), 0),
    },
    deadlines,
    kills,
    taskFailures,
    unhandledCommands,
    recovery: { maxStallMs: stalls.length ? Math.max(...stalls) : 0, stalls: stalls.length },
    notifyScheduledAt: notifies.map((a) => a.scheduledAt),
  };
}
