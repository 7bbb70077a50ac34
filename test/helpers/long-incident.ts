// An incident nobody answers for long enough that the server suggests continuing as new (a dev
// server told to suggest it early). Used by its workflow test and by scripts/record-histories.ts.
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { watchStatusOf } from '../../client/watches';
import type { IncidentRecord } from '../../core/incidents';
import { incidentQuery } from '../../workflows/definitions';
import { startStubbedWatch } from './overdue';
import { until } from './poll';
import { newStub, Stub } from './stubs';

/** The history length at which the test's dev server suggests continuing as new (the default is 4,096 events). */
export const SUGGEST_CONTINUE_AS_NEW_AT = 150;

export interface LongIncidentRun {
  workflowId: string;
  incidentId: string;
  /** The incident's runs, first to last. */
  runIds: string[];
  /** The incident once its last run has paged at least `pagesAfter` times. */
  rec: IncidentRecord;
  stub: Stub;
  /** Starts another worker for the watch and its incident (the scenario's worker has stopped). */
  worker: () => Promise<Worker>;
}

/**
 * The fast pulse fails from hour 1 and nobody acknowledges: the incident pages every second (4 s
 * watch hour, critical 15 min acknowledgement) until it has continued as new `runs - 1` times and its
 * last run has paged `pagesAfter` times. Both workflows keep running (the caller answers or ends them),
 * with no worker until the caller starts one.
 */
export async function runLongIncidentScenario(env: TestWorkflowEnvironment, runs = 2, pagesAfter = 2): Promise<LongIncidentRun> {
  const stub = newStub((c, h) => (c === 'fast-pulse' && h >= 1 ? { outcome: 'fail', severity: 'critical' } : 'ok'));
  const { workflowId, worker } = await startStubbedWatch(env, '4s', stub);
  const w = await worker();
  return w.runUntil(async () => {
    const incidentId = await until(async () => (await watchStatusOf(env.client, workflowId)).incidents[0]?.id, 'the incident');
    let runIds: string[] = [];
    const rec = await until(
      async () => {
        runIds = await runsOf(env.client, incidentId);
        if (runIds.length < runs) return undefined;
        const r = await env.client.workflow.getHandle(incidentId).query(incidentQuery);
        const lastRunStarted = await startOf(env, incidentId, runIds[runIds.length - 1]);
        return r.pages.filter((p) => p.at >= lastRunStarted).length >= pagesAfter ? r : undefined;
      },
      `${runs} runs of the incident`,
      120_000,
    );
    return { workflowId, incidentId, runIds, rec, stub, worker };
  });
}

/** Every run of a workflow, first to last (walking back through continue-as-new). */
export async function runsOf(client: Client, id: string): Promise<string[]> {
  const runs: string[] = [];
  let runId: string | undefined = (await client.workflow.getHandle(id).describe()).runId;
  while (runId && runs.length < 50) {
    runs.unshift(runId);
    const h = await client.workflow.getHandle(id, runId).fetchHistory();
    runId = h.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
  }
  return runs;
}

async function startOf(env: TestWorkflowEnvironment, id: string, runId: string): Promise<number> {
  return (await env.client.workflow.getHandle(id, runId).describe()).startTime.getTime();
}
