// A worker: one task queue, the watch workflows and every activity.
import { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import * as activities from '../activities';
import { temporalTarget } from '../client/connection';
import { TASK_QUEUE } from '../workflows/definitions';
import { preloadModules, workflowInterceptorModules, workflowsPath } from './bundle';

/** How long a shutdown may take before the worker is stopped regardless. */
export const SHUTDOWN_FORCE_TIME = '30 seconds';

export type WorkerOverrides = Partial<Omit<WorkerOptions, 'connection'>>;

export async function createWorker(connection: NativeConnection, namespace: string, overrides: WorkerOverrides = {}): Promise<Worker> {
  const code = overrides.workflowBundle ? {} : { workflowsPath, bundlerOptions: { preloadModules }, interceptors: { workflowModules: workflowInterceptorModules } };
  return Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUE,
    activities,
    // A shutdown that does not finish (the SDK core can start one itself) ends the process rather
    // than leave a worker that polls nothing; the process manager then starts a fresh one.
    shutdownForceTime: SHUTDOWN_FORCE_TIME,
    ...code,
    ...overrides,
  });
}

export async function connectWorker(): Promise<{ connection: NativeConnection; namespace: string }> {
  const target = temporalTarget();
  const connection = await NativeConnection.connect({ address: target.address, tls: target.tls, apiKey: target.apiKey });
  return { connection, namespace: target.namespace };
}
