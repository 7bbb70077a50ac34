// A watch on the real dev server, real activities, against the simulator.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { KEYRING_ENV } from '../../client/keys';
import { listWatches } from '../../client/list';
import { decide, Refused, startWatch } from '../../client/watches';
import { demoPlan } from '../helpers/plans';
import { devServerEnv } from '../helpers/servers';
import { realWorker, shortPlan, startWorld, waitForStatus, World } from '../helpers/world';

const run = promisify(execFile);
const KEYS = join(__dirname, '..', '..', 'plans', 'keys');
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
  const release = {
    service: 'symphony',
    version: `v1.${randomUUID().slice(0, 6)}`,
    commit: 'abc1234',
    deployedAt: new Date().toISOString(),
  };
  const first = await startWatch(env.client, { plan, release, startedBy: 'e2e', taskQueue });
  const again = await startWatch(env.client, { plan, release, startedBy: 'e2e-retry', taskQueue });
  expect(first.started).toBe(true);
  expect(again).toEqual({ workflowId: first.workflowId, runId: first.runId, started: false });

  const atCheckpoint = await waitForStatus(
    env.client,
    first.workflowId,
    (s) => s.checkpoints[0]?.state === 'pending',
    'the 12h checkpoint',
  );
  expect(atCheckpoint.phase).toBe('awaiting-decision');
  expect(atCheckpoint.tiers.hourly.ranAt).toEqual([...Array(13).keys()]);
  expect(atCheckpoint.tiers.deep.ranAt).toEqual([0, 4, 8, 12]);
  for (const [id, c] of Object.entries(atCheckpoint.checks)) expect([id, c.status, c.fails]).toEqual([id, 'healthy', 0]);
  expect(atCheckpoint.checkpoints[0].criteria?.every((c) => c.met)).toBe(true);

  // The search attributes reach visibility: the watch is found by service, release and phase.
  const listed = await waitForList(() =>
    listWatches(env.client, { service: 'symphony', release: release.version, phase: 'awaiting-decision' }),
  );
  expect(listed.map((r) => r.workflowId)).toEqual([first.workflowId]);
  expect(listed[0]).toMatchObject({ health: 'healthy', openIncidents: 0 });

  // The CLI has no keyring here: it signs only with the key file it is given.
  const { [KEYRING_ENV]: _keyring, ...withoutKeys } = process.env;
  const cliEnv = { ...withoutKeys, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' };
  const cli = join(__dirname, '..', '..', 'bin', 'release-watch');
  const decideArgs = (decision: string, ...more: string[]) => [
    'decide',
    first.workflowId,
    '--checkpoint',
    '12h',
    '--decision',
    decision,
    '--by',
    'release-captain',
    ...more,
  ];
  const refused = await run(cli, decideArgs('release'), { env: cliEnv }).catch((e) => e);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/"release" is not allowed at checkpoint "12h"/);
  const unsigned = await run(cli, decideArgs('continue'), { env: cliEnv }).catch((e) => e);
  expect([unsigned.code, unsigned.stderr]).toEqual([
    2,
    'refused: this plan requires signed approvals: sign as release-captain with --key (make one with `release-watch keygen`)\n',
  ]);
  const othersKey = await run(cli, decideArgs('continue', '--key', join(KEYS, 'duty-engineer.key')), { env: cliEnv }).catch((e) => e);
  expect(othersKey.code).toBe(2);
  expect(othersKey.stderr).toMatch(/signature does not verify with release-captain's public key/);
  const ok = await run(cli, decideArgs('continue', '--key', join(KEYS, 'release-captain.key'), '--json'), { env: cliEnv });
  expect(JSON.parse(ok.stdout)).toMatchObject({ name: '12h', state: 'decided', decision: 'continue', by: 'release-captain' });

  const status = JSON.parse((await run(cli, ['status', first.workflowId, '--json'], { env: cliEnv })).stdout);
  expect(status).toMatchObject({ watchId: first.workflowId, checkpoints: [{ name: '12h', state: 'decided', by: 'release-captain' }] });
  expect(status.decisions).toMatchObject([{ checkpoint: '12h', by: 'release-captain', signed: true }]);
  const out = join(world.dir, 'on-demand');
  const files = JSON.parse((await run(cli, ['report', first.workflowId, '--out', out, '--json'], { env: cliEnv })).stdout);
  expect(files.path).toMatch(/hour-[\d.]+\.md$/);
  expect(readFileSync(files.html, 'utf8')).toContain('<svg');

  const result = await env.client.workflow.getHandle(first.workflowId).result();
  expect(result.phase).toBe('completed');
  const late = await decide(env.client, first.workflowId, { checkpoint: '12h', decision: 'continue', by: 'release-captain' }).catch(
    (e) => e,
  );
  expect(late).toBeInstanceOf(Refused);
  expect(late.message).toMatch(/no running watch/);

  // Signatures and nonces are in the history; no secret key is.
  const history = payloadText(await env.client.workflow.getHandle(first.workflowId).fetchHistory());
  expect(history.includes('"nonce"')).toBe(true);
  for (const file of readdirSync(KEYS).filter((f) => f.endsWith('.key'))) {
    const secret = readFileSync(join(KEYS, file), 'utf8').trim().split('\n').pop()!;
    expect([file, history.includes(secret)]).toEqual([file, false]);
  }
});

/** Every payload of a history, decoded: what the history holds in clear. */
function payloadText(history: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'data' && x instanceof Uint8Array) out.push(Buffer.from(x).toString('utf8'));
        else walk(x);
      }
    }
  };
  walk(history);
  return out.join('\n');
}

async function waitForList<T>(fetch: () => Promise<T[]>): Promise<T[]> {
  for (let i = 0; i < 100; i++) {
    const rows = await fetch();
    if (rows.length > 0) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  return fetch();
}

test('status of a watch whose worker has stopped: the CLI says so within its timeout, exit 1', async () => {
  const plan = shortPlan(demoPlan(), 4, '60s');
  const release = { service: 'symphony', version: `v0.${randomUUID().slice(0, 8)}`, deployedAt: new Date().toISOString() };
  const queue = `stopped-${randomUUID()}`;
  const { workflowId } = await startWatch(env.client, { plan, release, startedBy: 'e2e', taskQueue: queue });
  await (
    await realWorker(env, queue)
  ).runUntil(() => waitForStatus(env.client, workflowId, (s) => s.phase === 'watching', 'the watch under way'));
  const cliEnv = { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' };
  const out = await run(join(__dirname, '..', '..', 'bin', 'release-watch'), ['status', workflowId, '--timeout', '2'], {
    env: cliEnv,
  }).catch((e) => e);
  expect(out.code).toBe(1);
  expect(out.stderr).toBe(
    `error: no worker answered for watch "${workflowId}" within 2 s: is a release-watch worker running on its task queue? ` +
      '(its timers keep running; what comes due is acted on once a worker is back)\n',
  );
  await env.client.workflow.getHandle(workflowId).terminate('test over');
});
