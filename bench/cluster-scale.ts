// Scaling out on the production-shaped cluster (issue 18): the same offered load of watches on one, two
// and three release-watch workers (pinned versions of one deployment, scripted probes), each in turn on
// the same cluster. For each: workflow tasks and activities completed per second, schedule-to-start p50
// and p99 from the histories' own event times, and the CPU each process used (the cluster's services,
// PostgreSQL, the workers), so where two cores cap it shows. Ratios against one worker, in one run.
// Usage: npx tsx bench/cluster-scale.ts [watches, default 150] [watch hour in ms, default 3000]
// Needs the cluster built (bash scripts/cluster/setup.sh); writes bench/results-cluster-scale-<watches>.json.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startWatch } from '../client/watches';
import type { Plan } from '../plan/schema';
import { startCluster } from '../test/helpers/cluster';
import { processCpuSeconds } from '../test/helpers/cluster-process';
import { demoPlan } from '../test/helpers/plans';
import { workflowBundle } from '../test/helpers/servers';
import { startWorkerProcess, writeBundle, type WorkerProcess } from '../test/helpers/worker-process';
import { shortPlan } from '../test/helpers/world';
import { buildIdOf } from '../worker/code';
import { makeCurrent } from '../worker/versions';

const WATCHES = Number(process.argv[2] ?? 150);
const HOUR_MS = Number(process.argv[3] ?? 3000);
/** Watch hours measured, after the watches have all started. */
const WINDOW_HOURS = 6;
const HOURS = WINDOW_HOURS + 4;

function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : NaN;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'rw-cluster-scale-'));
  const cluster = await startCluster();
  const client = new Client({ connection: await Connection.connect({ address: cluster.address }), namespace: cluster.namespace });
  const { code } = await workflowBundle();
  const bundlePath = writeBundle(code, dir);
  const buildId = buildIdOf(code);
  const rounds: Array<Record<string, unknown>> = [];
  try {
    for (const workers of [1, 2, 3]) {
      const taskQueue = `scale-${workers}-${randomUUID().slice(0, 6)}`;
      const deployment = `scale-${workers}`;
      const procs: WorkerProcess[] = [];
      for (let i = 0; i < workers; i++) {
        const w = startWorkerProcess({
          address: cluster.address,
          namespace: cluster.namespace,
          taskQueue,
          bundlePath,
          deployment: { name: deployment, buildId },
          stub: { fail: [] },
        });
        procs.push(w);
        await w.ready;
      }
      await makeCurrent(client.workflowService, cluster.namespace, deployment, buildId);
      const plan: Plan = {
        ...shortPlan(demoPlan({ hour: `${HOUR_MS}ms` }), HOURS, `${HOUR_MS}ms`),
        checkpoints: [],
        notify: { sinks: [], reportsDir: join(dir, 'reports') },
      };
      const ids: string[] = [];
      const started = Date.now();
      for (let i = 0; i < WATCHES; i += 25) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(25, WATCHES - i) }, (_, k) =>
            startWatch(client, {
              plan,
              release: {
                service: 'symphony',
                version: `v${workers}.${i + k}-${randomUUID().slice(0, 6)}`,
                deployedAt: new Date().toISOString(),
              },
              startedBy: 'bench',
              taskQueue,
            }),
          ),
        );
        ids.push(...batch.map((b) => b.workflowId));
      }
      // The window: from the last start plus a watch hour, for WINDOW_HOURS watch hours.
      const from = Date.now() + HOUR_MS;
      const to = from + WINDOW_HOURS * HOUR_MS;
      await new Promise((r) => setTimeout(r, from - Date.now()));
      const cpu0 = { ...cluster.cpuSeconds(), workers: procs.reduce((n, w) => n + processCpuSeconds(w.pid), 0) };
      await new Promise((r) => setTimeout(r, to - Date.now()));
      const cpu1 = { ...cluster.cpuSeconds(), workers: procs.reduce((n, w) => n + processCpuSeconds(w.pid), 0) };
      const wft: number[] = [];
      const act: number[] = [];
      let completed = 0;
      for (const id of ids) {
        const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
        const scheduled = new Map<string, number>();
        for (const e of events) {
          const t = ms(e.eventTime);
          const idStr = String(e.eventId);
          if (e.workflowTaskScheduledEventAttributes || e.activityTaskScheduledEventAttributes) scheduled.set(idStr, t);
          const s = e.workflowTaskStartedEventAttributes?.scheduledEventId ?? e.activityTaskStartedEventAttributes?.scheduledEventId;
          if (s === undefined || s === null) continue;
          const at = scheduled.get(String(s));
          if (at === undefined || t < from || t > to) continue;
          (e.workflowTaskStartedEventAttributes ? wft : act).push(t - at);
          completed++;
        }
      }
      for (const id of ids)
        await client.workflow
          .getHandle(id)
          .terminate('bench round over')
          .catch(() => undefined);
      for (const w of procs) await w.stop();
      const seconds = (to - from) / 1000;
      const cpu = Object.fromEntries(
        Object.keys(cpu1).map((k) => [
          k,
          +(((cpu1 as Record<string, number>)[k] - ((cpu0 as Record<string, number>)[k] ?? 0)) / seconds).toFixed(3),
        ]),
      );
      rounds.push({
        workers,
        watches: WATCHES,
        startSeconds: +((from - HOUR_MS - started) / 1000).toFixed(1),
        tasksPerSecond: +(completed / seconds).toFixed(1),
        workflowTaskScheduleToStartMs: { p50: percentile(wft, 50), p99: percentile(wft, 99), n: wft.length },
        activityScheduleToStartMs: { p50: percentile(act, 50), p99: percentile(act, 99), n: act.length },
        cpuCoresByProcess: cpu,
        cpuCoresTotal: +Object.values(cpu)
          .reduce((a, b) => a + b, 0)
          .toFixed(2),
      });
      console.log(JSON.stringify(rounds[rounds.length - 1]));
    }
  } finally {
    await client.connection.close().catch(() => undefined);
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const one = rounds[0] as { tasksPerSecond: number; workflowTaskScheduleToStartMs: { p99: number } };
  const ratios = rounds.map((r) => {
    const x = r as typeof one & { workers: number };
    return {
      workers: x.workers,
      throughputVsOne: +(x.tasksPerSecond / one.tasksPerSecond).toFixed(2),
      p99VsOne: +(x.workflowTaskScheduleToStartMs.p99 / one.workflowTaskScheduleToStartMs.p99).toFixed(2),
    };
  });
  const result = { at: new Date().toISOString(), watches: WATCHES, hourMs: HOUR_MS, windowHours: WINDOW_HOURS, rounds, ratios };
  writeFileSync(join(__dirname, `results-cluster-scale-${WATCHES}.json`), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(ratios));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
