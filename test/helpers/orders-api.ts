// A small stand-in for an HTTP API that is not the Symphony simulator: /healthz and /orders, one JSON line
// per request in its log ({ts, method, path, status, level, ms}), and switches the tests turn: down,
// slow, failing requests, and a burst of server errors in the log.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface OrdersApi {
  url: string;
  logFile: string;
  set(behaviour: Partial<Behaviour>): void;
  /** Writes `n` server-error lines to the log, as a crashing backend would. */
  burst(n: number): void;
  stop(): Promise<void>;
}

interface Behaviour {
  healthy: boolean;
  latencyMs: number;
  /** Share of /orders requests answered 500. */
  errorRate: number;
}

export async function startOrdersApi(dir: string): Promise<OrdersApi> {
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'requests.jsonl');
  writeFileSync(logFile, '');
  const b: Behaviour = { healthy: true, latencyMs: 5, errorRate: 0 };
  let served = 0;
  const log = (method: string, path: string, status: number, ms: number) =>
    appendFileSync(
      logFile,
      JSON.stringify({ ts: new Date().toISOString(), method, path, status, level: status >= 500 ? 'error' : 'info', ms }) + '\n',
    );
  const server = createServer((req, res) => {
    const started = Date.now();
    const path = (req.url ?? '/').split('?')[0];
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      log(req.method ?? 'GET', path, status, Date.now() - started);
    };
    if (path === '/healthz')
      return b.healthy ? answer(200, { status: 'ok' }) : answer(503, { status: 'down', reason: 'database unreachable' });
    if (path === '/orders') {
      served++;
      const failing = b.errorRate > 0 && served % Math.max(1, Math.round(1 / b.errorRate)) === 0;
      setTimeout(
        () => (failing ? answer(500, { error: 'internal' }) : answer(200, { orders: [{ id: served, total: 12.5 }] })),
        b.latencyMs,
      );
      return;
    }
    answer(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logFile,
    set: (behaviour) => Object.assign(b, behaviour),
    burst(n) {
      for (let i = 0; i < n; i++) log('POST', '/orders', 500, 1);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
