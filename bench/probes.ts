// Do a tier's checks really run side by side? Ten http checks with different delays, run the way the
// watch runs a tier (one runTier activity, its checks in parallel inside), in process and then on the
// real dev server.
// Run: npx tsx bench/probes.ts   (writes bench/results-probes.json; not part of the tests)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createRunCheck } from '../activities/checks';
import { createRunTier } from '../activities/tiers';

const activities = createActivities();
const runTier = createRunTier(createRunCheck(process.env));
import { startWatch, watchStatusOf } from '../client/watches';
import type { CheckResult, TierRequest, TierResult } from '../core/messages';
import { Check, type CheckSpec, type Plan } from '../plan/schema';
import { startSimulator, type Simulator } from '../sim';
import { demoPlan } from '../test/helpers/plans';
import { toolPaths, workflowBundle } from '../test/helpers/servers';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions';

/** Simulated delay of each check's endpoint (ms): /health/fast under the `slow` fault. */
const DELAYS_MS = [20, 40, 60, 80, 100, 120, 140, 160, 180, 200];
const TIME_SCALE = 1 / 30;
const IN_PROCESS_ROUNDS = 10;
const WATCH_HOURS = 10;
const WATCH_HOUR_MS = 1000;
const TARGET = (slowestMs: number) => 1.1 * slowestMs + 50;

interface InProcessRow {
  round: number;
  wallMs: number;
  slowestMs: number;
  sumMs: number;
  ratio: number;
  targetMs: number;
  ok: boolean;
}

interface DevServerRow {
  hour: number;
  /** Slot (watch start + hour × hour length) to the workflow task that woke the watch for it (timer fired). */
  slotToWokeMs: number;
  /** Slot to the runTier scheduled. */
  slotToScheduledMs: number;
  /** Woken for the slot to the tier's results recorded: what running the tier itself costs. */
  wokeToRecordedMs: number;
  /** Slot to the workflow task that recorded the tier's results (after the last completion). */
  slotToRecordedMs: number;
  /** runTier scheduled to completed, from the history's event times. */
  scheduledToLastCompletedMs: number;
  /** The slowest probe's own duration (CheckResult.durationMs). */
  slowestMs: number;
  /** The tier's activity from its started to its completed event. */
  slowestActivityMs: number;
  /** wokeToRecordedMs - slowest probe. */
  overheadMs: number;
  ratio: number;
  /** wokeToRecordedMs within the target (1.1 × slowest + 50 ms). */
  ok: boolean;
}

/**
 * The dev server as the tests start it, and with `history.timerProcessorMaxTimeShift` lowered: by
 * default (1 s) the server fires a timer due within the next second up to a second late.
 */
const SERVERS: Array<{ name: string; extraArgs: string[] }> = [
  { name: 'dev server (defaults, as devServerEnv)', extraArgs: [] },
  {
    name: 'dev server, history.timerProcessorMaxTimeShift=10ms',
    extraArgs: ['--dynamic-config-value', 'history.timerProcessorMaxTimeShift="10ms"'],
  },
];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-'));
  // One simulator per delay: the `slow` fault delays every /health/fast of a simulator alike.
  const sims: Simulator[] = [];
  for (const [i, ms] of DELAYS_MS.entries()) {
    const sim = await startSimulator({ dir: join(dir, `sim-${i}`), timeScale: TIME_SCALE });
    sim.setFault('slow', { seconds: ms / 1000 / TIME_SCALE });
    sims.push(sim);
  }
  const checks: Record<string, CheckSpec> = Object.fromEntries(
    sims.map((sim, i) => [
      `probe-${String(DELAYS_MS[i]).padStart(3, '0')}ms`,
      Check.parse({
        description: `GET /health/fast, ${DELAYS_MS[i]} ms simulated delay`,
        severity: 'low',
        category: 'performance',
        probe: { kind: 'http', url: `${sim.url}/health/fast`, timeout: '5s' },
        conditions: ['[STATUS] == 200', '[BODY].sixWord != ""'],
        metric: '[RESPONSE_TIME]',
      }) as CheckSpec,
    ]),
  );

  try {
    const inProcess = await benchInProcess(checks);
    const devServers: Array<{ name: string; slots: DevServerRow[] }> = [];
    for (const server of SERVERS) devServers.push({ name: server.name, slots: await benchDevServer(checks, server.extraArgs) });
    report(inProcess, devServers);
    const summary = {
      at: new Date().toISOString(),
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      delaysMs: DELAYS_MS,
      target: 'wall ≤ 1.1 × slowest probe + 50 ms',
      inProcess: {
        rounds: inProcess,
        ...stats(
          inProcess.map((r) => r.wallMs - r.slowestMs),
          'overheadMs',
        ),
        allOk: inProcess.every((r) => r.ok),
      },
      devServer: devServers.map((d) => ({
        server: d.name,
        hourMs: WATCH_HOUR_MS,
        ...stats(
          d.slots.map((r) => r.slotToWokeMs),
          'timerLateMs',
        ),
        ...stats(
          d.slots.map((r) => r.overheadMs),
          'overheadMs',
        ),
        ...stats(
          d.slots.map((r) => r.ratio),
          'ratio',
        ),
        allWithinTarget: d.slots.every((r) => r.ok),
        slots: d.slots,
      })),
    };
    writeFileSync(join(__dirname, 'results-probes.json'), JSON.stringify(summary, null, 2) + '\n');
    console.log(`\nwritten: ${join(__dirname, 'results-probes.json')}`);
  } finally {
    await Promise.all(sims.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}

function request(checks: Record<string, CheckSpec>, hour: number): TierRequest {
  return {
    watchId: 'bench',
    hour,
    tiers: ['bench'],
    vars: {},
    release: { service: 'symphony', version: 'bench', deployedAt: new Date().toISOString() },
    checks: Object.entries(checks).map(([checkId, check]) => ({ checkId, check, triggers: [] })),
  };
}

async function benchInProcess(checks: Record<string, CheckSpec>): Promise<InProcessRow[]> {
  // Warm-up: first connections, JIT.
  await runTier(request(checks, 0));
  const rows: InProcessRow[] = [];
  for (let round = 1; round <= IN_PROCESS_ROUNDS; round++) {
    const t0 = performance.now();
    const { results } = await runTier(request(checks, round));
    const wallMs = performance.now() - t0;
    const bad = results.filter((r) => r.outcome !== 'ok');
    if (bad.length) throw new Error(`probe not ok: ${bad.map((r) => `${r.checkId}: ${r.reason}`).join('; ')}`);
    const slowestMs = Math.max(...results.map((r) => r.durationMs));
    const sumMs = results.reduce((a, r) => a + r.durationMs, 0);
    rows.push({
      round,
      wallMs: r1(wallMs),
      slowestMs: r1(slowestMs),
      sumMs: r1(sumMs),
      ratio: r3(wallMs / slowestMs),
      targetMs: r1(TARGET(slowestMs)),
      ok: wallMs <= TARGET(slowestMs),
    });
  }
  return rows;
}

async function benchDevServer(checks: Record<string, CheckSpec>, extraArgs: string[]): Promise<DevServerRow[]> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: toolPaths().temporal },
      searchAttributes: SEARCH_ATTRIBUTES,
      extraArgs: ['--log-level', 'error', ...extraArgs],
    },
  });
  const taskQueue = `bench-probes-${Date.now()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  const running = worker.run();
  try {
    const demo = demoPlan({ hour: `${WATCH_HOUR_MS}ms`, duration: `${WATCH_HOURS}h` });
    const ids = Object.keys(checks);
    const plan = {
      ...demo,
      checks: { ...demo.checks, ...checks },
      tiers: { bench: { description: 'ten http probes', every: '1h', from: '0h', to: `${WATCH_HOURS}h`, checks: ids, report: false } },
      checkpoints: [],
      notify: { sinks: [], reportsDir: join(tmpdir(), 'rw-bench-reports') },
    } as Plan;
    const { workflowId } = await startWatch(env.client, {
      plan,
      release: { service: 'symphony', version: `bench-${Date.now()}`, deployedAt: new Date().toISOString() },
      startedBy: 'bench',
      taskQueue,
    });
    const handle = env.client.workflow.getHandle(workflowId);
    await handle.result();
    const status = await watchStatusOf(env.client, workflowId, 0);
    const startedAt = Date.parse(status.startedAt);
    const events = (await handle.fetchHistory()).events ?? [];
    return slotsOf(events, startedAt, WATCH_HOUR_MS);
  } finally {
    worker.shutdown();
    await running;
    await env.teardown();
  }
}

function slotsOf(events: temporal.api.history.v1.IHistoryEvent[], startedAt: number, hourMs: number): DevServerRow[] {
  const at = (e: temporal.api.history.v1.IHistoryEvent) =>
    Number(e.eventTime!.seconds) * 1000 + Math.round((e.eventTime!.nanos ?? 0) / 1e6);
  const scheduled = new Map<string, { hour: number; at: number }>();
  const started = new Map<string, number>();
  const perHour = new Map<
    number,
    {
      scheduled: number[];
      scheduledIds: number[];
      completed: Array<{ at: number; eventId: number; result: CheckResult; activityMs: number }>;
    }
  >();
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s?.activityType?.name === 'runTier') {
      const req = defaultPayloadConverter.fromPayload<TierRequest>(s.input!.payloads![0]);
      scheduled.set(String(e.eventId), { hour: req.hour, at: at(e) });
      const slot = perHour.get(req.hour) ?? { scheduled: [], scheduledIds: [], completed: [] };
      slot.scheduled.push(at(e));
      slot.scheduledIds.push(Number(e.eventId));
      perHour.set(req.hour, slot);
    }
    const st = e.activityTaskStartedEventAttributes;
    if (st) started.set(String(st.scheduledEventId), at(e));
    const c = e.activityTaskCompletedEventAttributes;
    const sch = c && scheduled.get(String(c.scheduledEventId));
    if (c && sch) {
      // One activity per slot: each check's own result is in it.
      for (const result of defaultPayloadConverter.fromPayload<TierResult>(c.result!.payloads![0]).results)
        perHour.get(sch.hour)!.completed.push({
          at: at(e),
          eventId: Number(e.eventId),
          result,
          activityMs: at(e) - (started.get(String(c.scheduledEventId)) ?? at(e)),
        });
    }
  }
  const rows: DevServerRow[] = [];
  for (const [hour, slot] of [...perHour].sort((a, b) => a[0] - b[0])) {
    const due = startedAt + hour * hourMs;
    const last = slot.completed.reduce((a, b) => (b.eventId > a.eventId ? b : a));
    // The workflow task that took the last completion in and recorded the tier's results.
    const recorded = events.find((e) => Number(e.eventId) > last.eventId && e.workflowTaskCompletedEventAttributes);
    // The workflow task whose completion scheduled the slot's checks was scheduled when the watch woke for it.
    const firstId = Math.min(...slot.scheduledIds);
    const woke = [...events].reverse().find((e) => Number(e.eventId) < firstId && e.workflowTaskScheduledEventAttributes)!;
    const slowestMs = Math.max(...slot.completed.map((x) => x.result.durationMs));
    const recordedAt = recorded ? at(recorded) : last.at;
    const slotToRecordedMs = recordedAt - due;
    const wokeToRecordedMs = recordedAt - at(woke);
    rows.push({
      hour,
      slotToWokeMs: at(woke) - due,
      slotToScheduledMs: Math.min(...slot.scheduled) - due,
      wokeToRecordedMs,
      slotToRecordedMs,
      scheduledToLastCompletedMs: last.at - Math.min(...slot.scheduled),
      slowestMs: r1(slowestMs),
      slowestActivityMs: Math.max(...slot.completed.map((x) => x.activityMs)),
      overheadMs: r1(wokeToRecordedMs - slowestMs),
      ratio: r3(wokeToRecordedMs / slowestMs),
      ok: wokeToRecordedMs <= TARGET(slowestMs),
    });
  }
  return rows;
}

function report(inProcess: InProcessRow[], devServers: Array<{ name: string; slots: DevServerRow[] }>): void {
  console.log(
    `\nIn process: ${DELAYS_MS.length} http checks (simulated delays ${DELAYS_MS[0]}-${DELAYS_MS[DELAYS_MS.length - 1]} ms) in one runTier, target wall ≤ 1.1 × slowest + 50 ms`,
  );
  console.table(
    inProcess.map((r) => ({
      round: r.round,
      'wall ms': r.wallMs,
      'slowest ms': r.slowestMs,
      'sum ms (sequential)': r.sumMs,
      'wall/slowest': r.ratio,
      'target ms': r.targetMs,
      ok: r.ok,
    })),
  );
  for (const d of devServers) {
    console.log(
      `\n${d.name}: a watch whose one tier has the ${DELAYS_MS.length} checks, ${WATCH_HOUR_MS} ms watch hours; times from the history`,
    );
    console.table(
      d.slots.map((r) => ({
        hour: r.hour,
        'slot→woke ms': r.slotToWokeMs,
        'woke→recorded ms': r.wokeToRecordedMs,
        'slot→recorded ms': r.slotToRecordedMs,
        'slowest probe ms': r.slowestMs,
        'slowest activity ms': r.slowestActivityMs,
        'overhead ms': r.overheadMs,
        'woke→recorded/slowest': r.ratio,
        'within target': r.ok,
      })),
    );
  }
}

function stats(xs: number[], name: string): Record<string, number> {
  const sorted = [...xs].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { [`${name}Median`]: r1(q(0.5)), [`${name}Max`]: r1(sorted[sorted.length - 1]) };
}

const r1 = (n: number) => Math.round(n * 10) / 10;
const r3 = (n: number) => Math.round(n * 1000) / 1000;

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
