import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Simulator } from '../../sim/server';
import { cli, logReader, simEnv, startTestSim, stopTestSim, triggersLog } from './helpers';

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSim(0.001);
});
afterAll(() => stopTestSim(sim));
afterEach(() => sim.clearAll());

const symphony = (...args: string[]) => cli('symphony.mjs', args, simEnv(sim));
const just = (args: string[], extra: Record<string, string> = {}) => cli('just.mjs', args, simEnv(sim, extra));

describe('symphony front', () => {
  it('orchestrator status prints the status JSON', async () => {
    const r = await symphony('orchestrator', 'status');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ services: { ollama: true, litellm: true }, federation: { enabled: true } });
  });

  it('policy show prints text lines', async () => {
    expect((await symphony('policy', 'show')).stdout).toBe('Autonomy: 1\nProfile: prod\nKill switch: off\n');
    sim.setFault('kill-switch');
    sim.setFault('autonomy-zero');
    sim.setFault('profile-drift');
    expect((await symphony('policy', 'show')).stdout).toBe('Autonomy: 0\nProfile: dev\nKill switch: on\n');
  });

  it('route decide --json prints the decision JSON', async () => {
    const r = await symphony('route', 'decide', '--task', 'code', '--loa', '1', '--json');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('{"decision":"allowed","task":"code","loa":1,"model":"local/llama3","cost":0.0}');
    sim.setFault('routes-denied');
    const denied = await symphony('route', 'decide', '--task', 'code', '--loa', '1', '--json');
    expect(JSON.parse(denied.stdout).decision).toBe('denied');
  });

  it('shows faults: service offline, peers offline', async () => {
    sim.setFault('service-offline', { service: 'ollama' });
    sim.setFault('peers-offline', { count: 2 });
    const s = JSON.parse((await symphony('orchestrator', 'status')).stdout);
    expect(s.services.ollama).toBe(false);
    expect(s.federation.peers.filter((p: { online: boolean }) => !p.online)).toHaveLength(2);
  });

  it('unknown commands and bad flags exit 2', async () => {
    for (const args of [[], ['policy', 'drop'], ['route', 'decide', '--task', 'code'], ['route', 'decide', '--bogus']]) {
      const r = await symphony(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/usage: symphony/);
      expect(r.stdout).toBe('');
    }
  });

  it('prints garbage as the server sent it', async () => {
    sim.setFault('garbage', { size: 80 });
    for (const args of [
      ['policy', 'show'],
      ['orchestrator', 'status'],
    ]) {
      const r = await symphony(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('<<garbled>>');
    }
  });

  it('waits while the service hangs', async () => {
    sim.setFault('hang');
    const hanging = once(sim.events, 'hanging');
    const run = symphony('policy', 'show');
    await hanging;
    sim.clearFault('hang');
    expect((await run).stdout).toBe('Autonomy: 1\nProfile: prod\nKill switch: off\n');
  });
});

describe('just front', () => {
  it('orchestra-fast prints one health object', async () => {
    const r = await just(['orchestra-fast']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ sixWord: 'Orchestra healthy and all sections playing' });
  });

  it('orchestra-fast reports slow and six-word faults', async () => {
    sim.setFault('slow', { seconds: 45 });
    sim.setFault('six-word-fail');
    const h = JSON.parse((await just(['orchestra-fast'])).stdout);
    expect(h.elapsedMs).toBeGreaterThanOrEqual(44);
    expect(h.sixWord.split(/\s+/).length).not.toBe(6);
  });

  it('dash-refresh and report-budgets', async () => {
    expect(JSON.parse((await just(['dash-refresh'])).stdout)).toEqual({ refreshed: true });
    expect(JSON.parse((await just(['report-budgets'])).stdout)).toMatchObject({ ceiling: 5, currency: 'USD' });
  });

  it('ai-up restarts services, clearing service-offline', async () => {
    sim.setFault('service-offline', { service: 'both' });
    const before = sim.state().restarts;
    const r = await just(['--justfile', 'Justfile.ai', 'ai-up']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ restarted: true, services: { ollama: true, litellm: true } });
    expect(sim.state().restarts).toBe(before + 1);
    expect(sim.faults()).toEqual([]);
  });

  it('ai-up passes ORCHESTRA_KILL and ORCHESTRA_ENV from its environment', async () => {
    const lines = logReader(triggersLog(sim));
    const r = await just(['--justfile', 'Justfile.ai', 'ai-up'], { ORCHESTRA_KILL: '1', ORCHESTRA_ENV: 'prod' });
    expect(JSON.parse(r.stdout).policy).toEqual({ autonomy: 1, profile: 'prod', killSwitch: 1 });
    expect(lines().some((l) => l.includes('"kill_switch":1'))).toBe(true);
    expect((await symphony('policy', 'show')).stdout).toContain('Kill switch: on');
    await just(['--justfile', 'Justfile.ai', 'ai-up'], { ORCHESTRA_KILL: '0' });
    expect((await symphony('policy', 'show')).stdout).toContain('Kill switch: off');
  });

  it('neo4j-down', async () => {
    const r = await just(['--justfile', 'Justfile.neo4j', 'neo4j-down']);
    expect(JSON.parse(r.stdout)).toEqual({ neo4j: 'down' });
  });

  it('unknown recipes exit 2', async () => {
    for (const args of [['nope'], ['ai-up'], ['--justfile', 'Justfile.ai', 'neo4j-down'], ['--justfile', 'X', 'ai-up']]) {
      const r = await just(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/error:/);
    }
  });
});

describe('federation front', () => {
  it('ping signs the body and prints the answer', async () => {
    const r = await cli('federation.mjs', ['ping', '--peer', 'loopback'], simEnv(sim));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, peer: 'loopback', hmac: 'valid', latencyMs: expect.any(Number) });
  });

  it.each([
    ['a wrong secret', 'nope'],
    ['no secret', undefined],
  ])('ping with %s is refused: exit 1, hmac invalid, log line', async (_what, secret) => {
    const lines = logReader(triggersLog(sim));
    const r = await cli('federation.mjs', ['ping', '--peer', 'loopback'], {
      SYMPHONY_URL: sim.url,
      FEDERATION_HMAC_SECRET: secret,
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ ok: false, hmac: 'invalid' });
    expect(lines()).toEqual([expect.stringContaining('federation hmac error')]);
  });

  it('usage errors exit 2', async () => {
    expect((await cli('federation.mjs', ['ping'], simEnv(sim))).code).toBe(2);
    expect((await cli('federation.mjs', ['pong'], simEnv(sim))).code).toBe(2);
  });
});

describe('simple_report front', () => {
  it('writes a report and names it', async () => {
    const r = await cli('simple_report.mjs', [], simEnv(sim));
    expect(r.code).toBe(0);
    const m = /^Report written: (reports\/simple-report-\d+\.md)\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(fs.existsSync(path.join(sim.dir, m![1]))).toBe(true);
  });
});

describe('unreachable service', () => {
  it('every front exits 1 with a message on stderr', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const env = { SYMPHONY_URL: `http://127.0.0.1:${port}` };
    for (const [script, args] of [
      ['symphony.mjs', ['policy', 'show']],
      ['just.mjs', ['orchestra-fast']],
      ['federation.mjs', ['ping', '--peer', 'loopback']],
      ['simple_report.mjs', []],
    ] as const) {
      const r = await cli(script, [...args], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot reach the service/);
    }
    const unset = await cli('symphony.mjs', ['policy', 'show'], {});
    expect(unset.code).toBe(1);
    expect(unset.stderr).toMatch(/SYMPHONY_URL is not set/);
  });
});
