// `npm run bench` (issues 6 and 19; not part of the tests): the watch workflow on the real dev server
// against two baselines, in one run: a bare one (a timer and a no-op activity per tick) and one of the
// watch's own shape (per slot as many no-op activities as the watch runs checks, on the same timers);
// throughput, server CPU and events per watch-hour, history size, density, the round trip of people's
// answers, replay.
//
//   npm run bench                 # the full form, about 24 minutes
//   npm run bench -- --quick      # about 4 minutes
//   npm run bench -- --only history,replay   # some phases (a name list; replay brings history)
//   npm run bench -- --density 500,2000      # the density ramp's levels (watches)
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
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { format, resolveConfig } from 'prettier';
import { decide, startWatch } from '../client/watches';
import { startDevServer, temporalBinary, type DevServer } from '../client/devserver';
import type { Decide } from '../core/messages';
import { checksOf, initialSchedule, tiersDueAt } from '../core/schedule';
import { watchHours } from '../plan/duration';
import type { Plan } from '../plan/schema';
import { statusQuery } from '../workflows/definitions';
import { answersPhase, type AnswerKind, type AnswersResult } from './answers';
import type { BaselineInput, ShapeInput } from './baseline-workflows';
import { cleanups, log, mapLimit, MB, newWorker, procCpuMs, r0, r1, r2, r3, release, sleep, terminateAll, type Ctx } from './common';
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
import { makeKeys, signedDecision, symphonyPlan } from './plans';
import { bundleOptions } from '../worker/bundle';
import type { BenchWorker } from './worker';

// ---- settings ---------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const PHASES = ['history', 'replay', 'answers', 'throughput', 'density'] as const;
type Phase = (typeof PHASES)[number];
/** `--name value` or `--name=value`. */
function option(name: string): string | undefined {
  const arg = argv.find((a) => a === name || a.startsWith(`${name}=`));
  return arg ? (arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[argv.indexOf(arg) + 1]) : undefined;
}
const onlyList = option('--only')?.replace(/\bdecision\b/, 'answers');
const ONLY = new Set<Phase>((onlyList?.split(',') as Phase[] | undefined) ?? PHASES);
for (const p of ONLY) if (!PHASES.includes(p)) throw new Error(`--only: no phase "${p}" (phases: ${PHASES.join(', ')})`);
if (ONLY.has('replay')) ONLY.add('history');
const densityLevels = option('--density')
  ?.split(',')
  .map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--density: "${x}" is not a number of watches`);
    return n;
  });

const SETTINGS = {
  ...(QUICK
    ? {
        historyHour: '200ms',
        replay: { copies: 6, rounds: 2 },
        answers: { watches: 40, warmup: 5, hour: '3600s', gapMs: 150 },
        throughput: { concurrency: 150, hour: '50ms', tickMs: 50, warmupS: 8, windowS: 12, rounds: 1 },
        density: { hour: '20s', levels: [100, 250], sample: 100, maxDrainS: 30 },
      }
    : {
        historyHour: '200ms',
        replay: { copies: 11, rounds: 6 },
        // 600 per kind: the p99 is then the 6th-slowest sample, not the 3rd (one outlier moved it 10–25%).
        answers: { watches: 600, warmup: 5, hour: '7200s', gapMs: 150 },
        throughput: { concurrency: 200, hour: '50ms', tickMs: 50, warmupS: 10, windowS: 25, rounds: 2 },
        density: { hour: '60s', levels: [250, 500, 1000, 2000], sample: 200, maxDrainS: 90 },
      }),
};
if (densityLevels) SETTINGS.density.levels = densityLevels;

const TARGETS = {
  throughputRatio: 0.8,
  /** Server CPU per watch-hour against the same-shape floor. */
  serverCpuPerHourRatio: 1.0,
  historyRatio: 1.15,
  fullWatchEvents: 10_240,
  densityWatches: 2000,
  scheduleToStartP99Ms: 1000,
  rssPerWatchMb: 0.5,
  answerRatio: 1.2,
  replayRatio: 1.5,
};

// ---- cleanup: everything started is stopped, also on Ctrl-C -----------------------------------

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
 * at which something is due (after hour 0); one activity per tier run (a slot's checks together:
 * their results in its own), each daily report, the final report, and one notification per
 * checkpoint (asking for its decision); one update per checkpoint decision; and a workflow task to
 * start, per timer fired, per stage of activities completing together (a tier run, a report, a
 * checkpoint's notification) and per update.
 */
function floorOf(plan: Plan): Floor {
  const schedule = initialSchedule(plan);
  let timers = 0;
  let tierRuns = 0;
  let reports = 0;
  let asks = 0;
  let stages = 0;
  for (let h = 0; h <= schedule.endHour; h++) {
    const tiers = tiersDueAt(plan, h, schedule);
    const cps = plan.checkpoints.filter((c) => watchHours(c.at) === h);
    if (tiers.length === 0 && cps.length === 0) continue;
    if (h > 0) timers++;
    if (tiers.length) {
      tierRuns++;
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
  const activities = tierRuns + reports + asks + finalReport;
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
      `2 (start, complete) + 2 × ${timers} timers + 3 × ${activities} activities (${tierRuns} tier runs, ${reports} daily reports, ${finalReport} final report, ${asks} checkpoint notifications)` +
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
    if (name === 'runTier' || name === 'writeReport' || kind === 'checkpoint-open') floorActivityIds.add(Number(e.eventId));
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

// ---- throughput --------------------------------------------------------------------------------

type Kind = 'watch' | 'baseline' | 'shape';

interface ThroughputRound {
  kind: Kind;
  concurrency: number;
  windowS: number;
  tasks: number;
  tasksPerS: number;
  workerCpuMs: number;
  serverCpuMs: number;
  cpuMsPerTask: number;
  serverCpuMsPerTask: number;
  workerCpuPct: number;
  serverCpuPct: number;
  workflows: number;
  activitiesPerS: number;
  eventsPerS: number;
  activitiesPerTask: number;
  /** Watch-hours run in the window: slots begun (a watch's tier run, a shape's slot, a bare tick). */
  hours: number;
  hoursPerS: number;
  serverCpuMsPerHour: number;
  workerCpuMsPerHour: number;
  eventsPerHour: number;
  activitiesPerHour: number;
  tasksPerHour: number;
}

interface KindFigures {
  tasksPerS: number;
  cpuMsPerTask: number;
  serverCpuMsPerTask: number;
  eventsPerS: number;
  hoursPerS: number;
  serverCpuMsPerHour: number;
  workerCpuMsPerHour: number;
  eventsPerHour: number;
  activitiesPerHour: number;
  tasksPerHour: number;
}

interface ThroughputResult {
  watch: KindFigures;
  /** The bare baseline: one timer and one no-op per tick (information, and the old throughput line). */
  baseline: KindFigures;
  /** The same-shape floor: per slot as many no-ops as the watch runs checks, on the watch's timers. */
  shape?: KindFigures;
  ratio: number;
  cpuRatio: number;
  rounds: ThroughputRound[];
  method: string;
}

/** The watch's slots under the throughput plan: each watch hour with something due, and its checks. */
function shapeOf(plan: Plan): ShapeInput['slots'] {
  const schedule = initialSchedule(plan);
  const slots: ShapeInput['slots'] = [];
  for (let h = 0; h <= schedule.endHour; h++) {
    const tiers = tiersDueAt(plan, h, schedule);
    if (tiers.length) slots.push({ hour: h, checks: checksOf(plan, tiers).length });
  }
  return slots;
}

/** The watch hour a slot's activity belongs to: a tier run's (or, in code before it, a check's) hour, a no-op's argument. */
function slotOf(e: HistoryEvent): number | undefined {
  const a = e.activityTaskScheduledEventAttributes;
  const name = a?.activityType?.name;
  if (name !== 'runTier' && name !== 'runCheck' && name !== 'noop') return undefined;
  const input = payloadValue<unknown>(a!.input?.payloads?.[0]);
  return name === 'noop' ? Number(input) : (input as { hour: number }).hour;
}

async function throughputRound(ctx: Ctx, kind: Kind, round: number): Promise<ThroughputRound> {
  const s = SETTINGS.throughput;
  const worker = await newWorker(ctx, `tp-${kind}-${round}`, kind === 'watch' ? 'watch' : 'baseline', 2000);
  // A watch without checkpoints (nobody answers them under load), otherwise the Symphony plan: it
  // ticks through its 48 h as fast as the worker lets it, and each finished watch is replaced; so is
  // each finished shape workflow.
  const plan = symphonyPlan(s.hour, ctx.keys, (raw) => {
    raw.checkpoints = [];
  });
  const shape: ShapeInput = { slots: shapeOf(plan), hourMs: watchHours(plan.clock.hour) * 3_600_000 };
  const ids: Array<{ workflowId: string; runId: string }> = [];
  let stopping = false;
  let seq = 0;
  const pending = new Set<Promise<unknown>>();
  const replaceWhenDone = (workflowId: string) =>
    pending.add(
      ctx.client.workflow
        .getHandle(workflowId)
        .result()
        .then(
          () => launch(),
          () => undefined,
        ),
    );
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
      replaceWhenDone(st.workflowId);
    } else if (kind === 'shape') {
      const workflowId = `shape-tp-${ctx.stamp}-${round}-${i}`;
      const h = await ctx.client.workflow.start('shapeWorkflow', { taskQueue: worker.taskQueue, workflowId, args: [shape] });
      ids.push({ workflowId, runId: h.firstExecutionRunId });
      replaceWhenDone(workflowId);
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
  let hours = 0;
  await mapLimit(ids, 10, async ({ workflowId, runId }) => {
    const runs = await fetchRuns(ctx.client, workflowId, runId);
    for (const r of runs) {
      tasks += tasksCompleted(r.events, t0, t1);
      const inWindow = r.events.filter((e) => eventMs(e) >= t0 && eventMs(e) < t1);
      events += inWindow.length;
      activities += inWindow.filter((e) => e.activityTaskCompletedEventAttributes).length;
      // A slot is begun when its first activity is scheduled; the shape's no-ops of one slot share its hour.
      hours += new Set(inWindow.map(slotOf).filter((h) => h !== undefined)).size;
    }
  });
  const windowS = (t1 - t0) / 1000;
  const cpu = s1.cpuMs - s0.cpuMs;
  const server = server1 - server0;
  const out: ThroughputRound = {
    kind,
    concurrency: s.concurrency,
    windowS: r1(windowS),
    tasks,
    tasksPerS: r1(tasks / windowS),
    workerCpuMs: r0(cpu),
    serverCpuMs: r0(server),
    cpuMsPerTask: r3(cpu / tasks),
    serverCpuMsPerTask: r3(server / tasks),
    workerCpuPct: r1((cpu / (t1 - t0)) * 100),
    serverCpuPct: r1((server / (t1 - t0)) * 100),
    workflows: ids.length,
    activitiesPerS: r1(activities / windowS),
    eventsPerS: r1(events / windowS),
    activitiesPerTask: r2(activities / tasks),
    hours,
    hoursPerS: r1(hours / windowS),
    serverCpuMsPerHour: r3(server / hours),
    workerCpuMsPerHour: r3(cpu / hours),
    eventsPerHour: r2(events / hours),
    activitiesPerHour: r2(activities / hours),
    tasksPerHour: r2(tasks / hours),
  };
  log(
    `throughput ${kind} round ${round + 1}: ${out.tasksPerS} workflow tasks/s, ${out.hoursPerS} watch-hours/s, ${out.activitiesPerS} activities/s, ${out.eventsPerS} events/s; ` +
      `CPU per task: worker ${out.cpuMsPerTask} ms, server ${out.serverCpuMsPerTask} ms; per watch-hour: server ${out.serverCpuMsPerHour} ms, worker ${out.workerCpuMsPerHour} ms, ` +
      `${out.eventsPerHour} events, ${out.activitiesPerHour} activities; CPU: worker ${out.workerCpuPct}%, server ${out.serverCpuPct}% of a core; ${ids.length} workflows`,
  );
  return out;
}

async function throughputPhase(ctx: Ctx): Promise<ThroughputResult> {
  const s = SETTINGS.throughput;
  log(
    `throughput: ${s.concurrency} watches (${s.hour} watch hours, no checkpoints) vs ${s.concurrency} same-shape workflows and ${s.concurrency} bare baselines (${s.tickMs} ms ticks), ` +
      `each on a fresh worker; ${s.warmupS} s warm-up, ${s.windowS} s window, ${s.rounds} round(s)`,
  );
  const rounds: ThroughputRound[] = [];
  for (let round = 0; round < s.rounds; round++) {
    // Rotate which goes first, so a busier moment on a shared machine does not favour one.
    const kinds: Kind[] = ['watch', 'shape', 'baseline'];
    const order = [...kinds.slice(round % 3), ...kinds.slice(0, round % 3)];
    for (const kind of order) rounds.push(await throughputRound(ctx, kind, round));
  }
  const agg = (kind: Kind): KindFigures => {
    const rs = rounds.filter((r) => r.kind === kind);
    const sum = (f: (r: ThroughputRound) => number) => rs.reduce((a, r) => a + f(r), 0);
    const tasks = sum((r) => r.tasks);
    const secs = sum((r) => r.windowS);
    const hours = sum((r) => r.hours);
    const cpu = sum((r) => r.workerCpuMs);
    const server = sum((r) => r.serverCpuMs);
    const events = sum((r) => r.eventsPerS * r.windowS);
    const activities = sum((r) => r.activitiesPerS * r.windowS);
    return {
      tasksPerS: r1(tasks / secs),
      cpuMsPerTask: r3(cpu / tasks),
      serverCpuMsPerTask: r3(server / tasks),
      eventsPerS: r1(events / secs),
      hoursPerS: r1(hours / secs),
      serverCpuMsPerHour: r3(server / hours),
      workerCpuMsPerHour: r3(cpu / hours),
      eventsPerHour: r2(events / hours),
      activitiesPerHour: r2(activities / hours),
      tasksPerHour: r2(tasks / hours),
    };
  };
  const watch = agg('watch');
  const baseline = agg('baseline');
  return {
    watch,
    baseline,
    shape: agg('shape'),
    ratio: r3(watch.tasksPerS / baseline.tasksPerS),
    cpuRatio: r3(baseline.cpuMsPerTask / watch.cpuMsPerTask),
    rounds,
    method:
      'workflow tasks completed (WorkflowTaskCompleted events in the window, from every history) per second at saturation; ' +
      'many workflows each, because the dev server fires a timer ~150 ms after it is due whatever its length, so a few baselines wait rather than load it; ' +
      "a watch-hour is a slot begun in the window (the first activity of its hour scheduled: a tier run, a shape slot's no-ops, a bare tick); " +
      'server CPU from /proc of the dev server, worker CPU from the worker process; cpuRatio = baseline worker CPU per task / watch worker CPU per task',
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
  /** While the level's new watches start (over one watch hour): schedule-to-start of the tasks scheduled then. */
  starting: { tasks: number; p50: number; p99: number; max: number };
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

/** Has this watch finished its hour-0 checks (its tier run done, nothing in flight, waiting for its next hour)? */
async function settled(ctx: Ctx, id: string): Promise<boolean> {
  const events = (await ctx.client.workflow.getHandle(id).fetchHistory()).events ?? [];
  const probes = new Set(
    events
      .filter((e) => /^run(Tier|Check)$/.test(e.activityTaskScheduledEventAttributes?.activityType?.name ?? ''))
      .map((e) => Number(e.eventId)),
  );
  const completed = events.filter((e) => probes.has(Number(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? NaN))).length;
  // One tier run (or, in code before it, every check of hour 0 as its own activity).
  const done = completed > 0 && completed === probes.size;
  const last = events[events.length - 1];
  return done && !!last && !/^(WorkflowTask(Scheduled|Started)|ActivityTask\w+)$/.test(eventName(last));
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
    const tStarted = Date.now();
    const startS = (tStarted - tStart) / 1000;
    // Wait until the newest watches have run their hour 0: what the window sees is holding.
    const tDrain = Date.now();
    const newest = ids.slice(-5);
    while (Date.now() - tDrain < s.maxDrainS * 1000) {
      const ok = await Promise.all(newest.map((id) => settled(ctx, id).catch(() => false)));
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
    const starting: number[] = [];
    await mapLimit(sample, 10, async (id) => {
      const events = (await ctx.client.workflow.getHandle(id).fetchHistory()).events ?? [];
      lat.push(...scheduleToStart(events, t0, t1));
      starting.push(...scheduleToStart(events, tStart, tStarted));
    });
    const p99 = quantile(lat, 0.99);
    const startP99 = quantile(starting, 0.99);
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
      starting: { tasks: starting.length, p50: r0(quantile(starting, 0.5)), p99: r0(startP99), max: r0(Math.max(...starting)) },
      rssMb: r1(c1.rss / MB),
      cached: c1.cached,
      rssPerWatchMb: r3((c1.rss - base.rss) / Math.max(1, c1.cached) / MB),
      marginalMbPerWatch: r3((c1.rss - before.rss) / Math.max(1, c1.cached - before.cached) / MB),
      workerCpuPct: r1(((c1.cpuMs - c0.cpuMs) / (c1.at - c0.at)) * 100),
      serverCpuPct: r1(((server1 - server0) / (t1 - t0)) * 100),
      ok: p99 < TARGETS.scheduleToStartP99Ms && startP99 < TARGETS.scheduleToStartP99Ms,
    };
    levels.push(row);
    before = c1;
    log(
      `density ${row.watches}: started in ${row.startS} s (schedule-to-start meanwhile p50 ${row.starting.p50} p99 ${row.starting.p99} max ${row.starting.max} ms, ${row.starting.tasks} tasks), settled in ${row.drainS} s; ` +
        `then schedule-to-start p50 ${row.p50} p99 ${row.p99} max ${row.max} ms (${row.tasks} tasks of ${row.sampled} watches); ` +
        `RSS ${row.rssMb} MB, ${row.cached} cached, ${row.rssPerWatchMb} MB/watch (marginal ${row.marginalMbPerWatch}); CPU: worker ${row.workerCpuPct}%, server ${row.serverCpuPct}% of a core`,
    );
    // The ramp goes on past a level that did not hold: the memory at the top is a figure of its own.
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
      "schedule-to-start = WorkflowTaskScheduled → WorkflowTaskStarted of the tasks scheduled in that hour (and, apart, of those scheduled while the level's watches started), " +
      'from the histories of a random sample; a level holds when both p99 are under the target; ' +
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
    const f = t.shape;
    if (f) {
      // Against the floor of the watch's own shape, per watch-hour (one slot each).
      const perHour = (x: KindFigures) => (cores * 1000) / (x.workerCpuMsPerHour + x.serverCpuMsPerHour);
      const [hw, hf] = [perHour(t.watch), perHour(f)];
      rows.push({
        metric: `throughput: watch-hours/s ${cores} cores sustain, CPU-bound, against the same-shape floor`,
        watch: `${r1(hw)}/s (${t.watch.workerCpuMsPerHour} + ${t.watch.serverCpuMsPerHour} ms worker + server)`,
        base: `${r1(hf)}/s (${f.workerCpuMsPerHour} + ${f.serverCpuMsPerHour} ms, same shape)`,
        ratio: `${r3(hw / hf)}×`,
        target: '(info)',
        met: '',
      });
      const cpuRatio = r3(t.watch.serverCpuMsPerHour / f.serverCpuMsPerHour);
      rows.push({
        metric: 'server CPU per watch-hour, against the same-shape floor',
        watch: `${t.watch.serverCpuMsPerHour} ms (${t.watch.tasksPerHour} tasks, ${t.watch.activitiesPerHour} activities)`,
        base: `${f.serverCpuMsPerHour} ms (${f.tasksPerHour} tasks, ${f.activitiesPerHour} activities; bare: ${t.baseline.serverCpuMsPerHour} ms)`,
        ratio: `${cpuRatio}×`,
        target: `≤ ${TARGETS.serverCpuPerHourRatio}×`,
        met: verdict(cpuRatio, TARGETS.serverCpuPerHourRatio, false),
      });
      rows.push({
        metric: 'events per watch-hour, against the same-shape floor',
        watch: `${t.watch.eventsPerHour}`,
        base: `${f.eventsPerHour} (same shape; bare: ${t.baseline.eventsPerHour})`,
        ratio: `${r3(t.watch.eventsPerHour / f.eventsPerHour)}×`,
        target: '(info)',
        met: '',
      });
    }
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
      metric: `density: concurrent watches, schedule-to-start p99 < 1 s while they start and after (hour = ${d.hour})`,
      watch: `${fmtN(d.held)} (p99 ${d.atTop.starting?.p99 ?? '–'} ms starting, ${d.atTop.p99} ms after, at ${fmtN(d.atTop.watches)})`,
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
  const a = r.answers;
  if (a) {
    const names: Record<AnswerKind, string> = { decision: 'decision', ack: 'acknowledgement', approval: 'approval' };
    for (const [kind, v] of Object.entries(a.answers) as Array<[AnswerKind, AnswersResult['answers'][AnswerKind]]>) {
      for (const which of ['first', 'later'] as const) {
        const ratio = which === 'first' ? v.firstRatio : v.laterRatio;
        const samePass = which === 'first' ? v.firstSamePassRatio : v.laterSamePassRatio;
        rows.push({
          metric: `answer round trip p50 / p99: ${which === 'first' ? 'a first' : 'a later'} ${names[kind]}${a.signed ? ' (signed)' : ''}`,
          watch: `${v[which].p50} / ${v[which].p99} ms`,
          base: `${a.echo.p50} / ${a.echo.p99} ms (echo)`,
          ratio: `${ratio}× (p99; p50 ${which === 'first' ? v.firstP50Ratio : v.laterP50Ratio}×${samePass !== undefined ? `; its pass's echo ${samePass}×` : ''})`,
          target: `≤ ${TARGETS.answerRatio}×`,
          met: verdict(ratio, TARGETS.answerRatio, false),
        });
      }
    }
    rows.push({
      metric: 'answer round trip p50 / p99: refused decision',
      watch: `${a.refused.p50} / ${a.refused.p99} ms`,
      base: `${a.echo.p50} / ${a.echo.p99} ms (echo)`,
      ratio: `${a.refusedRatio}× (p99)`,
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
  answers?: AnswersResult;
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

  const shared = { watchBundle: bundles.watch, baselineBundle: bundles.baseline, keys: makeKeys(), stamp: Date.now().toString(36) };
  // Each phase on a dev server of its own, with a new SQLite file: a phase then does not inherit the
  // rows, history shards and backlog of the phases before it (the density phase, run last on the one
  // server of earlier benches, measured that server at 62–96% of a core at 250 watches, against 11–14%
  // on a fresh one).
  const onFreshServer = async <T>(phase: string, run: (ctx: Ctx) => Promise<T>): Promise<T> => {
    const dbFile = join(dir, `${phase}.sqlite`);
    const server: DevServer = await startDevServer({ dbFile, ui: false });
    cleanups.push(() => server.stop());
    log(`${phase}: dev server at ${server.address} (SQLite file ${dbFile})`);
    const connection = await Connection.connect({ address: server.address });
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await connection.close();
    };
    cleanups.push(close);
    try {
      return await run({ ...shared, client: new Client({ connection }), serverPid: server.process.pid!, address: server.address });
    } finally {
      await close();
      await server.stop();
      rmSync(dbFile, { force: true });
    }
  };
  const pair = async (ctx: Ctx) => {
    const watchWorker = await newWorker(ctx, 'main', 'watch', 2000);
    const baseWorker = await newWorker(ctx, 'base', 'baseline', 2000);
    return { watchWorker, baseWorker, stop: () => Promise.all([watchWorker.stop(), baseWorker.stop()]) };
  };

  if (ONLY.has('history'))
    await onFreshServer('history', async (ctx) => {
      const { watchWorker, baseWorker, stop } = await pair(ctx);
      const { result, runs } = await historyPhase(ctx, watchWorker);
      results.history = result;
      const base = ONLY.has('replay') ? await baselineHistory(ctx, baseWorker, result.events) : undefined;
      // BENCH_SAVE_HISTORY=file.json keeps the 48 h history (the runs' events) and the baseline's one for
      // replay, e.g. to profile the replays.
      if (process.env.BENCH_SAVE_HISTORY) {
        const json = (r: Run) => JSON.parse(historyToJSON({ events: r.events })) as unknown;
        writeFileSync(
          process.env.BENCH_SAVE_HISTORY,
          JSON.stringify({ workflowId: result.workflowId, runs: runs.map(json), ...(base ? { baseline: json(base) } : {}) }),
        );
      }
      await stop();
      if (base) results.replay = await replayPhase(ctx, result.workflowId, runs, base);
    });
  if (ONLY.has('answers'))
    await onFreshServer('answers', async (ctx) => {
      const { watchWorker, baseWorker, stop } = await pair(ctx);
      results.answers = await answersPhase(ctx, SETTINGS.answers, watchWorker, baseWorker);
      await stop();
    });
  if (ONLY.has('throughput')) results.throughput = await onFreshServer('throughput', throughputPhase);
  if (ONLY.has('density')) results.density = await onFreshServer('density', densityPhase);

  machine.loadAfter = loadavg().map(r2);
  machine.wallMin = r1((Date.now() - t0) / 60_000);
  await writeResults(results);
  console.log(`\nwritten: bench/results.json, bench/README-table.md (${machine.wallMin} min)`);
}

/**
 * The table printed, then bench/results.json (with the table) and README-table.md, the latter as the
 * project's prettier lays it out so a fresh run's table passes the format check.
 */
async function writeResults(results: Results): Promise<void> {
  const rows = tableRows(results);
  results.table = rows;
  printTable(rows);
  writeFileSync(join(__dirname, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  const path = join(__dirname, 'README-table.md');
  const md = markdown(rows, results.machine, results.mode === 'quick');
  writeFileSync(path, await format(md, { ...(await resolveConfig(path)), filepath: path }));
}

/** `--retable`: the table and README-table.md again from bench/results.json, without running anything. */
async function retable(): Promise<void> {
  await writeResults(JSON.parse(readFileSync(join(__dirname, 'results.json'), 'utf8')) as Results);
}

(argv.includes('--retable') ? retable() : main())
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
