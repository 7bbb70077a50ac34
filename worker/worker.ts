// A worker: one task queue, the watch workflows and every activity.
import { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import * as activities from '../activities';
import { temporalTarget } from '../client/connection';
import { TASK_QUEUE } from '../workflows/definitions';
import { preloadModules, workflowsPath } from './bundle';

export type WorkerOverrides = Partial<Omit<WorkerOptions, 'connection'>>;

export async function createWorker(connection: NativeConnection, namespace: string, overrides: WorkerOverrides = {}): Promise<Worker> {
  const code = overrides.workflowBundle ? {} : { workflowsPath, bundlerOptions: { preloadModules } };
  return Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUE,
    activities,
    ...code,
    ...overrides,
  });
}

export async function connectWorker(): Promise<{ connection: NativeConnection; namespace: string }> {
  const target = temporalTarget();
  const connection = await NativeConnection.connect({ address: target.address, tls: target.tls, apiKey: target.apiKey });
  return { connection, namespace: target.namespace };
}
