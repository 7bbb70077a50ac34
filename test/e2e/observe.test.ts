// The worker observed like any production service: `worker --metrics` serves the SDK's metrics and
// release-watch's own on one endpoint, a real Prometheus scrapes it and finds the watch's series, the
// names pass promtool's lint; `--log-format json` writes one JSON object per line.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { until } from '../helpers/poll';
import { promtoolBinary, startPrometheus, type PrometheusServer } from '../helpers/prometheus';
import { devServerEnv } from '../helpers/servers';
import { startStandIn, type StandIn } from '../helpers/stand-ins';

const CLI = join(__dirname, '..', '..', 'bin', 'release-watch');
let env: TestWorkflowEnvironment;
let dir: string;
let api: StandIn;
let prom: PrometheusServer | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rw-observe-'));
  env = await devServerEnv();
  api = await startStandIn((_req, res) => res.writeHead(200).end('ok'));
});

afterAll(async () => {
  await prom?.stop();
  await api?.stop();
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(CLI, args, { cwd: dir, env: { ...process.env, TEMPORAL_ADDRESS: env.address } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

test('metrics scraped by a real Prometheus, names that pass promtool, JSON logs', async () => {
  writeFileSync(
    join(dir, 'quick.yaml'),
    `version: 1\nservice: shop\nprofile: dev\nclock: { hour: 300ms, duration: 3h }\npeople: { ann: { name: Ann } }\n` +
      `checks:\n  health: { probe: { kind: http, url: "${api.url}/healthz" }, conditions: ["[STATUS] == 200"] }\ntiers:\n  hourly: { every: 1h, checks: [health] }\n`,
  );
  expect(await cli(['worker', '--metrics', 'nowhere'])).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--metrics needs host:port'),
  });
  expect(await cli(['worker', '--log-format', 'yaml'])).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--log-format must be text or json'),
  });

  const port = await freePort();
  const worker = spawn(CLI, ['worker', '--plan', 'quick.yaml', '--metrics', `127.0.0.1:${port}`, '--log-format', 'json'], {
    cwd: dir,
    env: { ...process.env, TEMPORAL_ADDRESS: env.address },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let said = '';
  worker.stderr!.on('data', (b: Buffer) => (said += b.toString()));
  const exited = new Promise((r) => worker.once('exit', r));
  try {
    await until(() => /now current/.test(said), 'the worker to start', 60_000, 100);
    const waited = await cli(['start', '--plan', 'quick.yaml', '--service', 'shop', '--release', 'v1', '--wait', '--every', '1']);
    expect(waited.code).toBe(0);

    // The endpoint: the SDK's metrics and ours, with the _total suffix on counters.
    const text = await until(
      async () => {
        const t = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return /release_watch_tier_runs_total/.test(t) && t;
      },
      'the tier runs counter',
      30_000,
      200,
    );
    expect(text).toMatch(/^release_watch_tier_runs_total\{[^}]*outcome="ok"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^release_watch_checks_total\{[^}]*outcome="ok"/m);
    expect(text).toMatch(/^release_watch_probe_seconds_bucket\{[^}]*kind="http"/m);
    expect(text).toMatch(/^temporal_workflow_task_execution_latency_bucket/m);
    // No label carries the release, the watch or a person.
    expect(text).not.toMatch(/release_watch_\w+\{[^}]*(watch-shop|v1"|ann)/);
    const lint = await new Promise<{ code: number; out: string }>((resolve) => {
      const p = execFile(promtoolBinary(), ['check', 'metrics'], (err, stdout, stderr) =>
        resolve({ code: err ? 1 : 0, out: stdout + stderr }),
      );
      p.stdin!.end(
        text
          .split('\n')
          .filter((l) => l.includes('release_watch_'))
          .join('\n') + '\n',
      );
    });
    // Our names and units pass; the only complaint is about the labels the SDK itself adds to every
    // metric made through its meter (taskQueue, workflowType, activityType), which we cannot rename.
    const complaints = lint.out.split('\n').filter(Boolean);
    expect(complaints.filter((c) => !/label names should be written in 'snake_case' not 'camelCase'$/.test(c))).toEqual([]);
    expect(text).toMatch(
      /^release_watch_tier_runs_total\{namespace="default",outcome="ok",taskQueue="release-watch",tier="hourly",workflowType="watchWorkflow"\}/m,
    );

    // A real Prometheus finds the watch's series.
    prom = await startPrometheus({ targets: [`127.0.0.1:${port}`], dir: join(dir, 'prometheus') });
    const series = await prom.waitForSeries('sum by (outcome) (release_watch_tier_runs_total)', undefined, 30_000);
    expect(series.find((s) => s.labels.outcome === 'ok')?.value).toBeGreaterThanOrEqual(3);

    // Every line the worker wrote is one JSON object with a time, a level and a message.
    const lines = said.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines)
      expect(JSON.parse(line)).toEqual(
        expect.objectContaining({ time: expect.any(String), level: expect.any(String), message: expect.any(String) }),
      );
  } finally {
    worker.kill('SIGTERM');
    await exited;
  }
}, 180_000);
