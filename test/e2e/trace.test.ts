// Tracing end to end: `release-watch start` and `worker --otlp` export to an OTLP/HTTP receiver the test
// runs, and what arrives is one trace from the CLI's start through the watch workflow and its incident to
// each tier run, probe, notification and sink delivery, linked parent to child.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { until } from '../helpers/poll';
import { devServerEnv } from '../helpers/servers';
import { startStandIn, type StandIn } from '../helpers/stand-ins';

const CLI = join(__dirname, '..', '..', 'bin', 'release-watch');

interface Span {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

let env: TestWorkflowEnvironment;
let dir: string;
let api: StandIn;
let collector: StandIn;
const spans: Span[] = [];
const posts: Array<{ path?: string; type?: string }> = [];

/** OTLP/HTTP JSON (ExportTraceServiceRequest) read into flat spans with their service's name. */
function readSpans(body: string): Span[] {
  const req = JSON.parse(body) as {
    resourceSpans: Array<{
      resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
      scopeSpans: Array<{
        spans: Array<Omit<Span, 'service' | 'attributes'> & { attributes?: Array<{ key: string; value: Record<string, unknown> }> }>;
      }>;
    }>;
  };
  return req.resourceSpans.flatMap((rs) => {
    const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
    return rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((s) => ({
        service,
        traceId: s.traceId,
        spanId: s.spanId,
        ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
        name: s.name,
        attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]])),
      })),
    );
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rw-trace-'));
  env = await devServerEnv();
  // The service is down: every probe fails, so the watch opens an incident and notifies.
  api = await startStandIn((_req, res) => res.writeHead(503).end('down'));
  collector = await startStandIn((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({ path: req.url, type: req.headers['content-type'] });
      spans.push(...readSpans(Buffer.concat(chunks).toString()));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
});

afterAll(async () => {
  await collector?.stop();
  await api?.stop();
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(CLI, args, { cwd: dir, env: { ...process.env, TEMPORAL_ADDRESS: env.address, ...extra } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

test('one trace from the CLI through the watch, its incident, each tier run, probe and delivery', async () => {
  writeFileSync(
    join(dir, 'traced.yaml'),
    `version: 1\nservice: shop\nprofile: dev\nclock: { hour: 300ms, duration: 3h }\npeople: { ann: { name: Ann } }\n` +
      `checks:\n  health: { probe: { kind: http, url: "${api.url}/healthz" }, conditions: ["[STATUS] == 200"] }\n` +
      `tiers:\n  hourly: { every: 1h, checks: [health] }\n`,
  );
  expect(await cli(['worker', '--otlp', 'collector:4318'])).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--otlp must be an http(s) URL such as http://collector:4318 (got "collector:4318")'),
  });
  expect(await cli(['status', 'x'], { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL'),
  });

  const worker = spawn(CLI, ['worker', '--plan', 'traced.yaml', '--otlp', collector.url], {
    cwd: dir,
    env: { ...process.env, TEMPORAL_ADDRESS: env.address },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let said = '';
  worker.stderr!.on('data', (b: Buffer) => (said += b.toString()));
  const exited = new Promise((r) => worker.once('exit', r));
  try {
    await until(() => /now current/.test(said), 'the worker to start', 60_000, 100);
    expect(said).toContain(`worker: traces to ${collector.url}/v1/traces (OTLP/HTTP)`);
    const started = await cli(['start', '--plan', 'traced.yaml', '--service', 'shop', '--release', 'v1', '--wait', '--every', '1'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    });
    expect(started.code).toBe(0);
    const watchId = 'watch-shop-v1';
    // The CLI's span went out before it exited.
    const start = spans.find((s) => s.service === 'release-watch-cli' && s.name === 'StartWorkflow:watchWorkflow');
    expect(start).toBeDefined();
    expect(posts[0]).toEqual({ path: '/v1/traces', type: 'application/json' });
    // The incident's own span ends when it does: resolved (from a CLI that does not trace), it is sent.
    const resolved = await cli(['resolve', watchId, '1', '--by', 'ann', '--root-cause', 'the stand-in was down', '--resolution', 'none']);
    expect(resolved.code).toBe(0);
    await until(() => spans.some((s) => s.name === 'RunWorkflow:incidentWorkflow'), 'the incident workflow span', 30_000, 100);
  } finally {
    // The worker sends what it still holds when it stops.
    worker.kill('SIGTERM');
    await exited;
  }

  const start = spans.find((s) => s.name === 'StartWorkflow:watchWorkflow')!;
  const trace = spans.filter((s) => s.traceId === start.traceId);
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const parentOf = (s: Span) => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined);
  const chain = (s: Span): string[] => {
    const names: string[] = [];
    for (let at: Span | undefined = s; at; at = parentOf(at)) names.push(at.name);
    return names;
  };
  const names = new Set(trace.map((s) => s.name));
  for (const n of [
    'RunWorkflow:watchWorkflow',
    'StartActivity:runTier',
    'RunActivity:runTier',
    'probe health',
    'StartChildWorkflow:incidentWorkflow',
    'RunWorkflow:incidentWorkflow',
    'RunActivity:notify',
    'deliver console',
  ])
    expect(names).toContain(n);

  // A probe hangs under its tier run, under the watch, under the CLI's start.
  const probe = trace.find((s) => s.name === 'probe health')!;
  expect(probe).toMatchObject({
    service: 'release-watch-worker',
    attributes: { 'rw.check': 'health', 'rw.probe.kind': 'http', 'rw.outcome': 'fail' },
  });
  expect(chain(probe)).toEqual([
    'probe health',
    'RunActivity:runTier',
    'StartActivity:runTier',
    'RunWorkflow:watchWorkflow',
    'StartWorkflow:watchWorkflow',
  ]);
  // The incident's page, delivered to the console sink, is in the same trace, through the incident workflow.
  const page = trace.find((s) => s.name === 'deliver console' && s.attributes['rw.notification'] === 'incident-page')!;
  expect(chain(page)).toEqual([
    'deliver console',
    'RunActivity:notify',
    'StartActivity:notify',
    'RunWorkflow:incidentWorkflow',
    'StartChildWorkflow:incidentWorkflow',
    'RunWorkflow:watchWorkflow',
    'StartWorkflow:watchWorkflow',
  ]);
  // Nothing of the watch was traced apart from it, but the resolution: an answer from a CLI that does not
  // trace starts its own trace (with tracing on there, it is the CLI's).
  const apart = spans.filter((s) => s.service === 'release-watch-worker' && s.traceId !== start.traceId);
  expect(new Set(apart.map((s) => s.name))).toEqual(new Set(['ValidateUpdate:resolveIncident', 'HandleUpdate:resolveIncident']));
}, 180_000);
