// A worker with the real activities run as a separate Node process (through tsx), so a test can
// SIGKILL it mid-activity the way a crashed host would die. This file is both the parent-side
// helper and, run as a program, the worker itself.
import { ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckRequest, CheckResult } from '../../core/messages';

const ROOT = join(__dirname, '..', '..');
const CONFIG_ENV = 'RW_TEST_WORKER_PROCESS';

interface Config {
  address: string;
  namespace: string;
  taskQueue: string;
  /** A workflow bundle written by the parent (bundled once, not per process). */
  bundlePath: string;
  /** Run as this version of a Worker Deployment (pinned), as `release-watch worker` does; unversioned without. */
  deployment?: { name: string; buildId: string };
  /** Probes and levers answered by a script instead of run (many watches on two cores), notifications and reports real. */
  stub?: ProbeScript;
  /** The worker's identity (in the histories: which worker did what). */
  identity?: string;
}

/** Which checks fail, in which watches (a regex of the watch ID) and watch hours [from, to). */
export interface ProbeScript {
  fail: Array<{ watch: string; check: string; from: number; to: number; severity?: string }>;
}

export interface WorkerProcessOptions extends Omit<Config, 'namespace'> {
  namespace?: string;
  /** Added to this process's environment (which the worker inherits): sink URLs and keys, the simulator's address. */
  env?: Record<string, string>;
}

export interface WorkerProcess {
  readonly pid: number;
  /** Resolves once the worker polls its task queue; rejects if the process exits before. */
  readonly ready: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the process wrote to stdout and stderr (the last 64 KB). */
  output(): string;
  /** SIGKILL: no shutdown, activities in flight are abandoned mid-way. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), then SIGKILL if it has not exited in `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Writes a workflow bundle where worker processes can load it. */
export function writeBundle(code: string, dir: string): string {
  const path = join(dir, 'workflow-bundle.js');
  writeFileSync(path, code);
  return path;
}

export function startWorkerProcess(opts: WorkerProcessOptions): WorkerProcess {
  const config: Config = {
    address: opts.address,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue,
    bundlePath: opts.bundlePath,
    ...(opts.deployment ? { deployment: opts.deployment } : {}),
    ...(opts.stub ? { stub: opts.stub } : {}),
    ...(opts.identity ? { identity: opts.identity } : {}),
  };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', __filename], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env, [CONFIG_ENV]: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString('utf8')).slice(-65_536);
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      keep(chunk);
      if (out.includes('worker-ready\n')) resolve();
    });
    void exited.then(({ code, signal }) => reject(new Error(`worker process exited (${signal ?? code}) before it was ready:\n${out}`)));
  });
  ready.catch(() => undefined); // observed by whoever awaits it
  child.stderr!.on('data', keep);
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    pid: child.pid!,
    ready,
    exited,
    output: () => out,
    async kill() {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function main(config: Config): Promise<void> {
  const { DefaultLogger, NativeConnection, Runtime, Worker } = await import('@temporalio/worker');
  const { createActivities } = await import('../../activities');
  const { createRunTier } = await import('../../activities/tiers');
  const { SHUTDOWN_FORCE_TIME } = await import('../../worker/worker');
  // SIGINT/SIGTERM shut the worker down gracefully (the Runtime's default); SIGKILL is the crash.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: config.address });
  const real = createActivities({ env: process.env });
  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    workflowBundle: { codePath: config.bundlePath },
    activities: config.stub ? { ...real, ...scripted(config.stub, createRunTier) } : real,
    shutdownForceTime: SHUTDOWN_FORCE_TIME,
    ...(config.identity ? { identity: config.identity } : {}),
    ...(config.deployment
      ? {
          workerDeploymentOptions: {
            version: { deploymentName: config.deployment.name, buildId: config.deployment.buildId },
            useWorkerVersioning: true,
            defaultVersioningBehavior: 'PINNED' as const,
          },
        }
      : {}),
  });
  const running = worker.run();
  process.stdout.write('worker-ready\n');
  await running;
  await connection.close();
}

/** runCheck, runTier and pullLever by the script: a check passes unless the script fails it in that watch and hour. */
function scripted(script: ProbeScript, createRunTier: typeof import('../../activities/tiers').createRunTier) {
  const rules = script.fail.map((r) => ({ ...r, re: new RegExp(r.watch) }));
  const runCheck = async (req: CheckRequest): Promise<CheckResult> => {
    const rule = rules.find((r) => r.check === req.checkId && r.re.test(req.watchId) && req.hour >= r.from && req.hour < r.to);
    return {
      checkId: req.checkId,
      hour: req.hour,
      outcome: rule ? 'fail' : 'ok',
      ...(rule ? { severity: rule.severity ?? req.check.severity } : {}),
      reason: rule ? 'scripted failure' : 'all conditions hold',
      conditions: [],
      durationMs: 1,
      triggers: [],
      evidence: rule ? `scripted failure of ${req.checkId} at hour ${req.hour}` : '',
      startedAt: new Date().toISOString(),
    };
  };
  return {
    runCheck,
    runTier: createRunTier(runCheck),
    async pullLever(req: { lever: string }) {
      return { ok: true, steps: [{ step: `scripted ${req.lever}`, ok: true, detail: 'exit 0', durationMs: 1 }] };
    },
  };
}

if (require.main === module && process.env[CONFIG_ENV]) {
  main(JSON.parse(process.env[CONFIG_ENV]!) as Config).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
