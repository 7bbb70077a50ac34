// A watch on the real dev server, real activities, against the simulator.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { listWatches } from '../../client/list';
import { decide, Refused, startWatch } from '../../client/watches';
import { demoPlan } from '../helpers/plans';
import { devServerEnv } from '../helpers/servers';
import { realWorker, shortPlan, startWorld, waitForStatus, World } from '../helpers/world';

const run = promisify(execFile);
let env: TestWorkflowEnvironment;
let world: World;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `e2e-${randomUUID()}`;

beforeAll(async () => {
  env = await devServerEnv();
  world = await startWorld();
  worker = await realWorker(env, taskQueue);
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await world?.close();
});

test('start, idempotent re-start, all-green status, list by search attributes, decide from the CLI', async () => {
  const plan = shortPlan(demoPlan(), 12, '1s');
  const release = { service: 'symphony', version: `v1.${randomUUID().slice(0, 6)}`, commit: 'abc1234', deployedAt: new Date().toISOString() };
  const first = await startWatch(env.client, { plan, release, startedBy: 'e2e', taskQueue });
  const again = await startWatch(env.client, { plan, release, startedBy: 'e2e-retry', taskQueue });
  expect(first.started).toBe(true);
  expect(again).toEqual({ workflowId: first.workflowId, runId: first.runId, started: false });

  const atCheckpoint = await waitForStatus(env.client, first.workflowId, (s) => s.checkpoints[0]?.state === 'pending', 'the 12h checkpoint');
  expect(atCheckpoint.phase).toBe('awaiting-decision');
  expect(atCheckpoint.tiers.hourly.ranAt).toEqual([...Array(13).keys()]);
  expect(atCheckpoint.tiers.deep.ranAt).toEqual([0, 4, 8, 12]);
  for (const [id, c] of Object.entries(atCheckpoint.checks)) expect([id, c.status, c.fails]).toEqual([id, 'healthy', 0]);
  expect(atCheckpoint.checkpoints[0].criteria?.every((c) => c.met)).toBe(true);

  // The search attributes reach visibility: the watch is found by service, release and phase.
  const listed = await waitForList(() => listWatches(env.client, { service: 'symphony', release: release.version, phase: 'awaiting-decision' }));
  expect(listed.map((r) => r.workflowId)).toEqual([first.workflowId]);
  expect(listed[0]).toMatchObject({ health: 'healthy', openIncidents: 0 });

  const cliEnv = { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' };
  const cli = join(__dirname, '..', '..', 'bin', 'release-watch');
  const refused = await run(cli, ['decide', first.workflowId, '--checkpoint', '12h', '--decision', 'release', '--by', 'release-captain'], { env: cliEnv }).catch((e) => e);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/"release" is not allowed at checkpoint "12h"/);
  const ok = await run(cli, ['decide', first.workflowId, '--checkpoint', '12h', '--decision', 'continue', '--by', 'release-captain', '--json'], { env: cliEnv });
  expect(JSON.parse(ok.stdout)).toMatchObject({ name: '12h', state: 'decided', decision: 'continue', by: 'release-captain' });

  const status = JSON.parse((await run(cli, ['status', first.workflowId, '--json'], { env: cliEnv })).stdout);
  expect(status).toMatchObject({ watchId: first.workflowId, checkpoints: [{ name: '12h', state: 'decided', by: 'release-captain' }] });
  const out = join(world.dir, 'on-demand');
  const files = JSON.parse((await run(cli, ['report', first.workflowId, '--out', out, '--json'], { env: cliEnv })).stdout);
  expect(files.path).toMatch(/hour-[\d.]+\.md$/);
  expect(readFileSync(files.html, 'utf8')).toContain('<svg');

  const result = await env.client.workflow.getHandle(first.workflowId).result();
  expect(result.phase).toBe('completed');
  const late = await decide(env.client, first.workflowId, { checkpoint: '12h', decision: 'continue', by: 'release-captain' }).catch((e) => e);
  expect(late).toBeInstanceOf(Refused);
  expect(late.message).toMatch(/no running watch/);
});

async function waitForList<T>(fetch: () => Promise<T[]>): Promise<T[]> {
  for (let i = 0; i < 100; i++) {
    const rows = await fetch();
    if (rows.length > 0) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  return fetch();
}

