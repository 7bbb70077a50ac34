// Re-records the histories the replay test checks new workflow code against (test/histories/*.json).
// Run after a deliberate, patched() change:  npx tsx scripts/record-histories.ts [--stubbed] [--demo] [--overdue] [--continued]
// --stubbed: on the time-skipping server with stubbed probes: a watch with a failing check, an incident
//   acknowledged and resolved, a decided checkpoint and a forced continue-as-new; and the incident.
// --demo: the full demo (real dev server, real activities, the simulator's fault timeline, signed
//   decisions) with a continue-as-new every 20 watch hours: every run of the watch and every incident.
// --overdue: on the dev server, deadlines passing while no worker is up: an incident's pages after a
//   short and after a long outage, and a watch's checkpoint reminders folded into one.
// --continued: on a dev server that suggests continuing as new early, an unanswered incident that
//   continues as new (its first two runs).
// Without a flag, all four.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { runDemo } from '../client/demo';
import { startDevServer } from '../client/devserver';
import { KEYRING_ENV } from '../client/keys';
import { acknowledge, decide, resolveIncident, watchStatusOf } from '../client/watches';
import { symphonyPlan } from '../test/helpers/plans';
import { runsOf, runLongIncidentScenario, SUGGEST_CONTINUE_AS_NEW_AT } from '../test/helpers/long-incident';
import { runFoldedRemindersScenario, runOverdueScenario } from '../test/helpers/overdue';
import { devServerEnv, timeSkippingEnv } from '../test/helpers/servers';
import { stubbedWatch } from '../test/helpers/stubs';

const HOUR = 3_600_000;
const OUT = join(__dirname, '..', 'test', 'histories');

async function main() {
  const args = process.argv.slice(2);
  const all = !['--stubbed', '--demo', '--overdue', '--continued'].some((a) => args.includes(a));
  Object.assign(ids, readIndex());
  if (all || args.includes('--stubbed')) await recordStubbed();
  if (all || args.includes('--demo')) await recordDemo();
  if (all || args.includes('--overdue')) await recordOverdue();
  if (all || args.includes('--continued')) await recordContinued();
  writeFileSync(join(OUT, 'index.json'), JSON.stringify(ids, null, 2) + '\n');
}

function readIndex(): Record<string, string> {
  try {
    return JSON.parse(readFileSync(join(OUT, 'index.json'), 'utf8'));
  } catch {
    return {};
  }
}

async function recordDemo() {
  const dir = mkdtempSync(join(tmpdir(), 'rw-record-'));
  try {
    const demo = await runDemo({
      clock: '1s',
      exit: true,
      quiet: true,
      dataDir: dir,
      reportsDir: join(dir, 'reports'),
      continueAsNewAfterHours: 20,
    });
    // The demo stopped its dev server; its SQLite file still holds every history.
    const server = await startDevServer({ dbFile: join(dir, 'temporal.db'), ui: false });
    try {
      const connection = await Connection.connect({ address: server.address });
      const client = new Client({ connection });
      for (const f of readdirSync(OUT).filter((f) => f.startsWith('demo-'))) {
        rmSync(join(OUT, f));
        delete ids[f];
      }
      const runs = await runsOf(client, demo.watchId);
      for (const [i, runId] of runs.entries())
        save(`demo-watch-run-${i + 1}.json`, demo.watchId, await client.workflow.getHandle(demo.watchId, runId).fetchHistory());
      for (const inc of demo.status.incidents) {
        await client.workflow.getHandle(inc.id).result();
        save(`demo-${inc.id.replace(/.*\//, '')}.json`, inc.id, await client.workflow.getHandle(inc.id).fetchHistory());
      }
      await connection.close();
      console.log(
        `recorded the demo watch ${demo.watchId}: ${runs.length} runs, ${demo.status.incidents.length} incidents, phase ${demo.status.phase}`,
      );
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An incident whose deadlines passed while no worker was up, paged at once when one was back. */
async function recordOverdue() {
  const env = await devServerEnv();
  try {
    for (const [file, missed] of [
      ['overdue-incident.json', 3],
      ['overdue-incident-long.json', 10],
    ] as const) {
      const run = await runOverdueScenario(env, missed);
      for (const id of [run.workflowId, run.incidentId]) await env.client.workflow.getHandle(id).terminate('recorded');
      save(file, run.incidentId, await env.client.workflow.getHandle(run.incidentId).fetchHistory());
      console.log(
        `recorded ${run.incidentId}: ${run.after.pages.length} pages, ${run.after.pages.length - run.before.pages.length} after the outage, ${run.after.skipped?.[0]?.count ?? 0} skipped`,
      );
    }
    const folded = await runFoldedRemindersScenario(env);
    await env.client.workflow.getHandle(folded.workflowId).terminate('recorded');
    save('watch-folded-reminders.json', folded.workflowId, await env.client.workflow.getHandle(folded.workflowId).fetchHistory());
    console.log(`recorded ${folded.workflowId}: reminders ${folded.after.folded?.join(', ')} folded into ${folded.after.escalations}`);
  } finally {
    await env.teardown();
  }
}

/** An incident nobody answers, continued as new when the server suggests it (early, here). */
async function recordContinued() {
  const env = await devServerEnv({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_CONTINUE_AS_NEW_AT } });
  try {
    const run = await runLongIncidentScenario(env, 3, 1);
    for (const id of [run.workflowId, run.incidentId]) await env.client.workflow.getHandle(id).terminate('recorded');
    for (const [i, runId] of run.runIds.slice(0, 2).entries()) {
      save(
        `incident-continued-run-${i + 1}.json`,
        run.incidentId,
        await env.client.workflow.getHandle(run.incidentId, runId).fetchHistory(),
      );
    }
    console.log(`recorded ${run.incidentId}: ${run.runIds.length} runs, ${run.rec.pages.length} pages`);
  } finally {
    await env.teardown();
  }
}

async function recordStubbed() {
  // The Symphony plan signs every decision: the helpers sign with the committed demo keys.
  process.env[KEYRING_ENV] ??= join(__dirname, '..', 'plans', 'keys');
  const env = await timeSkippingEnv();
  const plan = symphonyPlan();
  try {
    const outcome = (check: string, hour: number) =>
      check === 'fast-pulse' && hour === 3 ? ({ outcome: 'fail', severity: 'critical' } as const) : 'ok';
    await stubbedWatch(env, plan)({ outcome, continueAsNewAfterHours: 6 }, async (id) => {
      await env.sleep(3 * HOUR + 20 * 60_000);
      await acknowledge(env.client, id, { incident: '1', by: 'duty-engineer' });
      await env.sleep(10 * HOUR);
      await resolveIncident(env.client, id, {
        incident: '1',
        by: 'duty-engineer',
        rootCause: 'ollama crashed',
        resolution: 'restarted',
        followUp: 'memory limit',
      });
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
      console.log(`recorded ${id} (generation ${status.generation}) and ${incidentId}`);
    });
  } finally {
    await env.teardown();
  }
  // A day with three slow pulses: the scheduled escalation at the daily report. On a server of its
  // own (the time-skipping server's clock can stall after a long first watch).
  const env2 = await timeSkippingEnv();
  try {
    const slow = (check: string, hour: number) =>
      check === 'fast-pulse' && [2, 5, 9].includes(hour) ? { outcome: 'ok' as const, triggers: ['performance-trend'] } : 'ok';
    await stubbedWatch(env2, plan)({ outcome: slow }, async (id) => {
      await env2.sleep(12.5 * HOUR);
      await decide(env2.client, id, { checkpoint: '12h', decision: 'continue', by: 'release-captain' });
      await env2.sleep(12 * HOUR);
      save('watch-scheduled-escalation.json', id, await env2.client.workflow.getHandle(id).fetchHistory());
      console.log(`recorded ${id} past its first daily report`);
    });
  } finally {
    await env2.teardown();
  }
}

async function firstRun(env: Awaited<ReturnType<typeof timeSkippingEnv>>, id: string): Promise<string | undefined> {
  const latest = await env.client.workflow.getHandle(id).describe();
  let runId: string | undefined = latest.runId;
  // Walk back through the continue-as-new chain via each run's first event.
  for (let i = 0; i < 20 && runId; i++) {
    const h: Awaited<ReturnType<ReturnType<typeof env.client.workflow.getHandle>['fetchHistory']>> = await env.client.workflow
      .getHandle(id, runId)
      .fetchHistory();
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
