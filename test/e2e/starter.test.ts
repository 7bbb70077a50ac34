// A new user's way, through the CLI only, with a service that is not Symphony: `init` writes a plan for it,
// `validate` accepts it, `start` on a namespace that was never set up is refused with the fix, `setup`
// makes it ready (twice: nothing more the second time), a worker serves the plan, the watch runs, its
// checkpoints are decided, and `list` shows it ended.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startOrdersApi, type OrdersApi } from '../helpers/orders-api';
import { until } from '../helpers/poll';
import { devServerEnv } from '../helpers/servers';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'release-watch');

let env: TestWorkflowEnvironment;
let api: OrdersApi;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rw-starter-'));
  env = await devServerEnv({ searchAttributes: false });
  api = await startOrdersApi(join(dir, 'shop'));
});

afterAll(async () => {
  await api?.stop();
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      CLI,
      args,
      { cwd: dir, env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

test('init, validate, setup, worker, start, decide: a watch of your own service from nothing', async () => {
  const init = await cli([
    'init',
    '--service',
    'shop',
    '--url',
    `${api.url}/healthz`,
    '--log',
    api.logFile,
    '--log-format',
    'jsonl',
    '--person',
    'ann:Ann Ito',
    '--hour',
    '1s',
  ]);
  expect(init).toMatchObject({ code: 0, stderr: '' });
  expect(init.stdout).toContain(`wrote ${join(dir, 'shop.yaml')} (2 checks, 1 person, checkpoints at 24h and 48h)`);
  expect(await cli(['validate', 'shop.yaml'])).toMatchObject({
    code: 0,
    stdout: 'shop.yaml: ok (shop: 2 checks, 2 tiers, 2 checkpoints)\n',
  });

  // A namespace nobody set up: refused with the server's reason and the fix.
  const early = await cli(['start', '--plan', 'shop.yaml', '--service', 'shop', '--release', 'v1.0']);
  expect(early.code).toBe(2);
  expect(early.stderr).toMatch(
    /^refused: the namespace cannot hold a watch: .*search attribute Rw[A-Za-z]+\. Run `release-watch setup` once for this namespace\n$/s,
  );
  const setup = await cli(['setup', '--json']);
  expect(JSON.parse(setup.stdout)).toMatchObject({
    namespace: 'default',
    added: ['RwService', 'RwRelease', 'RwPhase', 'RwHealth', 'RwOpenIncidents'],
  });
  expect(JSON.parse((await cli(['setup', '--json'])).stdout)).toMatchObject({
    added: [],
    present: ['RwService', 'RwRelease', 'RwPhase', 'RwHealth', 'RwOpenIncidents'],
  });
  expect(await cli(['setup', '--check'])).toMatchObject({ code: 0 });

  const worker = spawn(CLI, ['worker', '--plan', 'shop.yaml'], {
    cwd: dir,
    env: { ...process.env, TEMPORAL_ADDRESS: env.address },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let said = '';
  worker.stderr!.on('data', (b: Buffer) => (said += b.toString()));
  const exited = new Promise((r) => worker.once('exit', r));
  try {
    await until(() => /worker: release-watch version rw-[0-9a-f]{16}, now current/.test(said), 'the worker to start', 60_000, 100);
    const started = await cli(['start', '--plan', 'shop.yaml', '--service', 'shop', '--release', 'v1.0', '--json']);
    expect(JSON.parse(started.stdout)).toMatchObject({ workflowId: 'watch-shop-v1.0', started: true });
    const statusOf = async () => JSON.parse((await cli(['status', 'watch-shop-v1.0', '--json'])).stdout);
    for (const [checkpoint, decision] of [
      ['24h', 'continue'],
      ['48h', 'release'],
    ]) {
      await until(
        async () => (await statusOf()).checkpoints.find((c: { name: string }) => c.name === checkpoint)?.state === 'pending',
        `checkpoint ${checkpoint}`,
        90_000,
        500,
      );
      const decided = await cli(['decide', 'watch-shop-v1.0', '--checkpoint', checkpoint, '--decision', decision, '--by', 'ann']);
      expect(decided).toMatchObject({ code: 0, stderr: '' });
    }
    const list = await until(async () => {
      const l = await cli(['list', '--service', 'shop']);
      return /released/.test(l.stdout) && l.stdout;
    }, 'the watch to be listed as released');
    const [header, row] = list.trim().split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['WATCH', 'SERVICE', 'RELEASE', 'PHASE', 'HEALTH', 'OPEN INCIDENTS', 'STATUS', 'STARTED']);
    expect(row.split(/\s{2,}/).slice(0, 7)).toEqual(['watch-shop-v1.0', 'shop', 'v1.0', 'released', 'healthy', '0', 'COMPLETED']);

    // Following an ended watch prints where it stands and that it ended; errors come as JSON under --json.
    const follow = await cli(['status', 'watch-shop-v1.0', '--follow', '--every', '1']);
    expect(follow.code).toBe(0);
    expect(follow.stdout).toMatch(/released · healthy · hour [\d.]+\/48 · incidents 0 open\nwatch ended: released\n$/);
    const missing = await cli(['status', 'watch-shop-v9', '--json']);
    expect({ code: missing.code, out: JSON.parse(missing.stdout) }).toEqual({
      code: 2,
      out: { error: { kind: 'refused', message: 'no watch "watch-shop-v9"' }, exitCode: 2 },
    });

    // A deploy pipeline's way: start and wait for the end (the smallest plan, a quick clock, no checkpoints).
    writeFileSync(
      join(dir, 'quick.yaml'),
      `version: 1\nservice: shop\nprofile: dev\nclock: { hour: 300ms, duration: 3h }\npeople: { ann: { name: Ann } }\n` +
        `checks:\n  health: { probe: { kind: http, url: "${api.url}/healthz" }, conditions: ["[STATUS] == 200"] }\ntiers:\n  hourly: { every: 1h, checks: [health] }\n`,
    );
    const waited = await cli(['start', '--plan', 'quick.yaml', '--service', 'shop', '--release', 'v1.1', '--wait', '--every', '1']);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toMatch(/^started: watch-shop-v1\.1\n/);
    expect(waited.stdout).toMatch(/h0 +start +watch of shop v1\.1 started by/);
    expect(waited.stdout).toMatch(/watch ended: completed\n$/);
  } finally {
    worker.kill('SIGTERM');
    await exited;
  }
}, 240_000);
