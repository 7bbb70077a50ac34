// release-watch on the production-shaped cluster (issue 18): the real Temporal server with PostgreSQL,
// its four services apart, and three release-watch workers (pinned versions of one Worker Deployment)
// sharing the task queue. A hundred watches of the demo plan run at once, with incidents, checkpoint
// decisions and an approved lever, while a worker, the matching service and a history service are
// SIGKILLed and PostgreSQL is restarted. Then, from each watch's history and the notification receiver
// (the chaos suite's ledger): no tier run lost or doubled, no notification duplicated or undelivered, no
// incident lost, every deadline within a tick of when a worker could act. Probes and levers are answered
// by a script in the workers (a hundred watches of real probes do not fit two cores); notifications,
// reports and everything Temporal does are real. `npm run test:cluster`; CLUSTER_WATCHES and
// CLUSTER_HOUR_MS change the load.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { listWatches } from '../../client/list';
import { planRepair } from '../../client/repair';
import { acknowledge, approveLever, decide, emergency, resolveIncident, startWatch, watchStatusOf } from '../../client/watches';
import type { WatchStatus } from '../../core/status';
import type { Plan, SinkSpec } from '../../plan/schema';
import { writeReportFiles } from '../../activities/reports';
import { buildIdOf } from '../../worker/code';
import { makeCurrent } from '../../worker/versions';
import { PATHS, type KillRecord, type ServerRestart } from '../chaos/harness';
import { buildLedger, type Ledger } from '../chaos/ledger';
import { startCluster, type Cluster } from '../helpers/cluster';
import { demoPlan, PLANS } from '../helpers/plans';
import { until } from '../helpers/poll';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { workflowBundle } from '../helpers/servers';
import { startWorkerProcess, writeBundle, type ProbeScript, type WorkerProcess } from '../helpers/worker-process';
import { shortPlan } from '../helpers/world';

const WATCHES = Number(process.env.CLUSTER_WATCHES ?? 100);
const HOUR_MS = Number(process.env.CLUSTER_HOUR_MS ?? 15_000);
const HOURS = 13;
const DEPLOYMENT = 'release-watch';
const TASK_QUEUE = 'release-watch';

jest.setTimeout(30 * 60_000);

let cluster: Cluster;
let client: Client;
let rx: Receiver;
let dir: string;
let bundlePath: string;
let buildId: string;
const workers: WorkerProcess[] = [];
const sinkEnv: Record<string, string> = {};
let sinks: SinkSpec[] = [];
const kills: KillRecord[] = [];
const outages: ServerRestart[] = [];

beforeAll(async () => {
  process.env.RELEASE_WATCH_KEYS = join(PLANS, 'keys');
  dir = mkdtempSync(join(tmpdir(), 'rw-cluster-watches-'));
  cluster = await startCluster();
  client = new Client({ connection: await Connection.connect({ address: cluster.address }), namespace: cluster.namespace });
  rx = await startReceiver();
  Object.assign(sinkEnv, {
    RW_CLUSTER_WEBHOOK_URL: `${rx.url}${PATHS.webhook}`,
    RW_CLUSTER_SLACK_URL: `${rx.url}${PATHS.slack}`,
    RW_CLUSTER_PD_ROUTING_KEY: `cluster-${randomUUID()}`,
    RW_CLUSTER_PD_URL: `${rx.url}/pagerduty`,
  });
  sinks = [
    { kind: 'file', path: join(dir, 'notifications.jsonl') },
    { kind: 'webhook', urlEnv: 'RW_CLUSTER_WEBHOOK_URL' },
    { kind: 'slack', urlEnv: 'RW_CLUSTER_SLACK_URL' },
    { kind: 'pagerduty', routingKeyEnv: 'RW_CLUSTER_PD_ROUTING_KEY', urlEnv: 'RW_CLUSTER_PD_URL' },
  ];
  const { code } = await workflowBundle();
  bundlePath = writeBundle(code, dir);
  buildId = buildIdOf(code);
}, 180_000);

afterAll(async () => {
  for (const w of workers) await w.kill().catch(() => undefined);
  await client?.connection.close().catch(() => undefined);
  await rx?.close().catch(() => undefined);
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** One in ten watches has a failing fast pulse (critical) from hour 2 to 5: an incident and an automatic restart. */
const failing = (i: number) => i % 10 === 3;
/** One in twenty asks for the kill switch, approved by a second person. */
const leverAsked = (i: number) => i % 20 === 7;

function startWorker(script: ProbeScript): Promise<WorkerProcess> {
  const w = startWorkerProcess({
    address: cluster.address,
    namespace: cluster.namespace,
    taskQueue: TASK_QUEUE,
    bundlePath,
    env: sinkEnv,
    deployment: { name: DEPLOYMENT, buildId },
    stub: script,
  });
  workers.push(w);
  return w.ready.then(() => w);
}

/** SIGKILLs a worker and starts its replacement, recorded as the chaos ledger records kills. */
async function killWorker(i: number, script: ProbeScript): Promise<void> {
  const victim = workers[i];
  const at = Date.now();
  await victim.kill();
  const replacement = await startWorker(script);
  workers[i] = replacement;
  workers.pop();
  kills.push({
    n: kills.length + 1,
    target: 'random',
    at,
    pid: victim.pid,
    identity: `${victim.pid}@${hostname()}`,
    replacedAt: Date.now(),
  });
}

/** A part of the cluster down and back: the time no worker could act, for the ledger. */
async function outage(what: () => Promise<void>): Promise<void> {
  const stoppedAt = Date.now();
  await what();
  outages.push({ stoppedAt, servingAt: Date.now() });
}

test(`${WATCHES} watches of the demo plan on the cluster, 3 workers, while a worker, matching and history are killed and PostgreSQL restarts`, () =>
  cluster.keepOnFailure(async () => {
    const tag = randomUUID().slice(0, 6);
    const ids = Array.from({ length: WATCHES }, (_, i) => `watch-symphony-v1.c${tag}-${String(i).padStart(3, '0')}`);
    const script: ProbeScript = {
      fail: [{ watch: `^(${ids.filter((_, i) => failing(i)).join('|')})$`, check: 'fast-pulse', from: 2, to: 5, severity: 'critical' }],
    };
    for (let i = 0; i < 3; i++) await startWorker(script);
    await makeCurrent(client.workflowService, cluster.namespace, DEPLOYMENT, buildId);

    const plan: Plan = {
      ...shortPlan(demoPlan({ hour: `${HOUR_MS}ms` }), HOURS, `${HOUR_MS}ms`),
      notify: { sinks, reportsDir: join(dir, 'reports') },
    };
    const t0 = Date.now();
    for (let i = 0; i < WATCHES; i += 10) {
      await Promise.all(
        ids.slice(i, i + 10).map((id, k) =>
          startWatch(client, {
            plan,
            release: {
              service: 'symphony',
              version: id.slice('watch-symphony-'.length),
              commit: '5d41402abc4b2a76',
              deployedAt: new Date().toISOString(),
            },
            startedBy: `cluster-${i + k}`,
            taskQueue: TASK_QUEUE,
          }),
        ),
      );
    }

    // Faults while the watches run, at watch hours 1.5, 3.5, 5.5 and 7.5 of the first watch.
    const at = (h: number) => new Promise((r) => setTimeout(r, Math.max(0, t0 + h * HOUR_MS - Date.now())));
    const faults = (async () => {
      await at(1.5);
      await killWorker(1, script);
      await at(3.5);
      await outage(async () => {
        await cluster.services.matching.kill();
        await cluster.services.matching.start();
      });
      await at(5.5);
      await outage(async () => {
        await cluster.services.history.kill();
        await cluster.services.history.start();
      });
      await at(7.5);
      await outage(() => cluster.postgres.restart());
    })();

    // People: acknowledge and resolve what pages them, decide the 12 h checkpoint, ask for and approve a lever.
    const answered = new Set<string>();
    const people = async () => {
      for (const id of ids) {
        const s = await watchStatusOf(client, id, 0).catch(() => undefined);
        if (!s) continue;
        for (const inc of s.incidents) {
          if (inc.state === 'open' && !answered.has(`${inc.id} ack`)) {
            await acknowledge(client, id, { incident: inc.id, by: inc.holder ?? 'duty-engineer' }).then(
              () => answered.add(`${inc.id} ack`),
              () => undefined,
            );
          } else if (
            inc.state !== 'resolved' &&
            inc.state !== 'open' &&
            s.checks[inc.check]?.status === 'healthy' &&
            !answered.has(`${inc.id} resolve`)
          ) {
            await resolveIncident(client, id, {
              incident: inc.id,
              by: inc.holder ?? 'duty-engineer',
              rootCause: 'scripted',
              resolution: 'recovered',
            }).then(
              () => answered.add(`${inc.id} resolve`),
              () => undefined,
            );
          }
        }
        const cp = s.checkpoints.find((c) => c.state === 'pending');
        if (cp && !answered.has(`${id} ${cp.name}`)) {
          await decide(client, id, { checkpoint: cp.name, decision: 'continue', by: 'release-captain', note: 'cluster run' }).then(
            () => answered.add(`${id} ${cp.name}`),
            () => undefined,
          );
        }
        const i = ids.indexOf(id);
        if (leverAsked(i) && s.hour >= 3 && !answered.has(`${id} lever`)) {
          const req = await emergency(client, id, { lever: 'kill-switch', by: 'policy-steward', reason: 'cluster run' }).catch(
            () => undefined,
          );
          if (req)
            await approveLever(client, id, { request: String(req.seq), by: 'release-captain' }).then(
              () => answered.add(`${id} lever`),
              () => undefined,
            );
        }
      }
    };
    const ended = async () =>
      (await listWatches(client, { service: 'symphony', limit: WATCHES + 10 })).filter(
        (r) => ids.includes(r.workflowId) && r.status !== 'RUNNING',
      ).length;
    await until(
      async () => {
        await people();
        return (await ended()) === WATCHES;
      },
      `all ${WATCHES} watches to end`,
      (HOURS + 10) * HOUR_MS + 10 * 60_000,
      1000,
    );
    await faults;

    // The ledger of every watch.
    const ledgers: Array<{ id: string; status: WatchStatus; ledger: Ledger }> = [];
    for (const id of ids) {
      const status = await watchStatusOf(client, id, 0);
      const mine = {
        delivered: () => rx.delivered().filter((r) => JSON.stringify(r.headers).includes(id) || JSON.stringify(r.body).includes(id)),
      } as Receiver;
      const ledger = await buildLedger({
        client,
        plan,
        watchId: id,
        status,
        rx: mine,
        notificationsFile: join(dir, 'notifications.jsonl'),
        kills,
        serverRestarts: outages,
        hangs: [],
      });
      ledgers.push({ id, status, ledger });
    }
    const all = <T>(f: (l: Ledger) => T[]) => ledgers.flatMap(({ id, ledger }) => f(ledger).map((x) => `${id}: ${JSON.stringify(x)}`));
    const late = ledgers.flatMap(({ id, ledger }) =>
      ledger.deadlines.filter((d) => (d.effectiveMs ?? 0) > HOUR_MS).map((d) => `${id}: ${d.kind} ${d.what} ${d.effectiveMs} ms`),
    );
    const summary = {
      tierRunsLost: all((l) => l.slots.lost),
      tierRunsDoubled: all((l) => l.slots.doubled),
      notificationsDuplicated: all((l) => l.notifications.duplicated),
      notificationsUndelivered: all((l) => l.notifications.undelivered),
      incidentsLost: all((l) => l.incidents.lost),
      taskFailures: all((l) => l.taskFailures),
      deadlinesLate: late,
    };
    const incidents = ledgers.reduce((n, l) => n + l.status.incidents.length, 0);
    const levers = ledgers.reduce((n, l) => n + l.status.levers.length, 0);
    const decisions = ledgers.reduce((n, l) => n + l.status.decisions.length, 0);
    const deadlines = ledgers.reduce((n, l) => n + l.ledger.deadlines.length, 0);
    const slots = ledgers.reduce((n, l) => n + l.ledger.slots.expected, 0);

    // Which worker did the work: workflow tasks completed per worker process, over all watches.
    const byWorker = new Map<string, number>();
    for (const id of ids) {
      for (const e of (await client.workflow.getHandle(id).fetchHistory()).events ?? []) {
        const who = e.workflowTaskCompletedEventAttributes?.identity;
        if (who) byWorker.set(who, (byWorker.get(who) ?? 0) + 1);
      }
    }
    console.log(
      [
        `cluster: ${WATCHES} watches × ${HOURS} watch hours of ${HOUR_MS} ms; ${slots} tier slots, ${incidents} incidents, ${levers} levers, ${decisions} decisions, ${deadlines} deadlines`,
        `faults: worker SIGKILL at ${kills.map((k) => new Date(k.at).toISOString()).join(', ')}; matching, history, PostgreSQL down for ${outages.map((o) => `${o.servingAt - o.stoppedAt} ms`).join(', ')}`,
        `workflow tasks by worker: ${[...byWorker].map(([w, n]) => `${w} ${n}`).join(', ')}`,
        `CPU seconds by process: ${JSON.stringify(cluster.cpuSeconds())}`,
      ].join('\n'),
    );
    expect(summary).toEqual({
      tierRunsLost: [],
      tierRunsDoubled: [],
      notificationsDuplicated: [],
      notificationsUndelivered: [],
      incidentsLost: [],
      taskFailures: [],
      deadlinesLate: [],
    });
    expect(incidents).toBeGreaterThanOrEqual(WATCHES / 10);
    expect(levers).toBeGreaterThanOrEqual(WATCHES / 20);
    expect(decisions).toBe(WATCHES);
    // The work spread over the three live workers (and the one killed, until it was).
    expect([...byWorker.values()].filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);

    // list and its filters on PostgreSQL visibility; report and repair as on the dev server.
    const completed = await listWatches(client, { service: 'symphony', phase: 'completed', limit: WATCHES + 10 });
    expect(completed.filter((r) => ids.includes(r.workflowId))).toHaveLength(WATCHES);
    expect(await listWatches(client, { service: 'symphony', release: ids[5].slice('watch-symphony-'.length) })).toEqual([
      expect.objectContaining({ workflowId: ids[5], phase: 'completed' }),
    ]);
    const failed = ledgers.find((l) => l.status.incidents.length > 0)!;
    const files = await writeReportFiles(
      { kind: 'on-demand', hour: failed.status.hour, status: failed.status, reportsDir: join(dir, 'on-demand') },
      join(dir, 'on-demand'),
    );
    expect(files.path).toMatch(/final\.md$|hour-[\d.]+\.md$/);
    expect((await planRepair(client, failed.id, { code: (await workflowBundle()).code })).replays).toBe(true);
  }));
