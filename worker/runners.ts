// A worker process runs one runner per workflow thread: an SDK worker on the same task queue and version,
// with its own connection, its share of the sticky cache and of the slots, and one thread of workflow
// code. Why: the SDK's core walks every run a worker has cached on each task it handles; in quick bench
// runs a worker holding 1,210 cached workflows spent about 2 ms more per answer than one holding 90
// (docs/benchmark.md). Split, each walk covers a runner's share, and the runners' task loops run side by
// side.
import type { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';

/** The limits a worker's options set for the whole process, which its runners share. */
const SHARED_LIMITS = ['maxCachedWorkflows', 'maxConcurrentWorkflowTaskExecutions', 'maxConcurrentActivityTaskExecutions'] as const;

/** One runner's options: each process-wide limit given is split evenly (rounded up), and one workflow thread. */
export function runnerOptions<T extends Partial<WorkerOptions>>(options: T, runners: number): T {
  if (!Number.isInteger(runners) || runners < 1) throw new RangeError(`runners must be a whole number of 1 or more (got ${runners})`);
  const share: Partial<WorkerOptions> = { ...options, workflowThreadPoolSize: 1 };
  for (const key of SHARED_LIMITS) {
    const total = options[key];
    // The SDK wants at least 2 cached workflows and 2 workflow slots when the cache is on.
    if (total !== undefined)
      share[key] = total === 0 ? 0 : Math.max(key === 'maxConcurrentActivityTaskExecutions' ? 1 : 2, Math.ceil(total / runners));
  }
  return share as T;
}

/** The runners of one worker process, run and shut down together. */
export class Runners {
  constructor(
    readonly workers: Worker[],
    /** Connections the runners opened beyond the caller's, closed when they stop. */
    private readonly opened: NativeConnection[],
  ) {}

  /** Runs every runner until all have stopped. When one fails, the others shut down, and its error is thrown. */
  async run(): Promise<void> {
    const results = await Promise.allSettled(
      this.workers.map((w) =>
        w.run().catch((err: unknown) => {
          this.shutdown();
          throw err;
        }),
      ),
    );
    await Promise.allSettled(this.opened.map((c) => c.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Starts a graceful shutdown of every runner still running. */
  shutdown(): void {
    for (const w of this.workers) if (w.getState() === 'RUNNING') w.shutdown();
  }

  /** Workflows held in the runners' caches. */
  cachedWorkflows(): number {
    return this.workers.reduce((n, w) => n + w.getStatus().numCachedWorkflows, 0);
  }
}

/**
 * Creates `count` runners with `create`: the first on `connection` (the caller's, which it keeps), the
 * others each on a connection from `connect`. If one cannot be created, the connections opened for the
 * others are closed before the error is thrown.
 */
export async function createRunners(
  count: number,
  connection: NativeConnection,
  connect: () => Promise<NativeConnection>,
  create: (connection: NativeConnection) => Promise<Worker>,
): Promise<Runners> {
  const workers: Worker[] = [];
  const opened: NativeConnection[] = [];
  try {
    for (let i = 0; i < count; i++) {
      // The SDK refuses two workers of one version on one task queue over the same connection.
      const conn = i === 0 ? connection : await connect();
      if (i > 0) opened.push(conn);
      workers.push(await create(conn));
    }
  } catch (err) {
    await Promise.allSettled(opened.map((c) => c.close()));
    throw err;
  }
  return new Runners(workers, opened);
}
