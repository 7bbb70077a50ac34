// What the simulator exports at /metrics: requests by route and status code, their latency, route
// decisions by outcome, and whether each core service is up.

import type { FaultLookup } from './faults';
import { Counter, exposition, Gauge, Histogram } from './metrics';
import { SERVICES, servicesUp } from './views';

/** Requests to paths no route serves share one label value, so a scanner cannot grow the series without bound. */
export const UNMATCHED = 'unmatched';

export interface SimMetrics {
  requests: Counter;
  latency: Histogram;
  decisions: Counter;
  render(): string;
}

export function createSimMetrics(faults: FaultLookup): SimMetrics {
  const requests = new Counter('symphony_http_requests_total', 'HTTP requests answered, by route, method and status code.');
  const latency = new Histogram('symphony_http_request_duration_seconds', 'Time from a request arriving to its answer, by route.');
  const decisions = new Counter(
    'symphony_route_decisions_total',
    'Route decisions answered by POST /route/decide, by outcome.',
    ['allowed', 'denied'].map((decision) => ({ decision })),
  );
  const up = new Gauge('symphony_service_up', 'Whether a core service is up (1) or offline (0).', () => {
    const state = servicesUp(faults);
    return SERVICES.map((service) => ({ labels: { service }, value: state[service] ? 1 : 0 }));
  });
  return { requests, latency, decisions, render: () => exposition([requests, latency, decisions, up]) };
}

/** Counts one answered request. */
export function recordRequest(metrics: SimMetrics, route: string, method: string, status: number, seconds: number): void {
  metrics.requests.inc({ route, method, code: String(status) });
  metrics.latency.observe({ route }, seconds);
}
