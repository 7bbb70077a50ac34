// The console's bad-input corpus: every case of test/corpus/console.json sent to the console's API
// (POST /api/watches/<watch>/<kind>) of a real `serve`, in order, against ONE watch on the dev server
// with a worker and the simulator. Each is refused with its exact status and reason and changes nothing.
import { randomUUID } from 'node:crypto';
import { request, type Server } from 'node:http';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { readKeyFile, signRequest } from '../../client/keys';
import { createServeServer, listen, stop, temporalBackend } from '../../client/serve';
import { emergency, resolveIncident, acknowledge, startWatch, watchStatusOf } from '../../client/watches';
import type { Signable, SignedKind } from '../../core/signatures';
import type { Plan } from '../../plan/schema';
import { demoPlan } from '../helpers/plans';
import { devServerEnv } from '../helpers/servers';
import { realWorker, shortPlan, startWorld, waitForStatus, type World } from '../helpers/world';
import corpus from './console.json';

interface ConsoleCase {
  name: string;
  kind: string;
  input?: unknown;
  raw?: string;
  bytes?: number;
  headers?: Record<string, string | null>;
  watch?: string;
  $unsigned?: boolean;
  status: number;
  error?: string;
  errorMatch?: string;
}
const cases = corpus.cases as ConsoleCase[];

const TOKEN = `console-corpus-${randomUUID()}`;
const KEYS = join(__dirname, '..', '..', 'plans', 'keys');
const keyOf = (person: string) => readKeyFile(join(KEYS, `${person}.key`));
const taskQueue = `console-corpus-${randomUUID()}`;

let env: TestWorkflowEnvironment;
let world: World;
let worker: Worker;
let running: Promise<void>;
let server: Server;
let port: number;
let id: string;
const vars: Record<string, string> = {};
const accepted: Record<string, Signable> = {};

/** The demo plan, steadied so only answers change what the corpus compares: no paging, no automatic lever, no expiry. */
function steadyPlan(): Plan {
  const plan = shortPlan(demoPlan(), 48, '1s');
  for (const sev of Object.values(plan.severities)) Object.assign(sev, { ack: '48h', resolve: '48h' });
  plan.checkpoints = plan.checkpoints.map((c) => ({
    ...c,
    deadline: '48h',
    ...(c.name === '12h' ? { gated: ['escalate' as const] } : {}),
  }));
  const { automatic: _auto, ...restart } = plan.levers['restart-services']!;
  plan.levers['restart-services'] = restart;
  plan.levers['conservative-mode'] = {
    ...plan.levers['conservative-mode']!,
    approval: { required: true, approvers: ['release-captain', 'policy-steward'], within: '48h' },
  };
  return plan;
}

beforeAll(async () => {
  env = await devServerEnv();
  world = await startWorld();
  worker = await realWorker(env, taskQueue);
  running = worker.run();
  const backend = temporalBackend(env.client, { address: env.address, namespace: env.namespace ?? 'default' }, { taskQueue });
  server = createServeServer({
    backend,
    plansDir: join(__dirname, '..', '..', 'plans'),
    console: { client: env.client, auth: { token: TOKEN }, link: backend.link, watchEveryMs: 300 },
  });
  port = (await listen(server, 0, '127.0.0.1')).port;

  // Incident 1 (critical, fast-pulse): opened, recovered, resolved with its write-up.
  world.sim.setFault('service-offline', { service: 'ollama' });
  const started = await startWatch(env.client, {
    plan: steadyPlan(),
    release: { service: 'symphony', version: `v1.${randomUUID().slice(0, 6)}`, deployedAt: new Date().toISOString() },
    startedBy: 'console-corpus',
    taskQueue,
  });
  id = vars.WATCH = started.workflowId;
  await waitForStatus(env.client, id, (s) => s.incidents.length >= 1, 'incident 1');
  world.sim.clearFault('service-offline');
  await waitForStatus(env.client, id, (s) => s.incidents[0].state === 'recovered', 'incident 1 to recover');
  await resolveIncident(env.client, id, { incident: '1', by: 'duty-engineer', rootCause: 'ollama stopped', resolution: 'restarted' });
  // Incident 2 (high, policy-show), kept failing, acknowledged by its holder.
  world.sim.setFault('autonomy-zero');
  await waitForStatus(env.client, id, (s) => s.incidents.length >= 2, 'incident 2', 30_000);
  await acknowledge(env.client, id, { incident: '2', by: 'duty-engineer' });
  // A lever pulled and done (its signed request kept for the replay cases), and one awaiting a second person.
  accepted.restart = signRequest(
    id,
    'emergency',
    { lever: 'restart-services', by: 'duty-engineer', reason: 'clear the cache' },
    keyOf('duty-engineer'),
  );
  vars.RESTART = String((await emergency(env.client, id, accepted.restart as never)).seq);
  await waitForStatus(env.client, id, (s) => s.levers.some((r) => String(r.seq) === vars.RESTART && r.state === 'done'), 'the restart');
  vars.AWAITING = String(
    (await emergency(env.client, id, { lever: 'conservative-mode', by: 'policy-steward', reason: 'unstable routing' })).seq,
  );
  await waitForStatus(env.client, id, (s) => s.checkpoints[0].state === 'pending', 'the 12h checkpoint', 60_000);
});

afterAll(async () => {
  if (id)
    await env?.client.workflow
      .getHandle(id)
      .terminate('console corpus done')
      .catch(() => undefined);
  if (server) {
    server.closeAllConnections();
    await stop(server);
  }
  worker?.shutdown();
  await running;
  await env?.teardown();
  await world?.close();
});

const fill = (s: string) => s.replace(/\$\{(\w+)\}/g, (_, k: string) => vars[k] ?? `\${${k}}`);

function expand(value: unknown): unknown {
  if (typeof value === 'string') return fill(value);
  if (Array.isArray(value)) return value.map(expand);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$repeat === 'string' && typeof o.times === 'number') return o.$repeat.repeat(o.times);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, expand(v)]));
  }
  return value;
}

/** The body on the wire: signed as the case says. */
function bodyOf(c: ConsoleCase): string {
  if (c.raw !== undefined) return c.bytes ? c.raw.padEnd(c.bytes, 'x') : c.raw;
  const { $signWith, $signFor, $signKind, $alter, $replay, ...rest } = expand(c.input) as Record<string, unknown>;
  let req = ($replay ? accepted[$replay as string] : rest) as Signable;
  const person = ($signWith as string | undefined) ?? (typeof rest.by === 'string' ? rest.by : undefined);
  if (!$replay && !c.$unsigned && person)
    req = signRequest(($signFor as string) ?? id, (($signKind as string) ?? c.kind) as SignedKind, req, keyOf(person));
  if ($alter) req = { ...req, ...($alter as object) };
  return JSON.stringify(req);
}

function send(c: ConsoleCase): Promise<{ status: number; body: Record<string, unknown> }> {
  const raw = Buffer.from(bodyOf(c));
  const headers: Record<string, string> = {
    authorization: `Bearer ${TOKEN}`,
    'content-type': 'application/json',
    'content-length': String(raw.length),
  };
  for (const [k, v] of Object.entries(c.headers ?? {})) {
    if (v === null) delete headers[k];
    else headers[k] = v;
  }
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/api/watches/${encodeURIComponent(c.watch ?? id)}/${c.kind}`,
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') }));
        res.on('error', reject);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    req.end(raw);
  });
}

/** What an answer could change; hours and deadlines move with the clock. */
async function snapshot() {
  const s = await watchStatusOf(env.client, id, 0);
  return {
    checkpoints: s.checkpoints.map((c) => [c.name, c.state, c.decision, c.by]),
    // An incident's check may recover on its own meanwhile (acknowledged → recovered): what an answer sets is compared.
    incidents: s.incidents.map((i) => [i.id, i.state === 'resolved', i.holder, i.ackedBy, i.resolvedBy]),
    levers: s.levers.map((r) => [r.seq, r.lever, r.state, r.by, r.approvedBy]),
    decisions: s.decisions.length,
  };
}

test('the corpus is large enough and covers each kind of bad input', () => {
  expect(cases.length).toBeGreaterThanOrEqual(45);
  for (const word of ['forged', 'replayed', 'stale', 'unknown person', 'not allowed', 'malformed', 'oversized'])
    expect(cases.filter((c) => c.name.startsWith(word)).length).toBeGreaterThanOrEqual(2);
});

test.each(cases)('$name', async (c) => {
  const before = await snapshot();
  const { status, body } = await send(c);
  expect(status).toBe(c.status);
  if (c.errorMatch) expect(String(body.error)).toMatch(new RegExp(c.errorMatch));
  else expect(body.error).toBe(fill(c.error!));
  expect(await snapshot()).toEqual(before);
});

test('control: a good signed answer is taken (so "no change" above means something)', async () => {
  const { status, body } = await send({
    name: 'good',
    kind: 'decide',
    input: { checkpoint: '12h', decision: 'continue', by: 'release-captain' },
    status: 200,
  });
  expect([status, body]).toEqual([
    200,
    { ok: true, result: expect.objectContaining({ name: '12h', decision: 'continue', by: 'release-captain' }) },
  ]);
  expect((await snapshot()).checkpoints[0]).toEqual(['12h', 'decided', 'continue', 'release-captain']);
});
