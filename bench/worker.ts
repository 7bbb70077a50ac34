// A bench worker as its own Node process, so its memory (RSS per cached watch) and CPU are its own.
// The parent (bench/run.ts) forks it with an IPC channel and asks it for its numbers; the worker
// shuts down when told to, or when the parent goes away.
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { performance, PerformanceObserver } from 'node:perf_hooks';

export interface WorkerConfig {
  address: string;
  taskQueue: string;
  /** A workflow bundle written by the parent (bundled once). */
  bundlePath: string;
  maxCachedWorkflows: number;
  /** Trace to this OTLP/HTTP URL as `worker --otlp` does (the bundle must then be the traced one). */
  otlpUrl?: string;
}

export interface WorkerStats {
  rss: number;
  heapUsed: number;
  external: number;
  cached: number;
  /** Process CPU time (user + system) so far, ms. */
  cpuMs: number;
  at: number;
}

/** A garbage-collection pause of a process's main thread: when it began (epoch ms) and how long it took. */
export interface Pause {
  at: number;
  ms: number;
}

type Request = { type: 'stats'; gc?: boolean } | { type: 'pauses' };
type ToWorker = (Request & { id: number }) | { type: 'stop' };
type Answer = { type: 'stats'; id: number; stats: WorkerStats } | { type: 'pauses'; id: number; pauses: Pause[] };
type FromWorker = { type: 'ready' } | Answer | { type: 'stopped' };

export interface BenchWorker {
  pid: number;
  taskQueue: string;
  stats(gc?: boolean): Promise<WorkerStats>;
  /** The worker's main-thread GC pauses of at least PAUSE_MIN_MS so far (the last PAUSES_KEPT). */
  pauses(): Promise<Pause[]>;
  stop(): Promise<void>;
  /** SIGKILL, for the cleanup of an interrupted run. */
  kill(): void;
}

/** Forks a worker process and waits until it polls its task queue. */
export async function startBenchWorker(config: WorkerConfig): Promise<BenchWorker> {
  const child: ChildProcess = fork(__filename, [JSON.stringify(config)], {
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each worker there (open it in Chrome DevTools).
    execArgv: [
      '--import',
      'tsx',
      '--expose-gc',
      '--max-old-space-size=4096',
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      // BENCH_WORKER_FLAGS="--trace-gc": more V8 flags for the workers only (e.g. to see their GC pauses).
      ...(process.env.BENCH_WORKER_FLAGS?.split(/\s+/).filter(Boolean) ?? []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let seq = 0;
  const waiting = new Map<number, (m: Answer) => void>();
  child.on('message', (m: FromWorker) => {
    if (m.type === 'stats' || m.type === 'pauses') waiting.get(m.id)?.(m);
  });
  /** Sends one request and waits for the answer with the same id (30 s at most). */
  const ask = <K extends Request['type']>(request: Extract<Request, { type: K }>): Promise<Extract<Answer, { type: K }>> => {
    const id = ++seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`bench worker did not answer for its ${request.type} within 30 s`));
      }, 30_000);
      waiting.set(id, (m) => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(m as Extract<Answer, { type: K }>);
      });
      child.send({ ...request, id } satisfies ToWorker);
    });
  };
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: FromWorker) => {
      if (m.type === 'ready') {
        child.off('message', onMessage);
        resolve();
      }
    };
    child.on('message', onMessage);
    void exited.then(() => reject(new Error(`bench worker ${config.taskQueue} exited before it was ready`)));
  });
  return {
    pid: child.pid!,
    taskQueue: config.taskQueue,
    async stats(gc = false) {
      return (await ask({ type: 'stats', gc })).stats;
    },
    async pauses() {
      return (await ask({ type: 'pauses' })).pauses;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' } satisfies ToWorker);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

async function main(config: WorkerConfig): Promise<void> {
  const { DefaultLogger, NativeConnection, Runtime, Worker } = await import('@temporalio/worker');
  const { benchActivities } = await import('./stubs');
  const { WORKFLOW_THREADS } = await import('../worker/threads');
  // SIGINT/SIGTERM (a Ctrl-C reaches the whole process group) shut the worker down gracefully.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: config.address });
  const traced = config.otlpUrl ? await tracedOptions(config.otlpUrl) : {};
  // As production runs it (worker/worker.ts): one runner per workflow thread, the cache split among them.
  const { createRunners, runnerOptions } = await import('../worker/runners');
  const options = runnerOptions(
    {
      taskQueue: config.taskQueue,
      workflowBundle: { codePath: config.bundlePath },
      activities: benchActivities(),
      maxCachedWorkflows: config.maxCachedWorkflows,
      ...traced,
    },
    WORKFLOW_THREADS,
  );
  const worker = await createRunners(
    WORKFLOW_THREADS,
    connection,
    () => NativeConnection.connect({ address: config.address }),
    (c) => Worker.create({ ...options, connection: c }),
  );
  const send = (m: FromWorker) => process.send?.(m);
  const { pauses } = recordPauses();
  process.on('message', (m: ToWorker) => {
    if (m.type === 'stop') worker.shutdown();
    if (m.type === 'pauses') send({ type: 'pauses', id: m.id, pauses });
    if (m.type === 'stats') {
      if (m.gc) (globalThis as { gc?: () => void }).gc?.();
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      send({
        type: 'stats',
        id: m.id,
        stats: {
          rss: mem.rss,
          heapUsed: mem.heapUsed,
          external: mem.external,
          cached: worker.cachedWorkflows(),
          cpuMs: (cpu.user + cpu.system) / 1000,
          at: Date.now(),
        },
      });
    }
  });
  // The parent went away (Ctrl-C, a crash): shut down rather than linger.
  process.on('disconnect', () => worker.shutdown());
  const running = worker.run();
  send({ type: 'ready' });
  await running;
  await connection.close();
  send({ type: 'stopped' });
}

/** Pauses shorter than this are not kept. */
export const PAUSE_MIN_MS = 5;
/** At most this many pauses are kept (the latest). */
const PAUSES_KEPT = 20_000;

/** Records this process's main-thread GC pauses of PAUSE_MIN_MS or more, as they happen, into `pauses` until `stop()`. */
export function recordPauses(): { pauses: Pause[]; stop(): void } {
  const pauses: Pause[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration < PAUSE_MIN_MS) continue;
      pauses.push({ at: performance.timeOrigin + e.startTime, ms: e.duration });
      if (pauses.length > PAUSES_KEPT) pauses.splice(0, pauses.length - PAUSES_KEPT);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return { pauses, stop: () => observer.disconnect() };
}

/** A traced worker's interceptors and span sink: the ones `worker --otlp` runs with. */
async function tracedOptions(url: string) {
  const { startTracing } = await import('../worker/tracing');
  const { tracedWorker } = await import('../worker/worker');
  return tracedWorker(startTracing(url, 'release-watch-bench-worker'));
}

if (require.main === module) {
  main(JSON.parse(process.argv[2]) as WorkerConfig).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
