// Lever steps run through their probe kind's `act`, with the same `${var}` resolution as its probes:
// a command step's env and cwd, an http step's URL, headers and body.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPullLever } from '../../activities/levers';
import type { Release } from '../../core/messages';
import { Step, type StepSpec } from '../../plan/schema';

const release: Release = { service: 'symphony', version: 'v1.0', commit: 'abcdef1', deployedAt: '2025-01-01T00:00:00Z' };
const vars = { node: { default: [process.execPath] }, flag: { default: 'conservative', env: 'RW_TEST_LEVER_FLAG' } };
const step = (s: unknown) => Step.parse(s) as StepSpec;

let dir: string;
let server: Server;
let seen: Array<{ url: string; header: string | undefined; body: string }> = [];

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'rw-lever-')));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', header: req.headers['x-mode'] as string | undefined, body });
      res.writeHead(req.url?.includes('broken') ? 500 : 200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => (seen = []));

test("a command step's env and cwd resolve ${var} and release fields, as a probe's do", async () => {
  const pullLever = createPullLever({ RW_TEST_LEVER_FLAG: 'kill' });
  const printEnv = 'console.log(process.env.MODE + " " + process.env.COMMIT + " " + process.cwd())';
  const result = await pullLever({
    lever: 'conservative-mode',
    steps: [step({ kind: 'command', argv: ['${node}', '-e', printEnv], env: { MODE: '${flag}', COMMIT: '${release.commit}' }, cwd: dir })],
    vars: { ...vars, dir: { default: dir } },
    release,
  });
  expect(result.ok).toBe(true);
  expect(result.steps[0].detail).toBe(`exit 0: kill abcdef1 ${dir}`);
});

test('an http step resolves its URL, headers and body; a failing step stops the lever', async () => {
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pullLever = createPullLever({});
  const result = await pullLever({
    lever: 'rollback',
    steps: [
      step({
        kind: 'http',
        method: 'POST',
        url: '${base}/rollback/${release.version}',
        headers: { 'x-mode': '${flag}' },
        body: { commit: '${release.commit}' },
      }),
      step({ kind: 'http', method: 'POST', url: '${base}/broken' }),
      step({ kind: 'http', method: 'POST', url: '${base}/never' }),
    ],
    vars: { ...vars, base: { default: base } },
    release,
  });
  expect(result.ok).toBe(false);
  expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
    [`POST ${base}/rollback/v1.0`, true],
    [`POST ${base}/broken`, false],
  ]);
  expect(seen).toEqual([
    { url: '/rollback/v1.0', header: 'conservative', body: '{"commit":"abcdef1"}' },
    { url: '/broken', header: undefined, body: '' },
  ]);
});

test('a step whose var is unknown fails with the reason, and runs nothing', async () => {
  const result = await createPullLever({})({
    lever: 'kill-switch',
    steps: [step({ kind: 'command', argv: ['${node}'], env: { X: '${nope}' } })],
    vars,
    release,
  });
  expect(result).toEqual({ ok: false, steps: [{ step: 'command', ok: false, detail: 'unknown var "${nope}"', durationMs: 0 }] });
});
