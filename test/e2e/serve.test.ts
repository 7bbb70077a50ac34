// The trigger endpoint on a real dev server: signed deploy webhooks start watches (once), everything else starts nothing.
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createServeServer, listen, stop, temporalBackend } from '../../client/serve';
import { watchIdFor } from '../../client/watches';
import { sign } from '../../client/webhook';
import { SA } from '../../workflows/definitions';
import { devServerEnv } from '../helpers/servers';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const PLANS = join(ROOT, 'plans');
const CLI = join(ROOT, 'bin', 'release-watch');
const SECRET = `e2e-${randomUUID()}`;
const SHA = '3f2a9c1e5b7d9f0a1c3e5b7d9f0a1c3e5b7d9f0a';
const taskQueue = `serve-e2e-${randomUUID()}`;

let env: TestWorkflowEnvironment;
let server: Server;
let base: string;
const logged: Array<Record<string, unknown>> = [];
const toTerminate = new Set<string>();

beforeAll(async () => {
  env = await devServerEnv();
  server = createServeServer({
    secret: SECRET,
    backend: temporalBackend(env.client, { address: env.address, namespace: env.namespace ?? 'default' }, { taskQueue }),
    plansDir: PLANS,
    log: (e) => logged.push(e),
  });
  const { port } = await listen(server, 0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const id of toTerminate)
    await env?.client.workflow
      .getHandle(id)
      .terminate('serve e2e test done')
      .catch(() => undefined);
  if (server) {
    server.closeAllConnections();
    await stop(server);
  }
  await env?.teardown();
});

const version = () => `v1.${randomUUID().slice(0, 8)}`;

async function post(body: string | object, headers: Record<string, string> = {}, secret = SECRET) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${base}/deployments`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': sign(raw, secret), ...headers },
    body: raw,
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

async function exists(workflowId: string): Promise<boolean> {
  try {
    await env.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

test('health: 200, Temporal reachable', async () => {
  const res = await fetch(`${base}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({
    ok: true,
    temporal: { reachable: true, address: env.address, namespace: env.namespace ?? 'default' },
  });
});

test('a signed deploy starts the watch once: 201, then the same delivery again 200 with started false', async () => {
  const release = version();
  const body = { service: 'symphony', release, commit: '3f2a9c1', plan: 'symphony-orchestra' };
  const delivery = { 'X-GitHub-Delivery': randomUUID() };
  const first = await post(body, delivery);
  const workflowId = watchIdFor('symphony', release);
  toTerminate.add(workflowId);
  expect(first.status).toBe(201);
  expect(first.json).toMatchObject({
    workflowId,
    started: true,
    service: 'symphony',
    release,
    commit: '3f2a9c1',
    plan: 'symphony-orchestra',
  });
  const [host, grpcPort] = env.address.split(':');
  expect(first.json.webUi).toBe(`http://${host}:${Number(grpcPort) + 1000}/namespaces/default/workflows/${workflowId}`);
  expect(first.headers.get('location')).toBe(first.json.webUi);

  const again = await post(body, delivery);
  expect(again.status).toBe(200);
  expect(again.json).toMatchObject({ workflowId, runId: first.json.runId, started: false });

  const desc = await env.client.workflow.getHandle(workflowId).describe();
  expect(desc.status.name).toBe('RUNNING');
  expect(desc.taskQueue).toBe(taskQueue);
  expect(desc.typedSearchAttributes.get(SA.release)).toBe(release);
  const runs = [];
  for await (const w of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(w.runId);
  expect(runs.length).toBeLessThanOrEqual(1); // visibility may lag; never two runs
  expect(logged.filter((e) => e.watch === workflowId).map((e) => e.status)).toEqual([201, 200]);
});

test('a bad, missing or wrong-prefix signature: 401 and nothing started', async () => {
  const release = version();
  const raw = JSON.stringify({ service: 'symphony', release, commit: '3f2a9c1', plan: 'symphony-orchestra' });
  const wrongSecret = await post(raw, {}, 'not-the-secret');
  expect(wrongSecret).toMatchObject({ status: 401, json: { error: 'signature does not match the body' } });
  const missing = await fetch(`${base}/deployments`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: raw });
  expect(missing.status).toBe(401);
  expect(await missing.json()).toEqual({ error: 'missing X-Hub-Signature-256 header' });
  const sha1 = await post(raw, { 'X-Hub-Signature-256': sign(raw, SECRET).replace('sha256=', 'sha1=') });
  expect(sha1.status).toBe(401);
  // The signature of another body does not carry over.
  const tampered = await post(raw, { 'X-Hub-Signature-256': sign(raw.replace(release, 'v9.9.9'), SECRET) });
  expect(tampered.status).toBe(401);
  expect(await exists(watchIdFor('symphony', release))).toBe(false);
});

test('malformed bodies: 400 with the reason, nothing started', async () => {
  const release = version();
  const cases: Array<[string | object, RegExp]> = [
    ['{"service": "symphony", ', /body is not JSON/],
    [{ service: 'symphony', plan: 'symphony-orchestra' }, /missing "release"/],
    [{ service: 'symphony', release, commit: 'HEAD~1', plan: 'symphony-orchestra' }, /commit must be a hex SHA/],
    [{ service: 'symphony', release: `${release};reboot`, plan: 'symphony-orchestra' }, /release must be a plain tag/],
    [{ service: 'billing', release, plan: 'symphony-orchestra' }, /plan "symphony-orchestra" watches service "symphony", not "billing"/],
  ];
  for (const [body, reason] of cases) {
    const res = await post(body);
    expect([res.status, res.json.error]).toEqual([400, expect.stringMatching(reason)]);
  }
  expect(await exists(watchIdFor('symphony', release))).toBe(false);
  expect(await exists(watchIdFor('billing', release))).toBe(false);
});

test('an unknown plan: 400 naming it, nothing started', async () => {
  const release = version();
  const res = await post({ service: 'symphony', release, plan: 'no-such-plan' });
  expect(res.status).toBe(400);
  expect(res.json.error).toMatch(/unknown plan "no-such-plan"/);
  expect(await exists(watchIdFor('symphony', release))).toBe(false);
});

test('GitHub deployment_status: success starts the watch of the tag; pending and failure are acknowledged with 202', async () => {
  const release = version();
  const event = (state: string) => ({
    action: 'created',
    deployment_status: { state, environment: 'production' },
    deployment: { id: 42, sha: SHA, ref: release, environment: 'production', payload: { service: 'symphony', plan: 'demo' } },
    sender: { login: 'octocat' },
  });
  const headers = { 'X-GitHub-Event': 'deployment_status', 'X-GitHub-Delivery': randomUUID() };
  const workflowId = watchIdFor('symphony', release);
  for (const state of ['pending', 'failure']) {
    const res = await post(event(state), headers);
    expect(res).toMatchObject({ status: 202, json: { started: false, ignored: expect.stringMatching(`"${state}"`) } });
  }
  expect(await exists(workflowId)).toBe(false);

  const ok = await post(event('success'), headers);
  toTerminate.add(workflowId);
  expect(ok.status).toBe(201);
  expect(ok.json).toMatchObject({ workflowId, started: true, release, commit: SHA, plan: 'symphony-demo' });
  const desc = await env.client.workflow.getHandle(workflowId).describe();
  expect(await desc.staticDetails()).toMatch(new RegExp(`^Started by github:octocat\\..*commit ${SHA}`));
  expect((await post(event('success'), headers)).json).toMatchObject({ workflowId, started: false });

  const ping = await post({ zen: 'Design for failure.' }, { 'X-GitHub-Event': 'ping' });
  expect(ping.status).toBe(202);
});

test('only POST on /deployments (405), unknown paths 404, bodies over 1 MB 413', async () => {
  const get = await fetch(`${base}/deployments`);
  expect(get.status).toBe(405);
  expect(get.headers.get('allow')).toBe('POST');
  expect(await get.json()).toEqual({ error: 'GET is not allowed on /deployments (use POST)' });
  const missing = await fetch(`${base}/nope`);
  expect([missing.status, ((await missing.json()) as { error: string }).error]).toEqual([404, expect.stringMatching(/no such endpoint/)]);
  const postHealth = await fetch(`${base}/healthz`, { method: 'POST' });
  expect(postHealth.status).toBe(405);

  const big = JSON.stringify({ service: 'symphony', release: version(), plan: 'symphony-orchestra', pad: 'x'.repeat(1024 * 1024) });
  const res = await post(big);
  expect(res).toMatchObject({ status: 413, json: { error: expect.stringMatching(/larger than 1048576 bytes/) } });
});

test('Temporal down: health says so (200), a deploy gets 503 and can be retried', async () => {
  const deadAddress = `127.0.0.1:${await freePort()}`;
  const connection = Connection.lazy({ address: deadAddress });
  const client = new Client({ connection, namespace: 'default' });
  const down = createServeServer({
    secret: SECRET,
    backend: temporalBackend(client, { address: deadAddress, namespace: 'default' }, { taskQueue, startTimeoutMs: 1500 }),
    plansDir: PLANS,
  });
  const { port } = await listen(down, 0, '127.0.0.1');
  try {
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, temporal: { reachable: false, address: deadAddress } });
    const raw = JSON.stringify({ service: 'symphony', release: version(), plan: 'symphony-orchestra' });
    const res = await fetch(`http://127.0.0.1:${port}/deployments`, {
      method: 'POST',
      headers: { 'X-Hub-Signature-256': sign(raw, SECRET) },
      body: raw,
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(((await res.json()) as { error: string }).error).toMatch(/Temporal is not reachable, nothing started/);
  } finally {
    down.closeAllConnections();
    await stop(down);
    await connection.close();
  }
});

test('the CLI: refuses to run without a secret; --help shows a signed curl example that works against `serve`', async () => {
  const cliEnv: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' };
  delete cliEnv.RELEASE_WATCH_WEBHOOK_SECRET;
  const refused = await run(CLI, ['serve', '--port', '0'], { env: cliEnv }).catch((e) => e);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/refused: RELEASE_WATCH_WEBHOOK_SECRET is not set/);

  const help = (await run(CLI, ['serve', '--help'], { env: cliEnv })).stdout;
  expect(help).toMatch(/openssl dgst -sha256 -hmac/);
  expect(help).toMatch(/X-Hub-Signature-256: sha256=\$sig/);

  // The server as shipped, on a free port, and the help's own openssl + curl lines against it.
  const child = spawn(CLI, ['serve', '--port', '0', '--plans', PLANS], { env: { ...cliEnv, RELEASE_WATCH_WEBHOOK_SECRET: SECRET } });
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/[^ ]+)/.exec(out);
        if (m) resolveUrl(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${out}`)));
    });
    const release = version();
    const workflowId = watchIdFor('symphony', release);
    toTerminate.add(workflowId);
    const script = help
      .split('\n')
      .filter((l) => /^\s+(body=|sig=|curl -sS -X POST|-H "X-Hub)/.test(l))
      .join('\n')
      .replace('http://127.0.0.1:8080', url)
      .replace('"release":"v1.0"', `"release":"${release}"`);
    expect(script).toMatch(/curl[\s\S]*--data "\$body"/);
    const { stdout } = await run('bash', ['-c', script], { env: { ...cliEnv, RELEASE_WATCH_WEBHOOK_SECRET: SECRET } });
    expect(JSON.parse(stdout)).toMatchObject({ workflowId, started: true, plan: 'symphony-orchestra', commit: '3f2a9c1' });
  } finally {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
});

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}
