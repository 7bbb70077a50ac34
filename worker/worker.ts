// A worker: one task queue, the watch and incident workflows and every activity, run as a version of the
// release-watch Worker Deployment (its build ID a digest of the workflow code). Watches and incidents are
// pinned to the version they start on, so an upgrade never hands a running watch to other code. It runs as
// one runner per workflow thread (worker/runners.ts).
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { temporalTarget } from '../config/connection';
import { TASK_QUEUE } from '../workflows/definitions';
import { workflowCode, type WorkflowCode } from './code';
import { createRunners, runnerOptions, type Runners } from './runners';
import type { Tracing } from './tracing';
import { WORKFLOW_THREADS } from './threads';
import { deploymentName } from './versions';

/** How long a shutdown may take before the worker is stopped regardless. */
export const SHUTDOWN_FORCE_TIME = '30 seconds';

export type WorkerOverrides = Partial<Omit<WorkerOptions, 'connection'>>;

/** Versioned (the default), or unversioned only when asked for explicitly (see `release-watch worker --unversioned`). */
export type Versioning = { deployment: string } | 'unversioned';

export interface WorkerSetup {
  /** One runner (an SDK worker) per workflow thread, run and shut down together (worker/runners.ts). */
  worker: Runners;
  /** The build ID of the workflow code this worker runs. */
  buildId: string;
  deployment?: string;
}

export interface WorkerChoices {
  /** Opens a connection like the one given, for each runner after the first. */
  connect: () => Promise<NativeConnection>;
  versioning?: Versioning;
  /** Other workflow code than this checkout's (a test's second version). */
  code?: WorkflowCode;
  overrides?: WorkerOverrides;
  /** Trace workflows and activities to this OTLP exporter (worker/tracing.ts). */
  tracing?: Tracing;
}

export async function createWorker(connection: NativeConnection, namespace: string, opts: WorkerChoices): Promise<WorkerSetup> {
  const versioning = opts.versioning ?? { deployment: deploymentName() };
  const code = opts.code ?? (await workflowCode({ traced: opts.tracing !== undefined }));
  const activities = createActivities({ env: process.env });
  // A --workflow-threads override sets the number of runners, each with one thread.
  const runners = opts.overrides?.workflowThreadPoolSize ?? WORKFLOW_THREADS;
  const options = runnerOptions<Omit<WorkerOptions, 'connection'>>(
    {
      namespace,
      taskQueue: TASK_QUEUE,
      activities,
      workflowBundle: code.bundle,
      ...(opts.tracing ? tracedWorker(opts.tracing) : {}),
      // A shutdown that does not finish (the SDK core can start one itself) ends the process rather
      // than leave a worker that polls nothing; the process manager then starts a fresh one.
      shutdownForceTime: SHUTDOWN_FORCE_TIME,
      ...(versioning === 'unversioned'
        ? {}
        : {
            workerDeploymentOptions: {
              version: { deploymentName: versioning.deployment, buildId: code.buildId },
              useWorkerVersioning: true,
              // Every watch and incident stays on the code it started with until it ends.
              defaultVersioningBehavior: 'PINNED' as const,
            },
          }),
      ...opts.overrides,
    },
    runners,
  );
  const worker = await createRunners(runners, connection, opts.connect, (c) => Worker.create({ ...options, connection: c }));
  return { worker, buildId: code.buildId, ...(versioning === 'unversioned' ? {} : { deployment: versioning.deployment }) };
}

/** A traced worker's activity interceptors (a span per activity, its trace from the workflow's headers) and the workflows' span exporter. */
export function tracedWorker(tracing: Tracing): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.processor, tracing.resource) },
  };
}

export async function connectWorker(): Promise<{ connection: NativeConnection; namespace: string }> {
  const target = temporalTarget();
  const connection = await NativeConnection.connect({
    address: target.address,
    tls: target.tls,
    apiKey: target.apiKey,
    metadata: target.metadata,
  });
  return { connection, namespace: target.namespace };
}
