// The http probe: one bounded request. A bad answer (refused, timed out, 500, garbage) is a
// result to judge; only our own resource exhaustion throws.
import { createHmac } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { formatDuration } from '../../plan/duration';
import { cancellationSignal, CappedBuffer, isResourceExhaustion, parseJson, startHeartbeats } from '../runtime';

export interface HttpRequestSpec {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  sign?: { secretEnv: string; header: string };
  maxBodyBytes: number;
}

export interface HttpObservation {
  status?: number;
  responseTimeMs: number;
  /** Parsed JSON when the body parses, else its text. */
  body?: unknown;
  bodyText: string;
  bodyIsJson: boolean;
  bodyTruncated: boolean;
  /** Why no answer could be judged (refused, timed out, signing secret missing). */
  failure?: string;
}

/** "sha256=<hex>": HMAC-SHA256 of the raw body. */
export function signBody(rawBody: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

export async function probeHttp(spec: HttpRequestSpec, env: NodeJS.ProcessEnv = process.env): Promise<HttpObservation> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const rawBody = encodeBody(spec.body);
  const headers = requestHeaders(spec, rawBody);
  if (spec.sign) {
    const secret = env[spec.sign.secretEnv];
    if (!secret) return failed(`cannot sign the request: environment variable ${spec.sign.secretEnv} is not set`, elapsed());
    headers[spec.sign.header] = signBody(rawBody ?? '', secret);
  }

  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), spec.timeoutMs);
  const cancelled = cancellationSignal();
  const onCancel = () => deadline.abort();
  cancelled?.addEventListener('abort', onCancel);
  const stopHeartbeats = startHeartbeats(() => ({ url: spec.url, elapsedMs: Math.round(elapsed()) }));
  try {
    const response = await fetch(spec.url, { method: spec.method, headers, body: rawBody, signal: deadline.signal });
    const { text, truncated } = await readCapped(response, spec.maxBodyBytes);
    const parsed = text.trim() === '' ? undefined : parseJson(text);
    return {
      status: response.status,
      responseTimeMs: elapsed(),
      body: parsed?.ok ? parsed.value : text,
      bodyText: text,
      bodyIsJson: parsed?.ok ?? false,
      bodyTruncated: truncated,
    };
  } catch (err) {
    if (cancelled?.aborted) throw cancelled.reason;
    if (isResourceExhaustion(err)) throw err;
    const reason = deadline.signal.aborted ? `timed out after ${formatDuration(spec.timeoutMs)}` : requestFailure(err);
    return failed(reason, elapsed());
  } finally {
    clearTimeout(timer);
    cancelled?.removeEventListener('abort', onCancel);
    stopHeartbeats();
  }
}

function encodeBody(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

function requestHeaders(spec: HttpRequestSpec, rawBody: string | undefined): Record<string, string> {
  const headers = { ...spec.headers };
  const hasContentType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
  if (rawBody !== undefined && typeof spec.body !== 'string' && !hasContentType) headers['content-type'] = 'application/json';
  return headers;
}

/** Reads at most `max` bytes of the body and stops the download there. */
async function readCapped(response: Response, max: number): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const kept = new CappedBuffer(max);
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    kept.add(Buffer.from(value));
    if (kept.truncated) {
      await reader.cancel();
      return { text: kept.text(), truncated: true };
    }
  }
  return { text: kept.text(), truncated: false };
}

const FRIENDLY_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'connection closed by the server',
};

function requestFailure(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  const detail = describeError(cause ?? err);
  const code = (cause as { code?: string } | undefined)?.code;
  const friendly = code ? FRIENDLY_CODES[code] : undefined;
  return friendly ? `${friendly} (${detail})` : `request failed: ${detail}`;
}

function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0]);
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name;
  return String(err);
}

function failed(reason: string, responseTimeMs: number): HttpObservation {
  return { responseTimeMs, bodyText: '', bodyIsJson: false, bodyTruncated: false, failure: reason };
}
