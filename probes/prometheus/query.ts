// One PromQL query over Prometheus' HTTP API (POST, form-encoded, so long queries fit). Every way it
// can go wrong is an answer that says which, with the query quoted; only our own resource exhaustion
// and the activity's cancellation throw.
//
// node:http/https rather than fetch: a CA file and skipping verification are plain request options
// there, where fetch would need undici's Agent as a dependency of its own.
import { readFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { performance } from 'node:perf_hooks';
import { clip } from '../../core/conditions';
import { formatDuration } from '../../plan/duration';
import { cancellationSignal, CappedBuffer, errorCode, isResourceExhaustion, parseJson, startHeartbeats } from '../runtime';

export interface PromQuery {
  /** Base URL of the Prometheus server (vars already resolved); a path prefix is kept (`https://host/prometheus`). */
  url: string;
  /** PromQL. */
  query: string;
  mode: 'instant' | 'range';
  /** Instant: evaluation time (default: the server's now). */
  time?: Date;
  /** Range queries. */
  range?: { start: Date; end: Date; stepSeconds: number };
  /** Names of environment variables holding the secrets; never the secrets themselves. */
  auth?: { bearerTokenEnv?: string; basicUserEnv?: string; basicPasswordEnv?: string };
  tls?: { caFile?: string; insecureSkipVerify?: boolean };
  timeoutMs: number;
  /** Largest answer read (bytes, default 4 MiB); a larger one is a bad answer that says to narrow the query. */
  maxBytes?: number;
  /** Activity cancellation (inside an activity the activity's own signal is watched as well). */
  signal?: AbortSignal;
}

export type PromFailureKind = 'bad-query' | 'unreachable' | 'timeout' | 'auth' | 'http' | 'bad-answer' | 'unconfigured';

export type PromAnswer =
  | { ok: true; resultType: 'vector' | 'matrix' | 'scalar' | 'string'; result: unknown; warnings?: string[]; durationMs: number }
  | { ok: false; kind: PromFailureKind; reason: string; durationMs: number };

export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
const RESULT_TYPES = new Set(['vector', 'matrix', 'scalar', 'string']);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Runs the query; never throws for anything Prometheus or the network does. */
export async function queryPrometheus(q: PromQuery, env: NodeJS.ProcessEnv = process.env): Promise<PromAnswer> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const fail = (kind: PromFailureKind, reason: string): PromAnswer => ({ ok: false, kind, reason, durationMs: elapsed() });
  const quoted = quote(q.query);

  const prepared = await prepare(q, env);
  if ('error' in prepared) return fail('unconfigured', `cannot run the query ${quoted}: ${prepared.error}`);
  const { endpoint, form, headers, tls, maxBytes } = prepared;
  const where = `Prometheus at ${q.url}`;

  const cancelled = [q.signal, cancellationSignal()].filter((s): s is AbortSignal => s !== undefined);
  const already = cancelled.find((s) => s.aborted);
  if (already) throw already.reason;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), q.timeoutMs);
  const onCancel = () => deadline.abort();
  for (const s of cancelled) s.addEventListener('abort', onCancel);
  const stopHeartbeats = startHeartbeats(() => ({ url: q.url, elapsedMs: Math.round(elapsed()) }));
  try {
    const answer = await post(endpoint, form, headers, tls, maxBytes, deadline.signal);
    return read(answer, { where, quoted, usedAuth: headers.authorization !== undefined, maxBytes }, elapsed);
  } catch (err) {
    const cancel = cancelled.find((s) => s.aborted);
    if (cancel) throw cancel.reason;
    if (isResourceExhaustion(err)) throw err;
    if (errorCode(err) === 'ERR_INVALID_CHAR')
      return fail('unconfigured', `cannot run the query ${quoted}: a header (the credentials?) has characters HTTP does not allow`);
    if (deadline.signal.aborted)
      return fail('timeout', `${where} did not answer the query ${quoted} within ${formatDuration(q.timeoutMs)}`);
    return fail('unreachable', `cannot reach ${where} to run the query ${quoted}: ${networkFailure(err)}`);
  } finally {
    clearTimeout(timer);
    for (const s of cancelled) s.removeEventListener('abort', onCancel);
    stopHeartbeats();
  }
}

interface Prepared {
  maxBytes: number;
  endpoint: URL;
  form: string;
  headers: Record<string, string>;
  tls: { ca?: Buffer; rejectUnauthorized: boolean };
}

/** The request the query stands for, or what is wrong with its configuration. */
async function prepare(q: PromQuery, env: NodeJS.ProcessEnv): Promise<Prepared | { error: string }> {
  let base: URL;
  try {
    base = new URL(q.url);
  } catch {
    return { error: `the Prometheus URL ${JSON.stringify(q.url)} is not a URL` };
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    return { error: `the Prometheus URL ${q.url} must start with http:// or https://` };
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const endpoint = new URL(q.mode === 'range' ? 'api/v1/query_range' : 'api/v1/query', base);

  if (!(q.timeoutMs > 0) || !Number.isFinite(q.timeoutMs))
    return { error: `the timeout must be a positive number of ms (got ${q.timeoutMs})` };
  if (q.query.trim() === '') return { error: 'the query is empty' };
  const maxBytes = q.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes <= 0) return { error: `maxBytes must be a positive whole number (got ${maxBytes})` };
  const form = new URLSearchParams({ query: q.query });
  // Prometheus stops evaluating when we would stop waiting (it caps this at its own --query.timeout).
  form.set('timeout', seconds(q.timeoutMs));
  if (q.mode === 'range') {
    const r = q.range;
    if (!r) return { error: 'a range query needs a range (start, end, stepSeconds)' };
    if (!validDate(r.start) || !validDate(r.end)) return { error: 'the range start and end must be valid times' };
    if (r.end.getTime() < r.start.getTime())
      return { error: `the range ends (${r.end.toISOString()}) before it starts (${r.start.toISOString()})` };
    if (!(r.stepSeconds > 0) || !Number.isFinite(r.stepSeconds))
      return { error: `the range step must be a positive number of seconds (got ${r.stepSeconds})` };
    form.set('start', seconds(r.start.getTime()));
    form.set('end', seconds(r.end.getTime()));
    form.set('step', String(r.stepSeconds));
  } else if (q.time) {
    if (!validDate(q.time)) return { error: 'the evaluation time must be a valid time' };
    form.set('time', seconds(q.time.getTime()));
  }

  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const auth = credentials(q.auth, env);
  if ('error' in auth) return auth;
  if (auth.header) headers.authorization = auth.header;

  const tls = { rejectUnauthorized: !q.tls?.insecureSkipVerify } as Prepared['tls'];
  if (q.tls?.caFile) {
    try {
      tls.ca = await readFile(q.tls.caFile);
    } catch (err) {
      if (isResourceExhaustion(err)) throw err;
      return { error: `cannot read the CA file ${q.tls.caFile} (${errorCode(err) ?? (err as Error).message})` };
    }
  }
  return { endpoint, form: form.toString(), headers, tls, maxBytes };
}

function credentials(auth: PromQuery['auth'], env: NodeJS.ProcessEnv): { header?: string } | { error: string } {
  if (!auth) return {};
  const lookup = (name: string, what: string): { value: string } | { error: string } => {
    if (!ENV_NAME.test(name)) return { error: `${what} must name an environment variable (got ${JSON.stringify(name)})` };
    const value = env[name];
    return value ? { value } : { error: `environment variable ${name} (${what}) is not set` };
  };
  if (auth.bearerTokenEnv) {
    if (auth.basicUserEnv || auth.basicPasswordEnv) return { error: 'give either a bearer token or basic auth, not both' };
    const token = lookup(auth.bearerTokenEnv, 'the bearer token');
    return 'error' in token ? token : { header: `Bearer ${token.value}` };
  }
  if (auth.basicUserEnv || auth.basicPasswordEnv) {
    if (!auth.basicUserEnv || !auth.basicPasswordEnv) return { error: 'basic auth needs both basicUserEnv and basicPasswordEnv' };
    const user = lookup(auth.basicUserEnv, 'the basic auth user');
    if ('error' in user) return user;
    const password = lookup(auth.basicPasswordEnv, 'the basic auth password');
    if ('error' in password) return password;
    return { header: `Basic ${Buffer.from(`${user.value}:${password.value}`).toString('base64')}` };
  }
  return {};
}

interface RawAnswer {
  status: number;
  text: string;
  truncated: boolean;
}

/** A kept-alive connection the server had already closed when we reused it: the query never reached Prometheus. */
class StaleConnection extends Error {}

/** Sends the query; once more on a fresh connection when a kept-alive one turns out closed (a query only reads, so sending it twice is safe). */
async function post(...args: Parameters<typeof postOnce>): Promise<RawAnswer> {
  try {
    return await postOnce(...args);
  } catch (err) {
    if (err instanceof StaleConnection && !args[5].aborted) return postOnce(...args);
    throw err instanceof StaleConnection ? err.cause : err;
  }
}

function postOnce(
  endpoint: URL,
  form: string,
  headers: Record<string, string>,
  tls: Prepared['tls'],
  maxBytes: number,
  signal: AbortSignal,
): Promise<RawAnswer> {
  const options: https.RequestOptions = {
    method: 'POST',
    headers: { ...headers, 'content-length': String(Buffer.byteLength(form)) },
    signal,
  };
  if (endpoint.protocol === 'https:') Object.assign(options, tls);
  const send = endpoint.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(endpoint, options, (res) => {
      const body = new CappedBuffer(maxBytes);
      res.on('data', (chunk: Buffer) => {
        body.add(chunk);
        if (body.truncated) {
          // Enough read to know it is too big: stop the download here.
          res.destroy();
          resolve({ status: res.statusCode ?? 0, text: '', truncated: true });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: body.text(), truncated: false }));
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) reject(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' }));
      });
    });
    req.on('error', (err) =>
      reject(req.reusedSocket && errorCode(err) === 'ECONNRESET' ? new StaleConnection(err.message, { cause: err }) : err),
    );
    req.end(form);
  });
}

interface Reading {
  where: string;
  quoted: string;
  usedAuth: boolean;
  maxBytes: number;
}

/** What Prometheus' answer means: its JSON envelope (status, data, errorType, error, warnings). */
function read(raw: RawAnswer, r: Reading, elapsed: () => number): PromAnswer {
  const fail = (kind: PromFailureKind, reason: string): PromAnswer => ({ ok: false, kind, reason, durationMs: elapsed() });
  if (raw.truncated) {
    return fail(
      'bad-answer',
      `${r.where} answered the query ${r.quoted} with more than ${bytes(r.maxBytes)}; narrow the query (aggregate with sum by, or a shorter range or larger step)`,
    );
  }
  if (raw.status === 401 || raw.status === 403) {
    const sent = r.usedAuth ? 'refused the credentials' : 'wants credentials (none were configured)';
    return fail('auth', `${r.where} ${sent}: HTTP ${raw.status} for the query ${r.quoted}`);
  }
  const parsed = parseJson(raw.text);
  const envelope = parsed.ok && isObject(parsed.value) && typeof parsed.value.status === 'string' ? parsed.value : undefined;
  if (!envelope) {
    const detail = raw.text.trim() === '' ? 'an empty body' : `not Prometheus' JSON: ${clip(raw.text.trim().replace(/\s+/g, ' '), 200)}`;
    if (raw.status < 200 || raw.status >= 300)
      return fail('http', `${r.where} answered HTTP ${raw.status} to the query ${r.quoted} (${detail})`);
    return fail('bad-answer', `${r.where} answered the query ${r.quoted} with ${detail}`);
  }
  if (envelope.status !== 'success') {
    const errorType = typeof envelope.errorType === 'string' ? envelope.errorType : 'unknown';
    const error = typeof envelope.error === 'string' ? envelope.error : '(no error text)';
    return fail(...apiError(errorType, error, raw.status, r));
  }
  const data = envelope.data;
  if (!isObject(data) || typeof data.resultType !== 'string' || !RESULT_TYPES.has(data.resultType) || !('result' in data)) {
    return fail(
      'bad-answer',
      `${r.where} answered the query ${r.quoted} with success but no result of a known type (vector, matrix, scalar, string)`,
    );
  }
  const warnings = Array.isArray(envelope.warnings) ? envelope.warnings.filter((w): w is string => typeof w === 'string') : [];
  return {
    ok: true,
    resultType: data.resultType as 'vector' | 'matrix' | 'scalar' | 'string',
    result: data.result,
    ...(warnings.length ? { warnings } : {}),
    durationMs: elapsed(),
  };
}

/** Prometheus' errorType values (bad_data, execution, timeout, canceled, internal, unavailable, not_found). */
function apiError(errorType: string, error: string, status: number, r: Reading): [PromFailureKind, string] {
  switch (errorType) {
    case 'bad_data':
      return ['bad-query', `Prometheus refused the query ${r.quoted}: ${error}`];
    case 'execution':
      return ['bad-query', `Prometheus could not evaluate the query ${r.quoted}: ${error}`];
    case 'timeout':
    case 'canceled':
      return ['timeout', `Prometheus gave up evaluating the query ${r.quoted} (${errorType}): ${error}`];
    default:
      return ['http', `${r.where} failed on the query ${r.quoted} (HTTP ${status}, ${errorType}): ${error}`];
  }
}

const FRIENDLY_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is it running?)',
  ECONNRESET: 'the connection was closed before an answer',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPROTO: 'TLS handshake failed',
};

function networkFailure(err: unknown): string {
  const e = err instanceof AggregateError && err.errors.length ? err.errors[0] : err;
  const code = errorCode(e) ?? '';
  const message = (e as Error)?.message || String(e);
  if (/CERT|SIGNED|ALTNAME|TLS|SSL/.test(code)) {
    return `its TLS certificate is not trusted (${message}); give tls.caFile with the CA that signed it`;
  }
  const friendly = FRIENDLY_CODES[code] ?? (message === 'socket hang up' ? FRIENDLY_CODES.ECONNRESET : undefined);
  return friendly ? `${friendly} (${message})` : message;
}

function quote(query: string): string {
  return JSON.stringify(clip(query.replace(/\s+/g, ' ').trim(), 200));
}

const seconds = (ms: number) => String(ms / 1000);
const validDate = (d: Date) => d instanceof Date && Number.isFinite(d.getTime());
const bytes = (n: number) => (n >= 1024 * 1024 ? `${n / 1024 / 1024} MiB` : n >= 1024 ? `${n / 1024} KiB` : `${n} bytes`);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
