// A stand-in service for the prometheus probe's tests: it answers requests and exports
// http_requests_total{code} and the http_request_duration_seconds histogram at /metrics, with an error
// rate and a latency the test sets. It makes its own steady traffic (`rps` requests a second, counted
// when scraped, so no timer and no load generator), and its errors are spread exactly: an error rate of
// 0.2 is every fifth request, so a rate over any window is what the test set.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, EXPOSITION_TYPE, exposition, Histogram } from '../../sim/metrics';

export interface ServiceBehaviour {
  /** Share of requests answered 500, 0 to 1. */
  errorRate: number;
  /** Latency of every request, in ms. */
  latencyMs: number;
}

export interface MetricsService {
  /** http://127.0.0.1:port */
  readonly url: string;
  /** host:port, for a scrape config. */
  readonly target: string;
  /** Changes behaviour from now on (traffic until now is counted with the old one). */
  set(change: Partial<ServiceBehaviour>): void;
  behaviour(): ServiceBehaviour;
  /** Requests counted so far, by code. */
  served(): { ok: number; errors: number };
  stop(): Promise<void>;
}

export async function startMetricsService(opts: Partial<ServiceBehaviour> & { rps?: number } = {}): Promise<MetricsService> {
  let behaviour: ServiceBehaviour = check({ errorRate: opts.errorRate ?? 0, latencyMs: opts.latencyMs ?? 20 });
  const rps = opts.rps ?? 50;
  if (!(rps > 0)) throw new Error(`rps must be positive (got ${rps})`);

  // Both codes exported from the first scrape, so rate() over 5xx is 0 rather than missing.
  const requests = new Counter('http_requests_total', 'Requests answered, by status code.', [{ code: '200' }, { code: '500' }]);
  const latency = new Histogram('http_request_duration_seconds', 'Time to answer a request.');
  let owedErrors = 0;
  const record = (): number => {
    owedErrors += behaviour.errorRate;
    const code = owedErrors >= 1 - 1e-9 ? 500 : 200;
    if (code === 500) owedErrors -= 1;
    requests.inc({ code: String(code) });
    latency.observe({}, behaviour.latencyMs / 1000);
    return code;
  };

  // Own traffic: every request due since the start at `rps`, counted up to now.
  const startedAt = Date.now();
  let generated = 0;
  const catchUp = () => {
    const due = Math.floor(((Date.now() - startedAt) / 1000) * rps);
    for (; generated < due; generated++) record();
  };

  const server: Server = createServer((req, res) => {
    if (req.url === '/metrics') {
      catchUp();
      res.writeHead(200, { 'content-type': EXPOSITION_TYPE }).end(exposition([requests, latency]));
      return;
    }
    // A real request: waits the latency, answers as the error rate says.
    const timer = setTimeout(() => {
      catchUp();
      const code = record();
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: code === 200 }));
    }, behaviour.latencyMs);
    res.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    target: `127.0.0.1:${port}`,
    set(change) {
      catchUp();
      behaviour = check({ ...behaviour, ...change });
    },
    behaviour: () => ({ ...behaviour }),
    served() {
      catchUp();
      return { ok: requests.get({ code: '200' }), errors: requests.get({ code: '500' }) };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function check(b: ServiceBehaviour): ServiceBehaviour {
  if (!(b.errorRate >= 0 && b.errorRate <= 1)) throw new Error(`errorRate must be from 0 to 1 (got ${b.errorRate})`);
  if (!(b.latencyMs >= 0)) throw new Error(`latencyMs must be 0 or more (got ${b.latencyMs})`);
  return b;
}
