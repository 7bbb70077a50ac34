import { Counter, exposition, Gauge, Histogram } from '../../sim/metrics';
import type { Simulator } from '../../sim/server';
import { get, post, startTestSim, stopTestSim } from './helpers';

/** Samples of an exposition page: `name{labels}` → value (labels as written, in order). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    out.set(m[1], m[2] === '+Inf' ? Infinity : Number(m[2]));
  }
  return out;
}

describe('exposition format', () => {
  it('writes HELP and TYPE, label sets, cumulative buckets, sum and count', () => {
    const c = new Counter('jobs_total', 'Jobs done.\nBy outcome.', [{ outcome: 'ok' }]);
    c.inc({ outcome: 'failed' }, 2);
    const h = new Histogram('job_seconds', 'Job time.', [0.1, 1]);
    h.observe({ queue: 'a' }, 0.05);
    h.observe({ queue: 'a' }, 0.5, 2);
    h.observe({ queue: 'a' }, 7);
    const g = new Gauge('jobs_waiting', 'Jobs waiting.', () => [{ labels: { queue: 'say "hi"\\' }, value: NaN }]);
    expect(exposition([c, h, g])).toBe(
      [
        '# HELP jobs_total Jobs done.\\nBy outcome.',
        '# TYPE jobs_total counter',
        'jobs_total{outcome="ok"} 0',
        'jobs_total{outcome="failed"} 2',
        '# HELP job_seconds Job time.',
        '# TYPE job_seconds histogram',
        'job_seconds_bucket{queue="a",le="0.1"} 1',
        'job_seconds_bucket{queue="a",le="1"} 3',
        'job_seconds_bucket{queue="a",le="+Inf"} 4',
        'job_seconds_sum{queue="a"} 8.05',
        'job_seconds_count{queue="a"} 4',
        '# HELP jobs_waiting Jobs waiting.',
        '# TYPE jobs_waiting gauge',
        'jobs_waiting{queue="say \\"hi\\"\\\\"} NaN',
        '',
      ].join('\n'),
    );
  });

  it('refuses a counter going down and buckets out of order', () => {
    expect(() => new Counter('x_total', 'x').inc({}, -1)).toThrow('x_total: a counter only goes up (got -1)');
    expect(() => new Histogram('x_seconds', 'x', [1, 0.5])).toThrow('x_seconds: buckets must increase');
  });
});

describe('simulator: GET /metrics', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startTestSim();
  });
  afterAll(() => stopTestSim(sim));

  it('counts requests by route and code, decisions by outcome, latency, and services up', async () => {
    await get(sim, '/health/fast');
    await get(sim, '/health/fast');
    await get(sim, '/no/such/path');
    expect((await post(sim, '/route/decide', { task: 'code', loa: 1 })).json.decision).toBe('allowed');
    expect((await post(sim, '/route/decide', { task: 'code', loa: 9 })).status).toBe(400);
    sim.setFault('routes-denied');
    expect((await post(sim, '/route/decide', { task: 'code', loa: 1 })).json.decision).toBe('denied');
    sim.setFault('service-offline', { service: 'litellm' });
    // 300 simulated seconds at the test's time scale (0.001) is 300 ms: between the 0.25 and 0.5 buckets.
    sim.setFault('slow', { seconds: 300 });
    await get(sim, '/orchestrator/status');

    const res = await get(sim, '/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.text).toContain('# TYPE symphony_http_requests_total counter\n');
    expect(res.text).toContain('# TYPE symphony_http_request_duration_seconds histogram\n');
    const s = samples(res.text);
    expect(s.get('symphony_http_requests_total{route="/health/fast",method="GET",code="200"}')).toBe(2);
    expect(s.get('symphony_http_requests_total{route="unmatched",method="GET",code="404"}')).toBe(1);
    expect(s.get('symphony_http_requests_total{route="/route/decide",method="POST",code="200"}')).toBe(2);
    expect(s.get('symphony_http_requests_total{route="/route/decide",method="POST",code="400"}')).toBe(1);
    expect(s.get('symphony_route_decisions_total{decision="allowed"}')).toBe(1);
    expect(s.get('symphony_route_decisions_total{decision="denied"}')).toBe(1);
    expect(s.get('symphony_service_up{service="ollama"}')).toBe(1);
    expect(s.get('symphony_service_up{service="litellm"}')).toBe(0);
    const status = (le: string) => s.get(`symphony_http_request_duration_seconds_bucket{route="/orchestrator/status",le="${le}"}`);
    expect(status('0.25')).toBe(0);
    expect(status('0.5')).toBe(1);
    expect(status('+Inf')).toBe(1);
    expect(s.get('symphony_http_request_duration_seconds_sum{route="/orchestrator/status"}')).toBeGreaterThanOrEqual(0.3);
  });

  it('answers under the hang and garbage faults, which are for probe endpoints only', async () => {
    sim.setFault('hang');
    sim.setFault('garbage');
    const res = await get(sim, '/metrics');
    expect(res.status).toBe(200);
    expect(samples(res.text).get('symphony_route_decisions_total{decision="allowed"}')).toBe(1);
    sim.clearAll();
  });
});
