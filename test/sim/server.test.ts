import * as fs from 'node:fs';
import * as path from 'node:path';
import { sign } from '../../sim/hmac';
import type { Simulator } from '../../sim/server';
import { get, logReader, overridesLog, post, request, SECRET, startTestSim, stopTestSim, triggersLog } from './helpers';

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSim();
});
afterAll(() => stopTestSim(sim));
afterEach(() => sim.clearAll());

const ping = (body: string, signature?: string) =>
  post(sim, '/federation/ping', body, signature === undefined ? {} : { 'X-Signature-256': signature });

describe('simulator: normal answers', () => {
  it('listens on a free loopback port and creates the log files', () => {
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
    expect(sim.port).toBeGreaterThan(0);
    expect(fs.existsSync(triggersLog(sim))).toBe(true);
    expect(fs.existsSync(overridesLog(sim))).toBe(true);
  });

  it('GET /orchestrator/status', async () => {
    const res = await get(sim, '/orchestrator/status');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/application\/json/);
    expect(res.json).toEqual({
      services: { ollama: true, litellm: true },
      federation: {
        enabled: true,
        peers: [
          { name: 'loopback', online: true },
          { name: 'peer-b', online: true },
          { name: 'peer-c', online: true },
        ],
      },
    });
  });

  it('GET /policy', async () => {
    expect((await get(sim, '/policy')).json).toEqual({ autonomy: 1, profile: 'prod', killSwitch: 0 });
  });

  it('POST /route/decide answers and logs the decision', async () => {
    const lines = logReader(triggersLog(sim));
    const res = await post(sim, '/route/decide', { task: 'code', loa: 1 });
    expect(res.text).toBe('{"decision":"allowed","task":"code","loa":1,"model":"local/llama3","cost":0.0}');
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatch(
      /^\{"ts":"[^"]+","event":"route","task":"code","decision":"allowed","loa":1,"model":"local\/llama3","cost":0\.0\}$/,
    );
  });

  it('POST /route/decide refuses a bad body', async () => {
    expect((await post(sim, '/route/decide', '{nope')).status).toBe(400);
    expect((await post(sim, '/route/decide', { task: 'code', loa: 'x' })).json).toEqual({
      error: 'loa must be an integer from 0 to 5',
    });
    expect((await post(sim, '/route/decide', { loa: 1 })).status).toBe(400);
  });

  it('GET /health/fast', async () => {
    const res = await get(sim, '/health/fast');
    expect(res.json).toEqual({
      sixWord: 'Orchestra healthy and all sections playing',
      services: { ollama: 'online', litellm: 'online' },
      elapsedMs: expect.any(Number),
    });
    expect(res.json.sixWord.split(/\s+/)).toHaveLength(6);
  });

  it('GET / shows green cards, GET /api/cards lists them', async () => {
    const page = await get(sim, '/');
    expect(page.type).toMatch(/text\/html/);
    expect(page.text.match(/🟢/g)).toHaveLength(4);
    expect(page.text).not.toMatch(/🔴/);
    expect((await get(sim, '/api/cards')).json).toEqual({
      cards: [
        { name: 'ollama', status: 'green' },
        { name: 'litellm', status: 'green' },
        { name: 'federation', status: 'green' },
        { name: 'policy', status: 'green' },
      ],
    });
  });

  it('POST /dash/refresh', async () => {
    expect((await post(sim, '/dash/refresh')).json).toEqual({ refreshed: true });
  });

  it('GET /reports/budget', async () => {
    const res = await get(sim, '/reports/budget');
    expect(res.json).toEqual({ spent: 0, ceiling: 5, currency: 'USD', day: expect.stringMatching(/^\d{4}-\d\d-\d\d$/) });
    expect(res.text).toContain('"ceiling":5.0');
  });

  it('POST /reports/simple writes numbered report files', async () => {
    const first = await post(sim, '/reports/simple');
    const second = await post(sim, '/reports/simple');
    expect(first.json).toEqual({ written: true, path: expect.stringMatching(/^reports\/simple-report-\d+\.md$/) });
    const n = Number(/(\d+)\.md$/.exec(first.json.path)![1]);
    expect(second.json.path).toBe(`reports/simple-report-${n + 1}.md`);
    expect(fs.readFileSync(path.join(sim.dir, first.json.path), 'utf8')).toMatch(/^# Symphony Orchestra simple report/);
  });

  it('POST /db/down records neo4j down', async () => {
    expect((await post(sim, '/db/down')).json).toEqual({ neo4j: 'down' });
    expect(sim.state().neo4j).toBe('down');
  });

  it('answers 404 and 405', async () => {
    expect((await get(sim, '/nope')).status).toBe(404);
    expect((await get(sim, '/route/decide')).status).toBe(405);
  });
});

describe('simulator: federation ping and HMAC', () => {
  const body = JSON.stringify({ peer: 'loopback' });

  it('accepts a valid signature and logs the ping', async () => {
    const lines = logReader(triggersLog(sim));
    const res = await ping(body, sign(SECRET, body));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true, peer: 'loopback', hmac: 'valid', latencyMs: expect.any(Number) });
    expect(lines()).toEqual([expect.stringMatching(/"event":"federation","peer":"loopback","hmac":"valid","ok":true/)]);
    expect(lines().join('\n')).not.toMatch(/error/);
  });

  it.each([
    ['missing', undefined],
    ['wrong secret', sign('other', body)],
    ['garbled', 'sha256=zz'],
  ])('refuses a %s signature with 401 and a log line', async (_what, signature) => {
    const lines = logReader(triggersLog(sim));
    const res = await ping(body, signature);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ ok: false, hmac: 'invalid' });
    expect(lines()).toEqual([expect.stringContaining('federation hmac error')]);
  });

  it('refuses an unknown peer', async () => {
    const b = JSON.stringify({ peer: 'nobody' });
    const res = await ping(b, sign(SECRET, b));
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ ok: false, peer: 'nobody', error: 'unknown peer' });
  });
});

describe('simulator: admin', () => {
  it('sets, lists and clears faults', async () => {
    const set = await post(sim, '/admin/faults', { name: 'slow', params: { seconds: 70 } });
    expect(set.json.fault).toMatchObject({ name: 'slow', params: { seconds: 70 } });
    await post(sim, '/admin/faults', { name: 'kill-switch' });
    const list = await get(sim, '/admin/faults');
    expect(list.json.faults.map((f: { name: string }) => f.name)).toEqual(['slow', 'kill-switch']);
    expect(list.json.available).toHaveLength(19);
    expect((await request(sim, 'DELETE', '/admin/faults/slow')).json).toEqual({ name: 'slow', cleared: true });
    expect((await request(sim, 'DELETE', '/admin/faults/slow')).json).toEqual({ name: 'slow', cleared: false });
    expect((await request(sim, 'DELETE', '/admin/faults')).json).toEqual({ cleared: 1 });
    expect(sim.faults()).toEqual([]);
  });

  it('refuses unknown faults and bad parameters', async () => {
    expect((await post(sim, '/admin/faults', { name: 'meteor' })).status).toBe(400);
    const bad = await post(sim, '/admin/faults', { name: 'peers-offline', params: { count: 9 } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/peers-offline: count must be an integer from 1 to 3/);
    expect((await request(sim, 'DELETE', '/admin/faults/meteor')).status).toBe(400);
    expect(() => sim.setFault('meteor')).toThrow(/unknown fault/);
  });

  it('reports state: restarts, request counts, faults', async () => {
    const before = (await get(sim, '/admin/state')).json;
    await get(sim, '/policy');
    sim.setFault('hang');
    const after = (await get(sim, '/admin/state')).json;
    expect(after.requests['GET /policy']).toBe((before.requests['GET /policy'] ?? 0) + 1);
    expect(after.requests['GET /admin/state']).toBe(before.requests['GET /admin/state'] + 1);
    expect(after).toMatchObject({ restarts: expect.any(Number), hanging: 0, neo4j: expect.any(String) });
    expect(after.faults).toEqual([{ name: 'hang', params: {}, since: expect.any(String) }]);
  });
});
