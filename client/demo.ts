// The one-command demo: a dev server (SQLite under .data/, Web UI on), the simulator, a worker, and a
// watch of plans/demo.yaml with a scripted fault timeline, answered by a named demo approver.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { WatchStatus } from '../core/status';
import { loadPlan } from '../plan/validate';
import { createTimelineApplier, startSimulator, type TimelineStep } from '../sim';
import { installTelemetry } from '../worker/telemetry';
import { startPrometheus, type PrometheusServer } from './local-prometheus';
import { makeCurrent } from '../worker/versions';
import { createWorker } from '../worker/worker';
import { projectRoot } from '../config/paths';
import { webUiLink } from '../config/connection';
import { startDevServer } from './devserver';
import { startDemoConsole } from './console/demo';
import { KEYRING_ENV } from './keys';
import { acknowledge, decide, resolveIncident, startWatch, watchStatusOf } from './watches';

/** What goes wrong in the demo, by watch hour. */
export const DEMO_FAULTS: TimelineStep[] = [
  // Cleared by the watch's automatic restart-services lever, not by the script.
  { hour: 5, set: [{ name: 'service-offline', params: { service: 'ollama' } }] },
  // Long enough for the 4-hourly policy check at hour 16 to see it.
  { hour: 14, set: [{ name: 'autonomy-zero' }] },
  { hour: 17, clear: ['autonomy-zero'] },
  { hour: 30, set: [{ name: 'slow', params: { seconds: 45 } }] },
  { hour: 31, clear: ['slow'] },
  { hour: 40, set: [{ name: 'kill-switch' }] },
  { hour: 41, clear: ['kill-switch'] },
];

export interface DemoOptions {
  /** Length of a watch hour (default: the demo plan's 2.5 s). */
  clock?: string;
  interactive?: boolean;
  /** Stop everything when the watch ends instead of keeping the Web UI up until Ctrl-C. */
  exit?: boolean;
  dataDir?: string;
  quiet?: boolean;
  /** Where reports go (default: reports/ in the project). */
  reportsDir?: string;
  /** For recording histories: the watch continues as new after this many watch hours. */
  continueAsNewAfterHours?: number;
}

export interface DemoResult {
  watchId: string;
  status: WatchStatus;
  webUi: string;
  /** The on-call console's address. */
  console: string;
  reports: string[];
  /** Workflows an earlier demo left running in the same database, terminated before this one started. */
  leftOver: number;
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const root = projectRoot();
  const data = resolve(opts.dataDir ?? join(root, '.data'));
  const say = (line: string) => opts.quiet || process.stdout.write(line + '\n');
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  // The demo plan's tools and folders are relative to the repository (sim/bin/…, .data/…): its checks
  // and levers run from there, wherever the command was started.
  const reportsDir = resolve(opts.reportsDir ?? join(root, 'reports'));
  const cwdBefore = process.cwd();
  process.chdir(root);
  stops.push(async () => process.chdir(cwdBefore));
  const onSignal = () => {
    say('\nstopping everything the demo started…');
    void stopAll().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  // The demo shows its own progress only: the SDK logs warnings and errors, not its state changes.
  try {
    installTelemetry({ logLevel: 'WARN' });
  } catch {
    // The process has its Runtime already (a test that runs the demo in-process).
  }
  try {
    say('starting the Temporal dev server (SQLite, Web UI)…');
    const server = await startDevServer({ dbFile: join(data, 'temporal.db') });
    stops.push(() => server.stop());
    say(`  Temporal at ${server.address}, Web UI ${server.uiUrl}`);

    // The plan's prod profile signs every decision; the demo answers with the committed demo keys.
    process.env[KEYRING_ENV] ??= join(root, 'plans', 'keys');
    say(`  decisions are signed (Ed25519) with the demo keys in ${process.env[KEYRING_ENV]}`);
    // The simulator's logs start empty each run; the Temporal database under .data/ is kept.
    rmSync(join(data, 'sim'), { recursive: true, force: true });
    const sim = await startSimulator({ dir: join(data, 'sim'), timeScale: 1 / 30, hmacSecret: 'demo-federation-secret' });
    stops.push(() => sim.close());
    Object.assign(process.env, {
      SYMPHONY_URL: sim.url,
      SYMPHONY_DASHBOARD_URL: sim.url,
      SYMPHONY_LOGS: join(data, 'sim', 'logs'),
      LITELLM_LOG: join(data, 'sim', 'logs', 'litellm.log'),
      FEDERATION_HMAC_SECRET: 'demo-federation-secret',
      RELEASE_WATCH_REPORTS: reportsDir,
    });
    say(`  simulator at ${sim.url}`);

    // A local Prometheus scraping the simulator gives the demo its metric check (demo-metrics.yaml).
    const prometheus = await startDemoPrometheus(join(data, 'prometheus'), new URL(sim.url).host, say);
    if (prometheus) {
      stops.push(() => prometheus.stop());
      process.env.PROMETHEUS_URL = prometheus.url;
    }
    const plan = loadPlan(join(root, 'plans', prometheus ? 'demo-metrics.yaml' : 'demo.yaml'));
    if (opts.clock) plan.clock.hour = opts.clock;

    const connection = await Connection.connect({ address: server.address });
    stops.push(() => connection.close());
    const client = new Client({ connection });
    const leftOver = await endLeftOverWatches(client);
    if (leftOver) say(`  ended ${leftOver} workflow(s) left running by an earlier demo in ${data}`);

    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const { worker, buildId, deployment } = await createWorker(nativeConnection, 'default', {
      connect: () => NativeConnection.connect({ address: server.address }),
    });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
      await nativeConnection.close();
    });
    // The demo's database outlives its runs: this run's code is made current, whatever ran before.
    await makeCurrent(nativeConnection.workflowService, 'default', deployment!, buildId);
    say(`  worker: ${deployment} version ${buildId}`);

    const onCall = await startDemoConsole(client, { address: server.address, uiUrl: server.uiUrl, plansDir: join(root, 'plans') });
    stops.push(() => onCall.stop());
    say(`  console ${onCall.url} (sign in with the token ${onCall.token}), beside the Web UI ${server.uiUrl}`);

    const version = `v1.0-demo.${new Date()
      .toISOString()
      .replace(/[-:T.Z]/g, '')
      .slice(0, 14)}`;
    const started = await startWatch(client, {
      plan,
      release: { service: 'symphony', version, commit: '5d41402abc4b2a76b9719d911017c592', deployedAt: new Date().toISOString() },
      startedBy: 'demo',
      continueAsNewAfterHours: opts.continueAsNewAfterHours,
    });
    const webUi = webUiLink({ address: server.address, namespace: 'default' }, started.workflowId, { TEMPORAL_UI_URL: server.uiUrl });
    say(`watch started: ${started.workflowId}\n  ${webUi}\n  ${onCall.url}watches/${encodeURIComponent(started.workflowId)}\n`);

    const status = await followWatch(
      client,
      started.workflowId,
      plan.checkpoints.map((c) => c.deciders[0]),
      opts,
      say,
      sim,
    );
    const reports = status.reports.map((r) => r.path).filter((p): p is string => !!p);
    say(`\nwatch ended: ${status.phase}`);
    for (const r of reports) say(`  report: ${r}`);
    say(`  history: ${webUi}`);
    say(`  console: ${onCall.url}`);
    if (!opts.exit) {
      say('\nThe dev server keeps running for the Web UI; Ctrl-C stops everything.');
      await new Promise(() => undefined);
    }
    return { watchId: started.workflowId, status, webUi, console: onCall.url, reports, leftOver };
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stopAll();
  }
}

/**
 * Terminates the watches and incidents an earlier demo left running in the kept database (stopped
 * mid-run: nobody answers them, their simulator is gone, and their histories may come from an
 * older release-watch whose workflows this one cannot replay, which can take the worker down with
 * them: sdk-typescript#939). The demo's database holds nothing but demo runs.
 */
/** Prometheus scraping the simulator every second, or undefined (and why) when it cannot be had. */
async function startDemoPrometheus(dir: string, target: string, say: (line: string) => void): Promise<PrometheusServer | undefined> {
  rmSync(dir, { recursive: true, force: true });
  try {
    const prometheus = await startPrometheus({ targets: [target], dir });
    say(`  Prometheus at ${prometheus.url}, scraping the simulator (the http-errors check reads it)`);
    return prometheus;
  } catch (err) {
    say(`  no Prometheus, so no metric check in this demo: ${(err as Error).message}`);
    return undefined;
  }
}

async function endLeftOverWatches(client: Client): Promise<number> {
  let ended = 0;
  for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    await client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .terminate('left running by an earlier demo run')
      .then(
        () => ended++,
        () => undefined,
      ); // already closed meanwhile
  }
  return ended;
}

/** Plays the fault timeline, answers checkpoints, prints progress; returns the final status. */
async function followWatch(
  client: Client,
  id: string,
  approvers: string[],
  opts: DemoOptions,
  say: (l: string) => void,
  sim: Parameters<typeof createTimelineApplier>[0],
): Promise<WatchStatus> {
  const timeline = createTimelineApplier(sim, DEMO_FAULTS);
  const seenEvents = new Set<string>();
  const asked = new Set<string>();
  const ackedAt = new Map<string, number>();
  for (;;) {
    const s = await watchStatusOf(client, id, 50);
    // An hour's faults go in once the previous hour's checks are done, so that hour's checks see them.
    const done = s.tiers.hourly?.lastHour;
    if (done !== undefined) timeline.advanceTo(done + 1);
    await handleIncidents(client, id, s, ackedAt, say);
    for (const e of s.events) {
      const key = `${e.at}:${e.kind}:${e.text}`;
      if (seenEvents.has(key) || e.kind === 'tier') continue;
      seenEvents.add(key);
      say(`  h${String(e.hour).padEnd(5)} ${e.kind.padEnd(12)} ${e.text}`);
    }
    if (!opts.quiet && process.stdout.isTTY) process.stdout.write(`\r${progressBar(s)}\x1b[K`);
    for (const [i, cp] of s.checkpoints.entries()) {
      if (cp.state !== 'pending' || asked.has(cp.name)) continue;
      asked.add(cp.name);
      const decision = cp.name.startsWith('48h')
        ? cp.criteria?.every((c) => c.met || c.name.startsWith('Lessons'))
          ? 'release'
          : 'extend'
        : 'continue';
      const by = approvers[Math.min(i, approvers.length - 1)];
      const cmd = `release-watch decide ${id} --checkpoint ${cp.name} --decision ${decision} --by ${by} --key plans/keys/${by}.key`;
      if (opts.interactive) {
        say(`\n  checkpoint ${cp.name} is waiting for you:\n    ${cmd} --note "..."`);
        continue;
      }
      const note =
        decision === 'release'
          ? 'Lessons learned: the automatic checks caught every scripted fault.'
          : `demo approver: ${cp.criteria?.filter((c) => !c.met).length ?? 0} criteria unmet`;
      try {
        await decide(client, id, { checkpoint: cp.name, decision, by, note });
        say(`\n  ${by} decided ${decision} at checkpoint ${cp.name}`);
      } catch (err) {
        // e.g. release refused while criteria are unmet: extend instead, as a person would.
        say(`\n  ${decision} refused: ${(err as Error).message}`);
        await decide(client, id, { checkpoint: cp.name, decision: 'extend', by, note: 'criteria unmet; extending' }).catch((e: Error) =>
          say(`  ${e.message}`),
        );
      }
    }
    if (['released', 'rollback-requested', 'rolled-back', 'completed'].includes(s.phase)) {
      await client.workflow.getHandle(id).result();
      return watchStatusOf(client, id, 50);
    }
    await new Promise((r) => setTimeout(r, 400));
  }
}

/** The on-call's part: acknowledge what pages them, resolve with a write-up once it is over. */
async function handleIncidents(client: Client, id: string, s: WatchStatus, ackedAt: Map<string, number>, say: (l: string) => void) {
  for (const inc of s.incidents) {
    const seq = inc.id.split('-').pop()!;
    if (inc.state === 'resolved') continue;
    // Paged (again, if an acknowledgement ran past the resolution time): the holder takes it.
    if (inc.state === 'open' && inc.holder) {
      await acknowledge(client, id, { incident: seq, by: inc.holder })
        .then(() => {
          if (!ackedAt.has(inc.id)) ackedAt.set(inc.id, s.hour);
          say(`\n  ${inc.holder} acknowledged incident ${seq} (${inc.check})`);
        })
        .catch((e: Error) => say(`\n  ack of incident ${seq} refused: ${e.message}`));
      continue;
    }
    const over = inc.state === 'recovered' || (s.checks[inc.check]?.status === 'healthy' && s.hour - (ackedAt.get(inc.id) ?? s.hour) >= 1);
    if (!over) continue;
    const by = inc.holder ?? 'release-captain';
    await resolveIncident(client, id, {
      incident: seq,
      by,
      rootCause: `scripted demo fault behind ${inc.check}${inc.trigger ? ` (${inc.trigger})` : ''}`,
      resolution: 'cleared in the simulator; checks healthy again',
      followUp: 'none: demo',
    })
      .then(() => say(`\n  ${by} resolved incident ${seq} with the write-up`))
      .catch((e: Error) => say(`\n  resolve of incident ${seq} refused: ${e.message}`));
  }
}

export function progressBar(s: WatchStatus): string {
  const width = 40;
  const done = Math.min(width, Math.round((s.hour / Math.max(1, s.endHour)) * width));
  const tiers = Object.entries(s.tiers)
    .map(([n, t]) => `${n} ${t.runs}`)
    .join(' · ');
  return `[${'█'.repeat(done)}${'░'.repeat(width - done)}] h${s.hour}/${s.endHour} ${s.phase} · ${s.health} · ${tiers} · incidents ${s.openIncidents} open`;
}
