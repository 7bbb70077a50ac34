// `release-watch worker`: runs until SIGINT/SIGTERM, then drains.
import { currentBuildId, makeCurrent } from './versions';
import type { Duration } from '@temporalio/common';
import { installTelemetry, type TelemetryOptions } from './telemetry';
import { startTracing, tracesUrl } from './tracing';
import { connectWorker, createWorker, type WorkerOverrides } from './worker';

export interface RunWorkerOptions {
  /** Make this worker's version current when it starts (an upgrade), not only when the deployment has none. */
  makeCurrent?: boolean;
  /** Run without Worker Versioning (every worker takes every workflow: an upgrade can hand a running watch new code). */
  unversioned?: boolean;
  say?: (line: string) => void;
  /** Watches and incidents kept in memory between their tasks (the SDK's sticky cache). */
  cache?: number;
  /** Workflow tasks and activities (probes, notifications, reports) run at once. */
  workflowSlots?: number;
  activitySlots?: number;
  /** Threads that run workflow code, each with its own V8 heap (default WORKFLOW_THREADS). */
  workflowThreads?: number;
  /** How long a cached watch's task waits for this worker before any worker may take it. */
  stickyTimeout?: string;
  /** Serve Prometheus metrics on host:port; log as JSON or text (worker/telemetry.ts). */
  telemetry?: TelemetryOptions;
  /** Where to send traces over OTLP/HTTP (a collector's base URL); else OTEL_EXPORTER_OTLP_ENDPOINT; else no tracing. */
  otlp?: string;
}

/** The SDK settings a fleet of watches is tuned with (docs/production.md). */
export function tuning(o: RunWorkerOptions): WorkerOverrides {
  return {
    ...(o.cache !== undefined ? { maxCachedWorkflows: o.cache } : {}),
    ...(o.workflowSlots !== undefined ? { maxConcurrentWorkflowTaskExecutions: o.workflowSlots } : {}),
    ...(o.activitySlots !== undefined ? { maxConcurrentActivityTaskExecutions: o.activitySlots } : {}),
    ...(o.workflowThreads !== undefined ? { workflowThreadPoolSize: o.workflowThreads } : {}),
    ...(o.stickyTimeout !== undefined ? { stickyQueueScheduleToStartTimeout: o.stickyTimeout as Duration } : {}),
  };
}

export async function runWorker(opts: RunWorkerOptions = {}): Promise<void> {
  const json = opts.telemetry?.logFormat === 'json';
  const say =
    opts.say ??
    ((line: string) =>
      process.stderr.write(`${json ? JSON.stringify({ time: new Date().toISOString(), level: 'info', message: line }) : line}\n`));
  if (opts.telemetry) installTelemetry(opts.telemetry);
  const traces = tracesUrl(opts.otlp);
  const tracing = traces ? startTracing(traces, 'release-watch-worker') : undefined;
  const { connection, namespace } = await connectWorker();
  if (opts.telemetry?.metrics) say(`worker: metrics at http://${opts.telemetry.metrics}/metrics`);
  if (traces) say(`worker: traces to ${traces} (OTLP/HTTP)`);
  const setup = await createWorker(connection, namespace, {
    connect: async () => (await connectWorker()).connection,
    ...(opts.unversioned ? { versioning: 'unversioned' } : {}),
    overrides: tuning(opts),
    ...(tracing ? { tracing } : {}),
  });
  const { worker, buildId, deployment } = setup;
  say(`worker: ${worker.workers.length} runner(s), one per workflow thread, each with its own connection and share of the cache`);
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM.
  const running = worker.run();
  if (!deployment) {
    say(
      `worker: UNVERSIONED, build ${buildId}. Every unversioned worker takes every watch, so running two releases of ` +
        'release-watch side by side can hand a running watch code it did not start with (a nondeterminism error that stops it).',
    );
  } else {
    const current = await currentBuildId(connection.workflowService, namespace, deployment);
    if (current === buildId) say(`worker: ${deployment} version ${buildId} (current)`);
    else if (current === undefined || opts.makeCurrent) {
      await makeCurrent(connection.workflowService, namespace, deployment, buildId);
      say(
        `worker: ${deployment} version ${buildId}, now current${current ? ` (was ${current}; its watches stay on it until they end)` : ''}`,
      );
    } else {
      say(
        `worker: ${deployment} version ${buildId}; the current version is ${current}. This worker runs the watches pinned to it; ` +
          `new watches start on ${current} until you run \`release-watch versions current ${buildId}\` (see docs/upgrading.md).`,
      );
    }
  }
  await running;
  await connection.close();
  // The spans of the last tasks, before the process ends.
  await tracing?.shutdown();
}

if (require.main === module) {
  runWorker({ makeCurrent: process.argv.includes('--make-current'), unversioned: process.argv.includes('--unversioned') }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
