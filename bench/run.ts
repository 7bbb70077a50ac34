// `npm run bench` (issue 6 §5; not part of the tests): the watch workflow against a bare baseline on
// the real dev server, in one run: throughput, history size, density, decision round trip, replay.
//
//   npm run bench                 # the full form, about 15 minutes
//   npm run bench -- --quick      # about 3 minutes
//   npm run bench -- --only history,replay   # some phases (a name list; replay brings history)
//   npm run bench -- --db-on-disk           # the dev server's SQLite file on disk, not tmpfs
//   npx tsx bench/run.ts --retable          # the table and README-table.md again from results.json
//
// Writes bench/results.json and bench/README-table.md. Activities are stubs (bench/stubs.ts): fast
// no-ops, so what is measured is the workflow machinery. Everything it starts (dev server, worker
// processes) is stopped at the end, on failure and on Ctrl-C.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { decide, startWatch } from '../client/watches';
import { startDevServer, temporalBinary, type DevServer } from '../client/devserver';
import type { Decide } from '../core/messages';
import { checksOf, initialSchedule, tiersDueAt } from '../core/schedule';
import { watchHours } from '../plan/duration';
import type { Plan } from '../plan/schema';
import { statusQuery } from '../workflows/definitions';
import { echoUpdate, type BaselineInput } from './baseline-workflows';
import {
  countBy,
  eventBytes,
  eventMs,
  eventName,
  fetchRuns,
  quantile,
  scheduleToStart,
  tasksCompleted,
  type HistoryEvent,
  type Run,
} from './history';
import { makeKeys, signedDecision, signing, symphonyPlan, type Keys } from './plans';
import { bundleOptions } from '../worker/bundle';
import { startBenchWorker, type BenchWorker } from './worker';

// ---- settings ---------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const PHASES = ['history', 'replay', 'decision', 'throughput', 'density'] as const;
type Phase = (typeof PHASES)[number];
const onlyArg = argv.find((a) => a.startsWith('--only'));
const onlyList = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : argv[argv.indexOf(onlyArg) + 1]) : undefined;
const ONLY = new Set<Phase>((onlyList?.split(',') as Phase[] | undefined) ?? PHASES);
if (ONLY.has('replay')) ONLY.add('history');

const SETTINGS = QUICK
  ? {
      historyHour: '200ms',
      replay: { copies: 6, rounds: 2 },
      decision: { watches: 40, hour: '300s' },
      throughput: { concurrency: 150, hour: '50ms', tickMs: 50, warmupS: 8, windowS: 12, rounds: 1 },
      density: { hour: '20s', levels: [100, 250], sample: 100, maxDrainS: 30 },
    }
  : {
      historyHour: '200ms',
      replay: { copies: 11, rounds: 3 },
      decision: { watches: 150, hour: '300s' },
      throughput: { concurrency: 200, hour: '50ms', tickMs: 50, warmupS: 10, windowS: 25, rounds: 2 },
      density: { hour: '60s', levels: [250, 500, 1000, 2000], sample: 200, maxDrainS: 90 },
    };

const TARGETS = {
  throughputRatio: 0.8,
  historyRatio: 1.15,
  fullWatchEvents: 10_240,
  densityWatches: 2000,
  scheduleToStartP99Ms: 1000,
  rssPerWatchMb: 0.5,
  decisionRatio: 1.2,
  replayRatio: 1.5,
};

// ---- cleanup: everything started is stopped, also on Ctrl-C -----------------------------------

const cleanups: Array<() => Promise<void> | void> = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const f of cleanups.reverse()) {
      try {
        await f();
      } catch (err) {
        console.error(`cleanup: ${(err as Error).message}`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the workers and the dev server the bench started`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---- shared ------------------------------------------------------------------------------------

interface Ctx {
  client: Client;
  serverPid: number;
  address: string;
  /** The watch and incident workflows as the project's worker bundles them (workflows/index.ts). */
  watchBundle: string;
  /** The baseline workflow alone: a bare workflow carries none of the watch's modules. */
  baselineBundle: string;
  keys: Keys;
  stamp: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const r0 = (n: number) => Math.round(n);
const r1 = (n: number) => Math.round(n * 10) / 10;
const r2 = (n: number) => Math.round(n * 100) / 100;
const r3 = (n: number) => Math.round(n * 1000) / 1000;
const MB = 1024 * 1024;
const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** CPU time (user + system, ms) a process has used, from /proc (0 where there is none). */
function procCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(lanes);
  return out;
}

async function newWorker(ctx: Ctx, name: string, kind: 'watch' | 'baseline', maxCachedWorkflows: number): Promise<BenchWorker> {
  const bundlePath = kind === 'watch' ? ctx.watchBundle : ctx.baselineBundle;
  const worker = await startBenchWorker({ address: ctx.address, taskQueue: `bench-${name}-${ctx.stamp}`, bundlePath, maxCachedWorkflows });
  cleanups.push(() => worker.kill());
  return worker;
}

function release(ctx: Ctx, tag: string) {
  return { service: 'symphony', version: `b${ctx.stamp}-${tag}`, deployedAt: new Date().toISOString() };
}

async function terminateAll(ctx: Ctx, ids: string[]): Promise<void> {
  await mapLimit(ids, 20, (id) =>
    ctx.client.workflow
      .getHandle(id)
      .terminate('bench phase over')
      .then(
        () => undefined,
        () => undefined,
      ),
  );
}

function payloadValue<T>(p: temporal.api.common.v1.IPayload | null | undefined): T | undefined {
  if (!p) return undefined;
  try {
    return defaultPayloadConverter.fromPayload<T>(p);
  } catch {
    return undefined;
  }
}

// ---- history: one full 48 h Symphony watch, and the floor it needs ------------------------------

interface Floor {
  timers: number;
  activities: number;
  updates: number;
  workflowTasks: number;
  events: number;
  byType: Record<string, number>;
  model: string;
}

/**
 * The least history a 48 h watch of `plan` needs: start and completion; one timer per watch hour
 * at which something is due (after hour 0); the checks of each tier run, each daily report, the
 * final report, and one notification per checkpoint (asking for its decision); one update per
 * checkpoint decision; and a workflow task to start, per timer fired, per stage of activities
 * completing together (a tier's checks, a report, a checkpoint's notification) and per update.
 */
function floorOf(plan: Plan): Floor {
  const schedule = initialSchedule(plan);
  let timers = 0;
  let checks = 0;
  let reports = 0;
  let asks = 0;
  let stages = 0;
  for (let h = 0; h <= schedule.endHour; h++) {
    const tiers = tiersDueAt(plan, h, schedule);
    const cps = plan.checkpoints.filter((c) => watchHours(c.at) === h);
    if (tiers.length === 0 && cps.length === 0) continue;
    if (h > 0) timers++;
    if (tiers.length) {
      checks += checksOf(plan, tiers).length;
      stages++;
      if (tiers.some((t) => plan.tiers[t].report)) {
        reports++;
        stages++;
      }
    }
    if (cps.length) {
      asks += cps.length;
      stages++;
    }
  }
  const finalReport = 1;
  stages += finalReport;
  const activities = checks + reports + asks + finalReport;
  const updates = plan.checkpoints.length;
  const workflowTasks = 1 + timers + stages + updates;
  const byType: Record<string, number> = {
    WorkflowExecutionStarted: 1,
    WorkflowExecutionCompleted: 1,
    TimerStarted: timers,
    TimerFired: timers,
    ActivityTaskScheduled: activities,
    ActivityTaskStarted: activities,
    ActivityTaskCompleted: activities,
    WorkflowExecutionUpdateAccepted: updates,
    WorkflowExecutionUpdateCompleted: updates,
    WorkflowTaskScheduled: workflowTasks,
    WorkflowTaskStarted: workflowTasks,
    WorkflowTaskCompleted: workflowTasks,
  };
  const events = Object.values(byType).reduce((a, b) => a + b, 0);
  return {
    timers,
    activities,
    updates,
    workflowTasks,
    events,
    byType,
    model:
      `2 (start, complete) + 2 × ${timers} timers + 3 × ${activities} activities (${checks} checks, ${reports} daily reports, ${finalReport} final report, ${asks} checkpoint notifications)` +
      ` + 2 × ${updates} decision updates + 3 × ${workflowTasks} workflow tasks (1 first + ${timers} per timer + ${stages} per activity stage + ${updates} per update)`,
  };
}

interface WatchAnatomy {
  byType: Record<string, number>;
  /** Per activity type: mean bytes of its ActivityTaskScheduled event and of its input payload. */
  activityBytes: Record<string, { scheduledEvent: number; input: number }>;
  bytesByType: Record<string, number>;
  activities: Record<string, number>;
  timerSummaries: Record<string, number>;
  markers: Record<string, number>;
  signals: Record<string, number>;
}

function anatomy(events: HistoryEvent[]): WatchAnatomy {
  const activities: Record<string, number> = {};
  const timerSummaries: Record<string, number> = {};
  const markers: Record<string, number> = {};
  const signals: Record<string, number> = {};
  const bytesByType: Record<string, number> = {};
  const scheduledBytes: Record<string, number> = {};
  const inputBytes: Record<string, number> = {};
  const add = (m: Record<string, number>, k: string, n = 1) => (m[k] = (m[k] ?? 0) + n);
  for (const e of events) {
    add(bytesByType, eventName(e), eventBytes(e));
    const a = e.activityTaskScheduledEventAttributes;
    if (a) {
      let name = a.activityType?.name ?? '?';
      if (name === 'notify')
        name += `:${payloadValue<{ notification: { kind: string } }>(a.input?.payloads?.[0])?.notification.kind ?? '?'}`;
      add(activities, name);
      add(scheduledBytes, name, eventBytes(e));
      add(
        inputBytes,
        name,
        (a.input?.payloads ?? []).reduce((n, p) => n + (p.data?.length ?? 0), 0),
      );
    }
    if (e.timerStartedEventAttributes) {
      const summary = payloadValue<string>(e.userMetadata?.summary) ?? '';
      // "until hourly 13/48" → "until hourly", so the kinds of timers count together.
      add(timerSummaries, summary.replace(/\s*\d+(\.\d+)?\/\d+.*$/, '').replace(/\d+/g, 'N') || '(no summary)');
    }
    const m = e.markerRecordedEventAttributes;
    if (m) {
      const details = Object.values(m.details ?? {})
        .map((p) => payloadValue<unknown>(p.payloads?.[0]))
        .filter((v) => typeof v === 'string');
      add(markers, [m.markerName, ...details].join(':'));
    }
    const s = e.workflowExecutionSignaledEventAttributes;
    if (s) add(signals, s.signalName ?? '?');
  }
  const activityBytes = Object.fromEntries(
    Object.entries(activities).map(([name, n]) => [
      name,
      { scheduledEvent: r0(scheduledBytes[name] / n), input: r0(inputBytes[name] / n) },
    ]),
  );
  return { byType: countBy(events), activityBytes, bytesByType, activities, timerSummaries, markers, signals };
}

interface HistoryResult {
  workflowId: string;
  plan: string;
  hour: string;
  runs: Array<{ runId: string; events: number; bytes: number; historySizeBytes?: number }>;
  continuedAsNew: boolean;
  events: number;
  bytes: number;
  watchHours: number;
  eventsPerHour: number;
  bytesPerHour: number;
  floor: Floor & { bytes: number; eventsPerHour: number; bytesPerHour: number };
  eventsRatio: number;
  bytesRatio: number;
  anatomy: WatchAnatomy;
  extraByType: Record<string, number>;
  wallS: number;
  decisions: string[];
}

async function historyPhase(ctx: Ctx, worker: BenchWorker): Promise<{ result: HistoryResult; runs: Run[] }> {
  const plan = symphonyPlan(SETTINGS.historyHour, ctx.keys);
  const hourMs = watchHours(plan.clock.hour) * 3_600_000;
  log(
    `history: a full 48 h watch of ${plan.name} at ${plan.clock.hour} per watch hour, stub activities, checkpoints answered as they open`,
  );
  const t0 = Date.now();
  const started = await startWatch(ctx.client, { plan, release: release(ctx, 'full'), startedBy: 'bench', taskQueue: worker.taskQueue });
  const handle = ctx.client.workflow.getHandle(started.workflowId);
  const answers: Record<string, Omit<Decide, 'checkpoint'>> = {
    '12h': { decision: 'continue', by: 'release-captain' },
    '24h': { decision: 'continue', by: 'release-captain' },
    '48h': { decision: 'release', by: 'release-captain', note: 'lessons learned: none; the release held for 48 hours' },
  };
  let done = false;
  const result = handle.result().finally(() => (done = true));
  const decided: string[] = [];
  while (!done) {
    await sleep(hourMs / 5);
    if (done) break;
    const status = await handle.query(statusQuery, 0).catch(() => undefined);
    for (const cp of status?.checkpoints ?? []) {
      if (cp.state !== 'pending' || decided.includes(cp.name)) continue;
      const answer = answers[cp.name] ?? { decision: 'continue', by: 'release-captain' };
      decided.push(cp.name);
      await decide(ctx.client, started.workflowId, signedDecision(plan, ctx.keys, started.workflowId, { checkpoint: cp.name, ...answer }));
      log(`history: checkpoint ${cp.name} decided: ${answer.decision}`);
    }
  }
  const outcome = await result;
  const wallS = (Date.now() - t0) / 1000;
  const runs = await fetchRuns(ctx.client, started.workflowId, started.runId);
  const all = runs.flatMap((r) => r.events);
  const runInfo = await Promise.all(
    runs.map(async (r) => {
      const desc = await ctx.client.workflow
        .getHandle(started.workflowId, r.runId)
        .describe()
        .catch(() => undefined);
      const raw = desc?.raw.workflowExecutionInfo?.historySizeBytes;
      return {
        runId: r.runId,
        events: r.events.length,
        bytes: r.events.reduce((a, e) => a + eventBytes(e), 0),
        historySizeBytes: raw == null ? undefined : Number(raw),
      };
    }),
  );
  const bytes = runInfo.reduce((a, r) => a + r.bytes, 0);
  const floor = floorOf(plan);
  const hours = watchHours(plan.clock.duration);
  const anat = anatomy(all);
  // The floor's bytes: its events as this watch writes them. Its activities are the watch's own
  // (checks, reports, checkpoint notifications), its other events at the watch's mean size per type.
  const floorActivityIds = new Set<number>();
  for (const e of all) {
    const a = e.activityTaskScheduledEventAttributes;
    if (!a) continue;
    const name = a.activityType?.name;
    const kind =
      name === 'notify' ? payloadValue<{ notification: { kind: string } }>(a.input?.payloads?.[0])?.notification.kind : undefined;
    if (name === 'runCheck' || name === 'writeReport' || kind === 'checkpoint-open') floorActivityIds.add(Number(e.eventId));
  }
  let floorBytes = 0;
  for (const e of all) {
    const sched = e.activityTaskScheduledEventAttributes
      ? Number(e.eventId)
      : Number(e.activityTaskStartedEventAttributes?.scheduledEventId ?? e.activityTaskCompletedEventAttributes?.scheduledEventId ?? NaN);
    if (floorActivityIds.has(sched)) floorBytes += eventBytes(e);
  }
  for (const [type, n] of Object.entries(floor.byType)) {
    if (type.startsWith('ActivityTask')) continue;
    const have = anat.byType[type] ?? 0;
    if (have > 0) floorBytes += (anat.bytesByType[type] / have) * n;
  }
  const extraByType: Record<string, number> = {};
  for (const type of new Set([...Object.keys(anat.byType), ...Object.keys(floor.byType)])) {
    const d = (anat.byType[type] ?? 0) - (floor.byType[type] ?? 0);
    if (d !== 0) extraByType[type] = d;
  }
  log(
    `history: ${outcome.phase} after ${r1(wallS)} s; ${all.length} events in ${runs.length} run(s), ${r1(bytes / 1024)} KiB; floor ${floor.events} events`,
  );
  return {
    runs,
    result: {
      workflowId: started.workflowId,
      plan: plan.name,
      hour: plan.clock.hour,
      runs: runInfo,
      continuedAsNew: runs.length > 1,
      events: all.length,
      bytes,
      watchHours: hours,
      eventsPerHour: r1(all.length / hours),
      bytesPerHour: r0(bytes / hours),
      floor: { ...floor, bytes: r0(floorBytes), eventsPerHour: r1(floor.events / hours), bytesPerHour: r0(floorBytes / hours) },
      eventsRatio: r3(all.length / floor.events),
      bytesRatio: r3(bytes / floorBytes),
      anatomy: anat,
      extraByType,
      wallS: r1(wallS),
      decisions: decided,
    },
  };
}

/** A baseline workflow with about as many events as the watch's history, for replay. */
async function baselineHistory(ctx: Ctx, worker: BenchWorker, events: number): Promise<Run> {
  const ticks = Math.max(10, Math.round((events - 5) / 11));
  const workflowId = `baseline-replay-${ctx.stamp}`;
  const handle = await ctx.client.workflow.start('baselineWorkflow', {
    taskQueue: worker.taskQueue,
    workflowId,
    args: [{ ticks, tickMs: 10 } satisfies BaselineInput],
  });
  await handle.result();
  const [run] = await fetchRuns(ctx.client, workflowId, handle.firstExecutionRunId);
  log(`history: baseline for replay: ${ticks} ticks, ${run.events.length} events`);
  return run;
}

// ---- replay ------------------------------------------------------------------------------------

interface ReplayResult {
  watch: { events: number; runs: number; msPerHistory: number; usPerEvent: number; samples: number[] };
  baseline: { events: number; msPerHistory: number; usPerEvent: number; samples: number[] };
  ratio: number;
  method: string;
}

/** Times of each history group replayed in one replay worker (its start-up is not in them). */
async function replayTimes(
  bundlePath: string,
  groups: Array<Array<{ workflowId: string; history: temporal.api.history.v1.IHistory }>>,
): Promise<number[]> {
  const flat = groups.flatMap((g, gi) => g.map((h) => ({ ...h, gi })));
  const times = new Array<number>(groups.length).fill(0);
  let t = 0;
  let current = -1;
  async function* feed() {
    for (const item of flat) {
      current = item.gi;
      t = performance.now();
      yield { workflowId: item.workflowId, history: item.history };
    }
  }
  for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: bundlePath } }, feed())) {
    times[current] += performance.now() - t;
    if (r.error) throw r.error;
  }
  return times;
}

async function replayPhase(ctx: Ctx, watchId: string, watchRuns: Run[], baseline: Run): Promise<ReplayResult> {
  const { copies, rounds } = SETTINGS.replay;
  log(
    `replay: the full watch history (${watchRuns.reduce((a, r) => a + r.events.length, 0)} events) and the baseline's (${baseline.events.length}), ${copies} times each per replay worker, ${rounds} rounds`,
  );
  const watchGroup = watchRuns.map((r) => ({ workflowId: watchId, history: { events: r.events } }));
  const baseGroup = [{ workflowId: 'baseline-replay', history: { events: baseline.events } }];
  const w: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // The first history of each replay worker warms it up; the rest are measured.
    w.push(
      ...(
        await replayTimes(
          ctx.watchBundle,
          Array.from({ length: copies }, () => watchGroup),
        )
      ).slice(1),
    );
    b.push(
      ...(
        await replayTimes(
          ctx.baselineBundle,
          Array.from({ length: copies }, () => baseGroup),
        )
      ).slice(1),
    );
  }
  const watchEvents = watchRuns.reduce((a, r) => a + r.events.length, 0);
  const wMed = quantile(w, 0.5);
  const bMed = quantile(b, 0.5);
  const result: ReplayResult = {
    watch: {
      events: watchEvents,
      runs: watchRuns.length,
      msPerHistory: r2(wMed),
      usPerEvent: r2((wMed * 1000) / watchEvents),
      samples: w.map(r2),
    },
    baseline: {
      events: baseline.events.length,
      msPerHistory: r2(bMed),
      usPerEvent: r2((bMed * 1000) / baseline.events.length),
      samples: b.map(r2),
    },
    ratio: r3(wMed / watchEvents / (bMed / baseline.events.length)),
    method: `Worker.runReplayHistories, ${copies} copies per replay worker (first one is warm-up), ${rounds} rounds; median time per history / its events`,
  };
  log(`replay: watch ${result.watch.usPerEvent} µs/event, baseline ${result.baseline.usPerEvent} µs/event → ${result.ratio}×`);
  return result;
}

// ---- decision round trip -----------------------------------------------------------------------

interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
}
interface DecisionResult {
  watches: number;
  signed: boolean;
  /** The first decision a watch takes (its first signature check since it was cached). */
  accepted: Latency;
  /** A later decision in the same watch. */
  acceptedLater: Latency;
  refused: Latency;
  echo: Latency;
  ratio: number;
  laterRatio: number;
  refusedRatio: number;
  refusal: string;
  method: string;
}

const latency = (xs: number[]): Latency => ({
  n: xs.length,
  p50: r2(quantile(xs, 0.5)),
  p99: r2(quantile(xs, 0.99)),
  max: r2(Math.max(...xs)),
});

async function decisionPhase(ctx: Ctx, worker: BenchWorker, baseWorker: BenchWorker): Promise<DecisionResult> {
  const n = SETTINGS.decision.watches;
  // The 12 h and 24 h checkpoints open at hour 0 and hours are long: the watches sit idle, waiting for two decisions.
  const plan = symphonyPlan(SETTINGS.decision.hour, ctx.keys, (raw) => {
    raw.checkpoints[0].at = '0h';
    raw.checkpoints[1].at = '0h';
  });
  const [first, second] = plan.checkpoints;
  log(
    `decision: ${n} watches waiting at checkpoints ${first.name} and ${second.name} (opened at hour 0, ${plan.clock.hour} watch hours) and ${n} idle baseline workflows`,
  );
  const watches = await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    10,
    async (i) =>
      (await startWatch(ctx.client, { plan, release: release(ctx, `dec${i}`), startedBy: 'bench', taskQueue: worker.taskQueue }))
        .workflowId,
  );
  const baselines = await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    10,
    async (i) => {
      const workflowId = `baseline-echo-${ctx.stamp}-${i}`;
      await ctx.client.workflow.start('baselineWorkflow', {
        taskQueue: baseWorker.taskQueue,
        workflowId,
        args: [{ ticks: 1, tickMs: 3_600_000 } satisfies BaselineInput],
      });
      return workflowId;
    },
  );
  // Wait until every watch has both checkpoints open and its hour-0 checks done.
  const until = Date.now() + 120_000;
  for (const id of watches) {
    for (;;) {
      const s = await ctx.client.workflow.getHandle(id).query(statusQuery, 0);
      const open = s.checkpoints.filter((c) => c.state === 'pending').length;
      if (open === 2 && s.tiers.hourly?.runs >= 1 && s.tiers.deep?.runs >= 1) break;
      if (Date.now() > until) throw new Error(`decision: watch ${id} did not open its checkpoints within 120 s`);
      await sleep(200);
    }
  }
  await sleep(2000);
  const signed = signing(plan);
  const decider = 'release-captain';
  const outsider = Object.keys(plan.people).find((p) => !first.deciders.includes(p))!;
  const refusal = `a ${first.name} decision by ${outsider}, who may not decide it (refused by the validator before any signature check)`;
  const decision = (id: string, checkpoint: string, by: string): Decide =>
    signedDecision(plan, ctx.keys, id, { checkpoint, decision: 'continue', by });

  const time = async (run: () => Promise<unknown>) => {
    const t = performance.now();
    await run();
    return performance.now() - t;
  };
  const echoOf = (i: number) =>
    time(() =>
      ctx.client.workflow.getHandle(baselines[i]).executeUpdate(echoUpdate, { args: [decision(watches[i], first.name, decider)] }),
    );
  const acceptedOf = (i: number, checkpoint: string) =>
    time(() => ctx.client.workflow.getHandle(watches[i]).executeUpdate('decide', { args: [decision(watches[i], checkpoint, decider)] }));
  const refusedOf = (i: number) =>
    time(async () => {
      try {
        await ctx.client.workflow.getHandle(watches[i]).executeUpdate('decide', { args: [decision(watches[i], first.name, outsider)] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) return;
        throw err;
      }
      throw new Error(`decision: a decision by ${outsider} was accepted by ${watches[i]}`);
    });
  // Warm-up: connections and the baseline worker's code paths (the watches are measured from their first update).
  for (let i = 0; i < 5; i++) await echoOf(i);
  const echo: number[] = [];
  const refused: number[] = [];
  const accepted: number[] = [];
  const later: number[] = [];
  // Pass 1: per watch a refused then its first accepted decision; pass 2: its second decision. The
  // echo goes before, between or after them in turn, so drift on a shared machine hits all alike.
  for (let i = 0; i < n; i++) {
    const e = i % 3;
    if (e === 0) echo.push(await echoOf(i));
    refused.push(await refusedOf(i));
    if (e === 1) echo.push(await echoOf(i));
    accepted.push(await acceptedOf(i, first.name));
    if (e === 2) echo.push(await echoOf(i));
  }
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) echo.push(await echoOf(i));
    later.push(await acceptedOf(i, second.name));
    if (i % 2 === 1) echo.push(await echoOf(i));
  }
  await terminateAll(ctx, [...watches, ...baselines]);
  const p99echo = quantile(echo, 0.99);
  const result: DecisionResult = {
    watches: n,
    signed,
    accepted: latency(accepted),
    acceptedLater: latency(later),
    refused: latency(refused),
    echo: latency(echo),
    ratio: r3(quantile(accepted, 0.99) / p99echo),
    laterRatio: r3(quantile(later, 0.99) / p99echo),
    refusedRatio: r3(quantile(refused, 0.99) / p99echo),
    refusal,
    method:
      `client executeUpdate wall time, sequential. Watch: ${signed ? 'signed ' : ''}decide "continue" by ${decider} at an open checkpoint (first decision of the watch, then a later one); ` +
      `echo: a bare update (no validator) on an idle baseline workflow on its own worker, with the same payload`,
  };
  log(
    `decision: first accepted p50 ${result.accepted.p50} p99 ${result.accepted.p99} ms; later p50 ${result.acceptedLater.p50} p99 ${result.acceptedLater.p99} ms; ` +
      `refused p50 ${result.refused.p50} p99 ${result.refused.p99} ms; echo p50 ${result.echo.p50} p99 ${result.echo.p99} ms`,
  );
  return result;
}

// ---- throughput --------------------------------------------------------------------------------

interface ThroughputRound {
  kind: 'watch' | 'baseline';
  concurrency: number;
  windowS: number;
  tasks: number;
  tasksPerS: number;
  workerCpuMs: number;
  cpuMsPerTask: number;
  serverCpuMsPerTask: number;
  workerCpuPct: number;
  serverCpuPct: number;
  workflows: number;
  activitiesPerS: number;
  eventsPerS: number;
  activitiesPerTask: number;
}

interface ThroughputResult {
  watch: { tasksPerS: number; cpuMsPerTask: number; serverCpuMsPerTask: number; eventsPerS: number };
  baseline: { tasksPerS: number; cpuMsPerTask: number; serverCpuMsPerTask: number; eventsPerS: number };
  ratio: number;
  cpuRatio: number;
  rounds: ThroughputRound[];
  method: string;
}

async function throughputRound(ctx: Ctx, kind: 'watch' | 'baseline', round: number): Promise<ThroughputRound> {
  const s = SETTINGS.throughput;
  const worker = await newWorker(ctx, `tp-${kind}-${round}`, kind, 2000);
  // A watch without checkpoints (nobody answers them under load), otherwise the Symphony plan: it
  // ticks through its 48 h as fast as the worker lets it, and each finished watch is replaced.
  const plan = symphonyPlan(s.hour, ctx.keys, (raw) => {
    raw.checkpoints = [];
  });
  const ids: Array<{ workflowId: string; runId: string }> = [];
  let stopping = false;
  let seq = 0;
  const pending = new Set<Promise<unknown>>();
  const launch = async (): Promise<void> => {
    if (stopping) return;
    const i = seq++;
    if (kind === 'watch') {
      const st = await startWatch(ctx.client, {
        plan,
        release: release(ctx, `tp${round}-${i}`),
        startedBy: 'bench',
        taskQueue: worker.taskQueue,
      });
      ids.push(st);
      const next = ctx.client.workflow
        .getHandle(st.workflowId)
        .result()
        .then(
          () => launch(),
          () => undefined,
        );
      pending.add(next);
    } else {
      const workflowId = `baseline-tp-${ctx.stamp}-${round}-${i}`;
      const h = await ctx.client.workflow.start('baselineWorkflow', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [{ ticks: 1_000_000, tickMs: s.tickMs } satisfies BaselineInput],
      });
      ids.push({ workflowId, runId: h.firstExecutionRunId });
    }
  };
  await mapLimit(Array.from({ length: s.concurrency }), 10, () => launch());
  await sleep(s.warmupS * 1000);
  const s0 = await worker.stats();
  const server0 = procCpuMs(ctx.serverPid);
  const t0 = Date.now();
  await sleep(s.windowS * 1000);
  const t1 = Date.now();
  const server1 = procCpuMs(ctx.serverPid);
  const s1 = await worker.stats();
  stopping = true;
  // The worker first (what it has in flight finishes), then the workflows.
  await worker.stop();
  await terminateAll(
    ctx,
    ids.map((x) => x.workflowId),
  );
  await Promise.all(pending);
  let tasks = 0;
  let activities = 0;
  let events = 0;
  await mapLimit(ids, 10, async ({ workflowId, runId }) => {
    const runs = await fetchRuns(ctx.client, workflowId, runId);
    for (const r of runs) {
      tasks += tasksCompleted(r.events, t0, t1);
      const inWindow = r.events.filter((e) => eventMs(e) >= t0 && eventMs(e) < t1);
      events += inWindow.length;
      activities += inWindow.filter((e) => e.activityTaskCompletedEventAttributes).length;
    }
  });
  const windowS = (t1 - t0) / 1000;
  const cpu = s1.cpuMs - s0.cpuMs;
  const out: ThroughputRound = {
    kind,
    concurrency: s.concurrency,
    windowS: r1(windowS),
    tasks,
    tasksPerS: r1(tasks / windowS),
    workerCpuMs: r0(cpu),
    cpuMsPerTask: r3(cpu / tasks),
    serverCpuMsPerTask: r3((server1 - server0) / tasks),
    workerCpuPct: r1((cpu / (t1 - t0)) * 100),
    serverCpuPct: r1(((server1 - server0) / (t1 - t0)) * 100),
    workflows: ids.length,
    activitiesPerS: r1(activities / windowS),
    eventsPerS: r1(events / windowS),
    activitiesPerTask: r2(activities / tasks),
  };
  log(
    `throughput ${kind} round ${round + 1}: ${out.tasksPerS} workflow tasks/s, ${out.activitiesPerS} activities/s, ${out.eventsPerS} events/s; ` +
      `CPU per task: worker ${out.cpuMsPerTask} ms, server ${out.serverCpuMsPerTask} ms; CPU: worker ${out.workerCpuPct}%, server ${out.serverCpuPct}% of a core; ${ids.length} workflows`,
  );
  return out;
}

async function throughputPhase(ctx: Ctx): Promise<ThroughputResult> {
  const s = SETTINGS.throughput;
  log(
    `throughput: ${s.concurrency} watches (${s.hour} watch hours, no checkpoints) vs ${s.concurrency} baselines (${s.tickMs} ms ticks), each on a fresh worker; ${s.warmupS} s warm-up, ${s.windowS} s window, ${s.rounds} round(s)`,
  );
  const rounds: ThroughputRound[] = [];
  for (let round = 0; round < s.rounds; round++) {
    // Alternate which goes first, so a busier moment on a shared machine does not favour one.
    const order: Array<'watch' | 'baseline'> = round % 2 === 0 ? ['watch', 'baseline'] : ['baseline', 'watch'];
    for (const kind of order) rounds.push(await throughputRound(ctx, kind, round));
  }
  const agg = (kind: 'watch' | 'baseline') => {
    const rs = rounds.filter((r) => r.kind === kind);
    const tasks = rs.reduce((a, r) => a + r.tasks, 0);
    const secs = rs.reduce((a, r) => a + r.windowS, 0);
    const cpu = rs.reduce((a, r) => a + r.workerCpuMs, 0);
    const events = rs.reduce((a, r) => a + r.eventsPerS * r.windowS, 0);
    const server = rs.reduce((a, r) => a + r.serverCpuMsPerTask * r.tasks, 0);
    return {
      tasksPerS: r1(tasks / secs),
      cpuMsPerTask: r3(cpu / tasks),
      serverCpuMsPerTask: r3(server / tasks),
      eventsPerS: r1(events / secs),
    };
  };
  const watch = agg('watch');
  const baseline = agg('baseline');
  return {
    watch,
    baseline,
    ratio: r3(watch.tasksPerS / baseline.tasksPerS),
    cpuRatio: r3(baseline.cpuMsPerTask / watch.cpuMsPerTask),
    rounds,
    method:
      'workflow tasks completed (WorkflowTaskCompleted events in the window, from every history) per second at saturation; ' +
      'many workflows each, because the dev server fires a timer ~150 ms after it is due whatever its length, so a few baselines wait rather than load it; ' +
      'cpuRatio = baseline worker CPU per task / watch worker CPU per task',
  };
}

// ---- density -----------------------------------------------------------------------------------

interface DensityLevel {
  watches: number;
  startS: number;
  drainS: number;
  windowS: number;
  sampled: number;
  tasks: number;
  p50: number;
  p99: number;
  max: number;
  rssMb: number;
  cached: number;
  rssPerWatchMb: number;
  /** RSS added since the previous level / watches added. */
  marginalMbPerWatch: number;
  workerCpuPct: number;
  serverCpuPct: number;
  ok: boolean;
}

interface DensityResult {
  hour: string;
  baseRssMb: number;
  levels: DensityLevel[];
  held: number;
  atTop: DensityLevel;
  baseline: { workflows: number; cached: number; rssPerWorkflowMb: number };
  method: string;
}

/** Has this watch finished its hour-0 checks (nothing in flight, waiting for its next hour)? */
async function settled(ctx: Ctx, id: string, plan: Plan): Promise<boolean> {
  const events = (await ctx.client.workflow.getHandle(id).fetchHistory()).events ?? [];
  const hour0 = checksOf(plan, tiersDueAt(plan, 0, initialSchedule(plan))).length + 1;
  const done = events.filter((e) => e.activityTaskCompletedEventAttributes).length;
  const last = events[events.length - 1];
  return done >= hour0 && !!last && !/^(WorkflowTask(Scheduled|Started)|ActivityTask\w+)$/.test(eventName(last));
}

/** Starts `n` workflows evenly over `spreadMs`. */
async function spread(n: number, spreadMs: number, start: (i: number) => Promise<void>): Promise<void> {
  const t0 = Date.now();
  await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    20,
    async (i) => {
      const due = t0 + (i * spreadMs) / n;
      if (due > Date.now()) await sleep(due - Date.now());
      await start(i);
    },
  );
}

async function densityPhase(ctx: Ctx): Promise<DensityResult> {
  const s = SETTINGS.density;
  const top = s.levels[s.levels.length - 1];
  const worker = await newWorker(ctx, 'density', 'watch', top + 500);
  const plan = symphonyPlan(s.hour, ctx.keys);
  const hourMs = watchHours(plan.clock.hour) * 3_600_000;
  log(
    `density: ramp ${s.levels.join(', ')} watches of ${plan.name} at ${plan.clock.hour} per watch hour on one worker (maxCachedWorkflows ${top + 500}); ` +
      'each level starts its new watches evenly over one watch hour, then measures one watch hour',
  );
  await sleep(2000);
  const base = await worker.stats(true);
  const ids: string[] = [];
  const levels: DensityLevel[] = [];
  let before = base;
  for (const level of s.levels) {
    const add = level - ids.length;
    const tStart = Date.now();
    // Deploys come at any moment: new watches start spread over a watch hour, so their hours are too.
    await spread(add, hourMs, async (i) => {
      const st = await startWatch(ctx.client, {
        plan,
        release: release(ctx, `d${level}-${i}`),
        startedBy: 'bench',
        taskQueue: worker.taskQueue,
      });
      ids.push(st.workflowId);
    });
    const startS = (Date.now() - tStart) / 1000;
    // Wait until the newest watches have run their hour 0: what the window sees is holding.
    const tDrain = Date.now();
    const newest = ids.slice(-5);
    while (Date.now() - tDrain < s.maxDrainS * 1000) {
      const ok = await Promise.all(newest.map((id) => settled(ctx, id, plan).catch(() => false)));
      if (ok.every(Boolean)) break;
      await sleep(1000);
    }
    const drainS = (Date.now() - tDrain) / 1000;
    // One watch hour: every watch runs its tier once in it, at hours spread over the window.
    const c0 = await worker.stats();
    const server0 = procCpuMs(ctx.serverPid);
    const t0 = Date.now();
    await sleep(hourMs);
    const t1 = Date.now();
    const server1 = procCpuMs(ctx.serverPid);
    const c1 = await worker.stats(true);
    const sample = [...ids].sort(() => Math.random() - 0.5).slice(0, s.sample);
    const lat: number[] = [];
    await mapLimit(sample, 10, async (id) => {
      const events = (await ctx.client.workflow.getHandle(id).fetchHistory()).events ?? [];
      lat.push(...scheduleToStart(events, t0, t1));
    });
    const p99 = quantile(lat, 0.99);
    const row: DensityLevel = {
      watches: ids.length,
      startS: r1(startS),
      drainS: r1(drainS),
      windowS: r1((t1 - t0) / 1000),
      sampled: sample.length,
      tasks: lat.length,
      p50: r0(quantile(lat, 0.5)),
      p99: r0(p99),
      max: r0(Math.max(...lat)),
      rssMb: r1(c1.rss / MB),
      cached: c1.cached,
      rssPerWatchMb: r3((c1.rss - base.rss) / Math.max(1, c1.cached) / MB),
      marginalMbPerWatch: r3((c1.rss - before.rss) / Math.max(1, c1.cached - before.cached) / MB),
      workerCpuPct: r1(((c1.cpuMs - c0.cpuMs) / (c1.at - c0.at)) * 100),
      serverCpuPct: r1(((server1 - server0) / (t1 - t0)) * 100),
      ok: p99 < TARGETS.scheduleToStartP99Ms,
    };
    levels.push(row);
    before = c1;
    log(
      `density ${row.watches}: started in ${row.startS} s, settled in ${row.drainS} s; schedule-to-start p50 ${row.p50} p99 ${row.p99} max ${row.max} ms (${row.tasks} tasks of ${row.sampled} watches); ` +
        `RSS ${row.rssMb} MB, ${row.cached} cached, ${row.rssPerWatchMb} MB/watch (marginal ${row.marginalMbPerWatch}); CPU: worker ${row.workerCpuPct}%, server ${row.serverCpuPct}% of a core`,
    );
    if (!row.ok) break;
  }
  await worker.stop();
  await terminateAll(ctx, ids);
  const atTop = levels[levels.length - 1];
  const baseline = await baselineRss(ctx, Math.max(100, atTop.cached));
  const held = Math.max(0, ...levels.filter((l) => l.ok).map((l) => l.watches));
  return {
    hour: plan.clock.hour,
    baseRssMb: r1(base.rss / MB),
    levels,
    held,
    atTop,
    baseline,
    method:
      'per level: the new watches start evenly over one watch hour, the newest are let finish hour 0, then one watch hour is measured; ' +
      'schedule-to-start = WorkflowTaskScheduled → WorkflowTaskStarted of the tasks scheduled in that hour, from the histories of a random sample; ' +
      'RSS per watch = (worker RSS − its RSS before any watch) / cached workflows, after a GC',
  };
}

/** RSS per cached workflow of idle baseline workflows (a timer each) on a fresh worker: the SDK's own floor. */
async function baselineRss(ctx: Ctx, n: number): Promise<DensityResult['baseline']> {
  const worker = await newWorker(ctx, 'density-baseline', 'baseline', n + 500);
  await sleep(2000);
  const base = await worker.stats(true);
  const ids: string[] = [];
  await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    20,
    async (i) => {
      const workflowId = `baseline-density-${ctx.stamp}-${i}`;
      await ctx.client.workflow.start('baselineWorkflow', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [{ ticks: 1, tickMs: 3_600_000 } satisfies BaselineInput],
      });
      ids.push(workflowId);
    },
  );
  let st = await worker.stats(true);
  for (let i = 0; i < 60 && st.cached < n; i++) {
    await sleep(1000);
    st = await worker.stats(true);
  }
  await sleep(2000);
  st = await worker.stats(true);
  await worker.stop();
  await terminateAll(ctx, ids);
  const out = { workflows: n, cached: st.cached, rssPerWorkflowMb: r3((st.rss - base.rss) / Math.max(1, st.cached) / MB) };
  log(`density baseline: ${out.cached} idle baseline workflows cached, ${out.rssPerWorkflowMb} MB RSS each`);
  return out;
}

// ---- table -------------------------------------------------------------------------------------

interface Row {
  metric: string;
  watch: string;
  base: string;
  ratio: string;
  target: string;
  met: string;
}

const fmtN = (n: number) => n.toLocaleString('en-US');
/** "yes", or "no: …" with how far off. `higherIsBetter` for floors like throughput. */
function verdict(value: number, target: number, higherIsBetter: boolean, unit = '×', strict = false): string {
  const ok = higherIsBetter ? (strict ? value > target : value >= target) : strict ? value < target : value <= target;
  if (ok) return 'yes';
  const off = higherIsBetter ? (1 - value / target) * 100 : (value / target - 1) * 100;
  return `no: ${r2(value)}${unit} vs ${target}${unit}, ${r1(off)}% ${higherIsBetter ? 'short' : 'over'}`;
}

function tableRows(r: Results): Row[] {
  const rows: Row[] = [];
  const t = r.throughput;
  if (t) {
    // What the machine's cores sustain when CPU-bound: cores × 1000 / (worker + server CPU ms per task).
    const cores = r.machine.cores;
    const capacity = (x: { cpuMsPerTask: number; serverCpuMsPerTask: number }) => (cores * 1000) / (x.cpuMsPerTask + x.serverCpuMsPerTask);
    const [cw, cb] = [capacity(t.watch), capacity(t.baseline)];
    rows.push({
      metric: `throughput: workflow tasks/s ${cores} cores sustain, CPU-bound (cores × 1000 / CPU ms per task)`,
      watch: `${r1(cw)}/s (${t.watch.cpuMsPerTask} + ${t.watch.serverCpuMsPerTask} ms worker + server)`,
      base: `${r1(cb)}/s (${t.baseline.cpuMsPerTask} + ${t.baseline.serverCpuMsPerTask} ms, baseline)`,
      ratio: `${r3(cw / cb)}×`,
      target: `≥ ${TARGETS.throughputRatio}×`,
      met: verdict(r3(cw / cb), TARGETS.throughputRatio, true),
    });
    rows.push({
      metric: 'throughput: workflow tasks/s measured at load',
      watch: `${t.watch.tasksPerS}/s`,
      base: `${t.baseline.tasksPerS}/s (baseline)`,
      ratio: `${t.ratio}×`,
      target: '(info: the baseline waits on dev-server timer latency)',
      met: '',
    });
  }
  const h = r.history;
  if (h) {
    rows.push({
      metric: 'history: events per watch-hour',
      watch: `${h.eventsPerHour}`,
      base: `${h.floor.eventsPerHour} (floor)`,
      ratio: `${h.eventsRatio}×`,
      target: `≤ ${TARGETS.historyRatio}×`,
      met: verdict(h.eventsRatio, TARGETS.historyRatio, false),
    });
    rows.push({
      metric: 'history: bytes per watch-hour',
      watch: `${fmtN(h.bytesPerHour)} B`,
      base: `${fmtN(h.floor.bytesPerHour)} B (floor)`,
      ratio: `${h.bytesRatio}×`,
      target: `≤ ${TARGETS.historyRatio}×`,
      met: verdict(h.bytesRatio, TARGETS.historyRatio, false),
    });
    const runs = h.runs.length > 1 ? ` in ${h.runs.length} runs (${h.runs.map((x) => x.events).join(' + ')})` : ', 1 run';
    const evOk = h.events < TARGETS.fullWatchEvents && !h.continuedAsNew;
    rows.push({
      metric: 'history: full 48 h Symphony watch',
      watch: `${fmtN(h.events)} events${runs}, ${r1(h.bytes / 1024)} KiB`,
      base: `${fmtN(TARGETS.fullWatchEvents)} events`,
      ratio: `${r3(h.events / TARGETS.fullWatchEvents)}×`,
      target: `< ${fmtN(TARGETS.fullWatchEvents)}, no continue-as-new`,
      met: evOk ? 'yes' : h.continuedAsNew ? 'no: continued as new' : verdict(h.events, TARGETS.fullWatchEvents, false, '', true),
    });
  }
  const d = r.density;
  if (d) {
    rows.push({
      metric: `density: concurrent watches, schedule-to-start p99 < 1 s (hour = ${d.hour})`,
      watch: `${fmtN(d.held)} (p99 ${d.atTop.p99} ms at ${fmtN(d.atTop.watches)})`,
      base: `${fmtN(TARGETS.densityWatches)}`,
      ratio: `${r3(d.held / TARGETS.densityWatches)}×`,
      target: `≥ ${fmtN(TARGETS.densityWatches)}`,
      met:
        d.held < TARGETS.densityWatches && d.levels.every((l) => l.ok)
          ? `not reached: this run's ramp ends at ${fmtN(d.held)} (the full form ramps to ${fmtN(TARGETS.densityWatches)})`
          : verdict(d.held, TARGETS.densityWatches, true, ''),
    });
    rows.push({
      metric: `density: worker RSS per cached watch (at ${fmtN(d.atTop.cached)} cached)`,
      watch: `${d.atTop.rssPerWatchMb} MB`,
      base: `${TARGETS.rssPerWatchMb} MB`,
      ratio: `${r3(d.atTop.rssPerWatchMb / TARGETS.rssPerWatchMb)}×`,
      target: `≤ ${TARGETS.rssPerWatchMb} MB`,
      met: verdict(d.atTop.rssPerWatchMb, TARGETS.rssPerWatchMb, false, ' MB'),
    });
    rows.push({
      metric: `density: worker RSS per cached idle baseline workflow (at ${fmtN(d.baseline.cached)} cached)`,
      watch: '',
      base: `${d.baseline.rssPerWorkflowMb} MB (baseline)`,
      ratio: `${r3(d.atTop.rssPerWatchMb / d.baseline.rssPerWorkflowMb)}× (watch / baseline)`,
      target: '(info)',
      met: '',
    });
  }
  const c = r.decision;
  if (c) {
    rows.push({
      metric: `decision round trip p50 / p99: a watch's first decision${c.signed ? ' (signed)' : ''}`,
      watch: `${c.accepted.p50} / ${c.accepted.p99} ms`,
      base: `${c.echo.p50} / ${c.echo.p99} ms (echo)`,
      ratio: `${c.ratio}× (p99)`,
      target: `≤ ${TARGETS.decisionRatio}×`,
      met: verdict(c.ratio, TARGETS.decisionRatio, false),
    });
    rows.push({
      metric: 'decision round trip p50 / p99: a later decision',
      watch: `${c.acceptedLater.p50} / ${c.acceptedLater.p99} ms`,
      base: `${c.echo.p50} / ${c.echo.p99} ms (echo)`,
      ratio: `${c.laterRatio}× (p99)`,
      target: `≤ ${TARGETS.decisionRatio}×`,
      met: verdict(c.laterRatio, TARGETS.decisionRatio, false),
    });
    rows.push({
      metric: 'decision round trip p50 / p99: refused decision',
      watch: `${c.refused.p50} / ${c.refused.p99} ms`,
      base: `${c.echo.p50} / ${c.echo.p99} ms (echo)`,
      ratio: `${c.refusedRatio}× (p99)`,
      target: '(info)',
      met: '',
    });
  }
  const p = r.replay;
  if (p) {
    rows.push({
      metric: 'replay of the full 48 h history, per event',
      watch: `${p.watch.usPerEvent} µs (${p.watch.msPerHistory} ms / ${fmtN(p.watch.events)} events)`,
      base: `${p.baseline.usPerEvent} µs (baseline, ${fmtN(p.baseline.events)} events)`,
      ratio: `${p.ratio}×`,
      target: `≤ ${TARGETS.replayRatio}×`,
      met: verdict(p.ratio, TARGETS.replayRatio, false),
    });
  }
  return rows;
}

function markdown(rows: Row[], machine: Machine, quick: boolean): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    '| metric | watch | baseline / floor | ratio | target | met? |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${[r.metric, r.watch, r.base, r.ratio, r.target, r.met].map(esc).join(' | ')} |`),
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGb} GB RAM, Node ${machine.node}, ${machine.temporal} (SQLite ${machine.sqlite}); ${machine.date}` +
      ` (\`npm run bench${quick ? ' -- --quick' : ''}\`, ${machine.wallMin} min; load average ${machine.loadBefore.join(' ')} before, ${machine.loadAfter.join(' ')} after${machine.note ? `; ${machine.note}` : ''}).`,
  ];
  return lines.join('\n') + '\n';
}

function printTable(rows: Row[]): void {
  const cols: Array<keyof Row> = ['metric', 'watch', 'base', 'ratio', 'target', 'met'];
  const heads: Record<keyof Row, string> = {
    metric: 'metric',
    watch: 'watch',
    base: 'baseline / floor',
    ratio: 'ratio',
    target: 'target',
    met: 'met?',
  };
  const width = (k: keyof Row) => Math.max(heads[k].length, ...rows.map((r) => r[k].length));
  const line = (r: Record<keyof Row, string>) => cols.map((k) => r[k].padEnd(width(k))).join(' │ ');
  console.log('\n' + line(heads));
  console.log(cols.map((k) => '─'.repeat(width(k))).join('─┼─'));
  for (const r of rows) console.log(line(r));
}

// ---- main --------------------------------------------------------------------------------------

interface Machine {
  cpuModel: string;
  cores: number;
  ramGb: number;
  node: string;
  temporal: string;
  date: string;
  loadBefore: number[];
  loadAfter: number[];
  wallMin: number;
  sqlite?: string;
  note?: string;
}

interface Results {
  mode: 'quick' | 'full';
  machine: Machine;
  settings: typeof SETTINGS;
  targets: typeof TARGETS;
  history?: HistoryResult;
  replay?: ReplayResult;
  decision?: DecisionResult;
  throughput?: ThroughputResult;
  density?: DensityResult;
  table?: Row[];
}

async function main(): Promise<void> {
  const t0 = Date.now();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const note = process.env.BENCH_NOTE;
  const machine: Machine = {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ramGb: r1(totalmem() / 1024 ** 3),
    node: process.version,
    temporal: (() => {
      try {
        return execFileSync(temporalBinary(), ['--version'], { encoding: 'utf8' })
          .trim()
          .replace(/^temporal version /, 'temporal CLI ');
      } catch {
        return 'temporal CLI (version unknown)';
      }
    })(),
    date: new Date().toISOString(),
    loadBefore: loadavg().map(r2),
    loadAfter: [],
    wallMin: 0,
    ...(note ? { note } : {}),
  };
  const results: Results = { mode: QUICK ? 'quick' : 'full', machine, settings: SETTINGS, targets: TARGETS };
  log(
    `bench (${results.mode}): ${[...ONLY].join(', ')}; ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGb} GB, Node ${machine.node}, ${machine.temporal}`,
  );

  // The dev server's SQLite file on tmpfs by default: this VM's disk would otherwise bound every
  // figure (writes), and the bench measures the workflow machinery. --db-on-disk puts it on disk.
  const onDisk = argv.includes('--db-on-disk') || !existsSync('/dev/shm');
  const dir = mkdtempSync(join(onDisk ? tmpdir() : '/dev/shm', 'rw-bench-'));
  machine.sqlite = onDisk ? `file on disk (${tmpdir()})` : 'file on tmpfs (/dev/shm)';
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const bundles: Record<'watch' | 'baseline', string> = { watch: join(dir, 'watch-bundle.js'), baseline: join(dir, 'baseline-bundle.js') };
  for (const [kind, path] of Object.entries(bundles)) {
    const options = kind === 'watch' ? bundleOptions : { workflowsPath: require.resolve('./baseline-workflows') };
    writeFileSync(path, (await bundleWorkflowCode({ ...options, logger: new DefaultLogger('WARN') })).code);
  }

  const server: DevServer = await startDevServer({ dbFile: join(dir, 'temporal.sqlite'), ui: false });
  cleanups.push(() => server.stop());
  log(`dev server at ${server.address} (SQLite file in ${dir})`);
  const connection = await Connection.connect({ address: server.address });
  cleanups.push(() => connection.close());
  const ctx: Ctx = {
    client: new Client({ connection }),
    serverPid: server.process.pid!,
    address: server.address,
    watchBundle: bundles.watch,
    baselineBundle: bundles.baseline,
    keys: makeKeys(),
    stamp: Date.now().toString(36),
  };

  if (ONLY.has('history') || ONLY.has('decision')) {
    const watchWorker = await newWorker(ctx, 'main', 'watch', 2000);
    const baseWorker = await newWorker(ctx, 'base', 'baseline', 2000);
    if (ONLY.has('history')) {
      const { result, runs } = await historyPhase(ctx, watchWorker);
      results.history = result;
      // BENCH_SAVE_HISTORY=file.json keeps the 48 h history (the runs' events), e.g. to profile its replay.
      if (process.env.BENCH_SAVE_HISTORY)
        writeFileSync(
          process.env.BENCH_SAVE_HISTORY,
          JSON.stringify({
            workflowId: result.workflowId,
            runs: runs.map((r) => JSON.parse(historyToJSON({ events: r.events })) as unknown),
          }),
        );
      if (ONLY.has('replay')) {
        const base = await baselineHistory(ctx, baseWorker, result.events);
        results.replay = await replayPhase(ctx, result.workflowId, runs, base);
      }
    }
    if (ONLY.has('decision')) results.decision = await decisionPhase(ctx, watchWorker, baseWorker);
    await Promise.all([watchWorker.stop(), baseWorker.stop()]);
  }
  if (ONLY.has('throughput')) results.throughput = await throughputPhase(ctx);
  if (ONLY.has('density')) results.density = await densityPhase(ctx);

  machine.loadAfter = loadavg().map(r2);
  machine.wallMin = r1((Date.now() - t0) / 60_000);
  const rows = tableRows(results);
  results.table = rows;
  printTable(rows);
  const md = markdown(rows, machine, QUICK);
  writeFileSync(join(__dirname, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(__dirname, 'README-table.md'), md);
  console.log(`\nwritten: bench/results.json, bench/README-table.md (${machine.wallMin} min)`);
}

/** `--retable`: the table and README-table.md again from bench/results.json, without running anything. */
function retable(): void {
  const results = JSON.parse(readFileSync(join(__dirname, 'results.json'), 'utf8')) as Results;
  const rows = tableRows(results);
  results.table = rows;
  printTable(rows);
  writeFileSync(join(__dirname, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(__dirname, 'README-table.md'), markdown(rows, results.machine, results.mode === 'quick'));
}

(argv.includes('--retable') ? Promise.resolve().then(retable) : main())
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
