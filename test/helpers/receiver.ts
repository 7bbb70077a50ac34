// A local HTTP receiver standing in for Slack, PagerDuty and a generic webhook: it records every
// request, can be switched down (503, or the port closed), can hold or slow the requests to a path,
// and counts deliveries per dedup key so duplicates can be counted.
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  seq: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** What the receiver answered (0 while the request is held). */
  status: number;
  /** The dedup key this request carries (see `dedupKey`), if any. */
  key?: string;
}

export interface Hold {
  /** The first held request, once it has arrived. */
  arrived: Promise<Recorded>;
  /** Answers every request held so far (and lets later ones through). */
  release(status?: number): void;
}

export type DownMode = '503' | 'closed';

export interface Receiver {
  readonly url: string;
  readonly port: number;
  /** Every request seen, in arrival order (refused ones too). */
  readonly requests: Recorded[];
  /** Requests that reached the receiver while it was up and were (or, held, will be) answered 2xx. */
  delivered(path?: string): Recorded[];
  /** Requests answered with an error status (the receiver was down, or told to refuse). */
  refused(path?: string): Recorded[];
  /** Deliveries per `${path} ${key}`: the raw count for each distinct dedup key. */
  counts(path?: string): Map<string, number>;
  /** Keys delivered more than once, with their raw counts. */
  duplicates(path?: string): Array<{ key: string; raw: number }>;
  down(mode?: DownMode): Promise<void>;
  up(): Promise<void>;
  /** Holds the requests to `path` until released (never released: the sender hangs until it gives up). */
  hold(path: string): Hold;
  /** Answers requests to `path` after `ms`. */
  slow(path: string, ms: number): void;
  /** Answers requests to `path` with `status` (e.g. 400, a permanent refusal) until cleared with undefined. */
  answer(path: string, status: number | undefined): void;
  /** Resolves when `ready` holds over the recorded requests; checked on every request. */
  waitFor<T>(ready: (r: Receiver) => T | undefined | false, what: string, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/**
 * The key a sink dedupes on: the Idempotency-Key header (webhook, Slack), PagerDuty's dedup_key with
 * the event action, the event id of a PagerDuty change event, or a notification's eventId.
 */
export function dedupKey(headers: Record<string, string>, body: unknown): string | undefined {
  const idem = headers['idempotency-key'];
  if (idem) return `idem:${idem}`;
  const b = body as Record<string, any> | undefined;
  if (b && typeof b === 'object') {
    if (typeof b.dedup_key === 'string') return `pd:${b.dedup_key}:${b.event_action}`;
    if (typeof b.payload?.custom_details?.event_id === 'string') return `change:${b.payload.custom_details.event_id}`;
    if (typeof b.eventId === 'string') return `event:${b.eventId}`;
  }
  return undefined;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: Recorded[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(100);
  type Held = { waiting: Array<(status?: number) => void>; first?: (r: Recorded) => void };
  const holds = new Map<string, Held>();
  const slowPaths = new Map<string, number>();
  const fixed = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let mode: 'up' | DownMode = 'up';
  let seq = 0;
  let port = 0;

  const server = http.createServer((req, res) => {
    res.on('error', () => undefined);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // kept as text
      }
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      const path = (req.url ?? '/').split('?')[0];
      const rec: Recorded = { seq: ++seq, method: req.method ?? 'GET', path, headers, body, status: 0, key: dedupKey(headers, body) };
      requests.push(rec);
      const respond = (status: number) => {
        rec.status = status;
        events.emit('request', rec);
        if (res.destroyed || res.writableEnded || req.socket.destroyed) return; // the sender is gone (killed, timed out)
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            status < 300 ? { status: 'success', message: 'Event processed', dedup_key: (body as any)?.dedup_key } : { status: 'error' },
          ),
        );
      };
      if (mode === '503') return respond(503);
      const status = fixed.get(path) ?? 202;
      const hold = holds.get(path);
      if (hold) {
        // Counted as delivered: it reached the receiver, whatever happens to the sender afterwards.
        rec.status = status;
        hold.waiting.push((answer) => respond(answer ?? status));
        hold.first?.(rec);
        hold.first = undefined;
        events.emit('request', rec);
        return;
      }
      const delay = slowPaths.get(path);
      if (delay) {
        const t = setTimeout(() => {
          timers.delete(t);
          respond(status);
        }, delay);
        timers.add(t);
        return;
      }
      respond(status);
    });
  });

  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  await listen(0);

  const byPath = (path?: string) => requests.filter((r) => path === undefined || r.path === path);
  const receiver: Receiver = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    requests,
    delivered: (path) => byPath(path).filter((r) => r.status >= 200 && r.status < 300),
    refused: (path) => byPath(path).filter((r) => r.status >= 300),
    counts(path) {
      const counts = new Map<string, number>();
      for (const r of receiver.delivered(path)) {
        const k = `${r.path} ${r.key ?? '(no key)'}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      return counts;
    },
    duplicates: (path) => [...receiver.counts(path)].filter(([, raw]) => raw > 1).map(([key, raw]) => ({ key, raw })),
    async down(m: DownMode = '503') {
      if (mode === 'closed') await listen(port);
      mode = m;
      if (m === 'closed') await stopListening();
    },
    async up() {
      if (mode === 'closed') await listen(port);
      mode = 'up';
    },
    hold(path) {
      const entry: Held = { waiting: [] };
      const arrived = new Promise<Recorded>((resolve) => (entry.first = resolve));
      holds.set(path, entry);
      return {
        arrived,
        release(status) {
          if (holds.get(path) === entry) holds.delete(path);
          for (const go of entry.waiting.splice(0)) go(status);
        },
      };
    },
    slow(path, ms) {
      if (ms > 0) slowPaths.set(path, ms);
      else slowPaths.delete(path);
    },
    answer(path, status) {
      if (status === undefined) fixed.delete(path);
      else fixed.set(path, status);
    },
    waitFor(ready, what, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          let value: ReturnType<typeof ready>;
          try {
            value = ready(receiver);
          } catch (err) {
            done();
            reject(err);
            return;
          }
          if (value !== undefined && value !== false) {
            done();
            resolve(value as never);
          }
        };
        const timer = setTimeout(() => {
          done();
          const seen = requests.map((r) => `${r.status} ${r.path} ${r.key ?? ''}`).join('\n  ');
          reject(new Error(`receiver: timed out waiting for ${what}; requests seen:\n  ${seen}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          events.off('request', check);
        };
        events.on('request', check);
        check();
      });
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const [path, h] of holds) {
        holds.delete(path);
        for (const go of h.waiting.splice(0)) go();
      }
      if (mode !== 'closed') await stopListening();
      mode = 'closed';
    },
  };
  return receiver;
}
