// Re-records the histories the replay test checks new workflow code against (test/histories/*.json).
// Run after a deliberate, patched() change:  npx tsx scripts/record-histories.ts
// Recorded on the time-skipping server with stubbed probes: a watch with a failing check, an incident
// acknowledged and resolved, a decided checkpoint and a forced continue-as-new; and the incident itself.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { acknowledge, decide, resolveIncident, watchStatusOf } from '../client/watches';
import { symphonyPlan } from '../test/helpers/plans';
import { timeSkippingEnv } from '../test/helpers/servers';
import { stubbedWatch } from '../test/helpers/stubs';

const HOUR = 3_600_000;
const OUT = join(__dirname, '..', 'test', 'histories');

async function main() {
  const env = await timeSkippingEnv();
  const plan = symphonyPlan();
  try {
    const outcome = (check: string, hour: number) => (check === 'fast-pulse' && hour === 3 ? ({ outcome: 'fail', severity: 'critical' } as const) : 'ok');
    await stubbedWatch(env, plan)({ outcome, continueAsNewAfterHours: 6 }, async (id) => {
      await env.sleep(3 * HOUR + 20 * 60_000);
      await acknowledge(env.client, id, { incident: '1', by: 'duty-engineer' });
      await env.sleep(10 * HOUR);
      await resolveIncident(env.client, id, { incident: '1', by: 'duty-engineer', rootCause: 'ollama crashed', resolution: 'restarted', followUp: 'memory limit' });
      await decide(env.client, id, { checkpoint: '12h', decision: 'continue', by: 'release-captain', note: 'recorded' });
      await env.sleep(1 * HOUR);
      const status = await watchStatusOf(env.client, id);
      const incidentId = status.incidents[0].id;
      await env.client.workflow.getHandle(incidentId).result();
      save('watch-latest-run.json', id, await env.client.workflow.getHandle(id).fetchHistory());
      save('incident.json', incidentId, await env.client.workflow.getHandle(incidentId).fetchHistory());
      // The first run, which ended in continue-as-new.
      const chain = await firstRun(env, id);
      if (chain) save('watch-first-run.json', id, await env.client.workflow.getHandle(id, chain).fetchHistory());
      writeFileSync(join(OUT, 'index.json'), JSON.stringify(ids, null, 2) + '\n');
      console.log(`recorded ${id} (generation ${status.generation}) and ${incidentId}`);
    });
  } finally {
    await env.teardown();
  }
}

async function firstRun(env: Awaited<ReturnType<typeof timeSkippingEnv>>, id: string): Promise<string | undefined> {
  const latest = await env.client.workflow.getHandle(id).describe();
  let runId: string | undefined = latest.runId;
  // Walk back through the continue-as-new chain via each run's first event.
  for (let i = 0; i < 20 && runId; i++) {
    const h: Awaited<ReturnType<ReturnType<typeof env.client.workflow.getHandle>['fetchHistory']>> = await env.client.workflow.getHandle(id, runId).fetchHistory();
    const prev: string | null | undefined = h.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!prev) return runId;
    runId = prev;
  }
  return runId;
}

/** History file → the workflow ID it was recorded under (replay needs it: incident IDs derive from it). */
const ids: Record<string, string> = {};

function save(name: string, workflowId: string, history: Parameters<typeof historyToJSON>[0]) {
  ids[name] = workflowId;
  writeFileSync(join(OUT, name), historyToJSON(history));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
