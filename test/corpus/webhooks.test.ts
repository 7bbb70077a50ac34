// The bad-webhook corpus: every case of test/corpus/webhooks.json through verifySignature and
// parseDeployment, and through the real endpoint (createServeServer) with a fake backend that records
// starts. Nothing in the corpus may start a watch; a good request at the end shows that one would.
import { request } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { Backend, createServeServer, listen, SECRET_ENV, StartRequest, stop } from '../../client/serve';
import { Refused } from '../../client/watches';
import { parseDeployment, ParseOptions, sign, verifySignature } from '../../client/webhook';
import corpus from './webhooks.json';

const SECRET = 'corpus-webhook-secret';
const PLANS = join(__dirname, '..', '..', 'plans');
const CORPUS_PLANS = join(__dirname, 'plans');
const MAX_BODY = 4096;
const OPTIONS: ParseOptions = { environments: { production: { service: 'symphony', plan: 'symphony-orchestra' } } };

type Sign = 'valid' | 'none' | { secret: string } | { header: string | string[] } | { bodyOf: string };
interface WebhookCase {
  name: string;
  json?: unknown;
  raw?: string;
  rawBase64?: string;
  rawRepeat?: { s: string; times: number };
  headers?: Record<string, string>;
  sign?: Sign;
  method?: string;
  path?: string;
  chunked?: boolean;
  server?: 'repo' | 'corpus';
  verify?: string;
  parse?: { kind: 'start' | 'ignore' | 'invalid'; reason?: string };
  http: { status: number; error?: string; errorMatch?: string; ignored?: string };
  bug?: string;
}
interface DirectCase {
  name: string;
  raw: string;
  header?: string | string[];
  secret?: string;
  verify: string;
}
const cases = corpus.cases as WebhookCase[];
const direct = corpus.direct as DirectCase[];

function rawOf(c: WebhookCase): Buffer {
  if (c.rawBase64 !== undefined) return Buffer.from(c.rawBase64, 'base64');
  if (c.rawRepeat) return Buffer.from(c.rawRepeat.s.repeat(c.rawRepeat.times));
  if (c.raw !== undefined) return Buffer.from(c.raw);
  return Buffer.from(JSON.stringify(c.json));
}

function signatureOf(c: WebhookCase, raw: Buffer): string | string[] | undefined {
  const s = c.sign ?? 'valid';
  if (s === 'valid') return sign(raw, SECRET);
  if (s === 'none') return undefined;
  if ('secret' in s) return sign(raw, s.secret);
  if ('bodyOf' in s) return sign(s.bodyOf, SECRET);
  return s.header;
}

const text = (s: string) => s.split('${PLANS}').join(PLANS).split('${CORPUS_PLANS}').join(CORPUS_PLANS);

// ---- the endpoint -----------------------------------------------------------------------------

const starts: StartRequest[] = [];
const logged: Array<Record<string, unknown>> = [];
const backend: Backend = {
  start: async (req) => {
    starts.push(req);
    return { workflowId: `watch-${req.release.service}-${req.release.version}`, runId: 'run-1', started: true };
  },
  health: async () => ({ reachable: true, address: 'fake', namespace: 'default' }),
  link: (id) => `http://localhost:8233/namespaces/default/workflows/${id}`,
};
const servers: Record<'repo' | 'corpus', { server?: Server; port: number }> = { repo: { port: 0 }, corpus: { port: 0 } };

beforeAll(async () => {
  for (const [name, plansDir] of [
    ['repo', PLANS],
    ['corpus', CORPUS_PLANS],
  ] as const) {
    const server = createServeServer({
      secret: SECRET,
      backend,
      plansDir,
      environments: OPTIONS.environments,
      maxBodyBytes: MAX_BODY,
      log: (e) => logged.push(e),
    });
    servers[name] = { server, port: (await listen(server, 0, '127.0.0.1')).port };
  }
});

afterAll(async () => {
  for (const { server } of Object.values(servers)) {
    if (!server) continue;
    server.closeAllConnections();
    await stop(server);
  }
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** One request on its own connection (no keep-alive), the body as given (chunked: without a length). */
function send(c: WebhookCase): Promise<Answer> {
  const raw = rawOf(c);
  const signature = signatureOf(c, raw);
  const headers: Record<string, string | string[]> = { 'content-type': 'application/json', ...(c.headers ?? {}) };
  if (signature !== undefined) headers['x-hub-signature-256'] = signature;
  if (!c.chunked) headers['content-length'] = String(raw.length);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: servers[c.server ?? 'repo'].port,
        method: c.method ?? 'POST',
        path: c.path ?? '/deployments',
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        res.on('error', reject);
      },
    );
    // The server may answer (413) and close before it has read all of a large body.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    if (c.chunked) for (let at = 0; at < raw.length; at += 1000) req.write(raw.subarray(at, at + 1000));
    else req.write(raw);
    req.end();
  });
}

// ---- the cases ---------------------------------------------------------------------------------

test('the corpus is large enough and every case says what the endpoint answers', () => {
  expect(cases.length).toBeGreaterThanOrEqual(40);
  for (const c of cases) expect(c.http.status).toBeGreaterThanOrEqual(200);
});

describe('verifySignature', () => {
  test.each(direct)('$name', (c) => {
    expect(verifySignature(c.raw, c.header, c.secret ?? SECRET)).toEqual({ ok: false, reason: c.verify });
  });
  test.each(cases.filter((c) => c.verify !== undefined))('$name', (c) => {
    const raw = rawOf(c);
    const result = verifySignature(raw, signatureOf(c, raw), SECRET);
    expect(result).toEqual(c.verify === 'ok' ? { ok: true } : { ok: false, reason: c.verify });
  });
});

describe('parseDeployment', () => {
  test.each(cases.filter((c) => c.parse !== undefined))('$name', (c) => {
    const parsed = parseDeployment(JSON.parse(rawOf(c).toString('utf8')), c.headers ?? {}, OPTIONS);
    if (c.parse!.kind === 'start') expect(parsed.kind).toBe('start');
    else expect(parsed).toEqual({ kind: c.parse!.kind, reason: c.parse!.reason });
  });
});

describe('POST to the endpoint', () => {
  const run = async (c: WebhookCase) => {
    const { status, body } = await send(c);
    expect(starts).toEqual([]);
    expect(status).toBe(c.http.status);
    if (c.http.ignored !== undefined) expect(body).toEqual({ started: false, ignored: c.http.ignored });
    else if (c.http.errorMatch !== undefined) {
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error).toMatch(new RegExp(c.http.errorMatch));
    } else expect(body).toEqual({ error: text(c.http.error!) });
  };
  test.each(cases.filter((c) => !c.bug))('$name', run);
  const bugs = cases.filter((c) => c.bug);
  if (bugs.length) (process.env.CORPUS_BUGS ? test : test.failing).each(bugs)('$name (product bug, see webhooks.json)', run);

  test('the log line of a refused request carries the reason, never the body or the secret', () => {
    expect(logged.length).toBeGreaterThanOrEqual(cases.length);
    for (const entry of logged) {
      expect(JSON.stringify(entry)).not.toContain(SECRET);
      for (const key of Object.keys(entry))
        expect(['method', 'path', 'delivery', 'event', 'status', 'ms', 'reason', 'watch']).toContain(key);
    }
  });

  test('control: a good signed webhook does start a watch (so "no start" above means something)', async () => {
    const { status, body } = await send({
      name: 'good',
      json: { service: 'symphony', release: 'v1.0', plan: 'symphony-orchestra' },
      http: { status: 201 },
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({ started: true, service: 'symphony', release: 'v1.0', plan: 'symphony-orchestra' });
    expect(starts).toHaveLength(1);
    starts.length = 0;
  });
});

test('an endpoint without a secret is refused before it listens', () => {
  expect(() => createServeServer({ secret: '', backend, plansDir: PLANS })).toThrow(new Refused(`no webhook secret: set ${SECRET_ENV}`));
});
