import { once } from 'node:events';
import { sign } from '../../sim/hmac';
import type { Simulator } from '../../sim/server';
import { get, logReader, overridesLog, post, SECRET, startTestSim, stopTestSim, triggersLog } from './helpers';

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSim(0.001);
});
afterAll(() => stopTestSim(sim));
afterEach(() => sim.clearAll());

const decideCode = () => post(sim, '/route/decide', { task: 'code', loa: 1 });
const status = async () => (await get(sim, '/orchestrator/status')).json;
const policy = async () => (await get(sim, '/policy')).json;
const redCards = async () =>
  (await get(sim, '/api/cards')).json.cards.filter((c: { status: string }) => c.status === 'red').map((c: { name: string }) => c.name);
const signedPing = (peer: string) => {
  const body = JSON.stringify({ peer });
  return post(sim, '/federation/ping', body, { 'X-Signature-256': sign(SECRET, body) });
};

describe('faults', () => {
  it('service-offline takes a service down in status, health and cards', async () => {
    sim.setFault('service-offline', { service: 'litellm' });
    expect((await status()).services).toEqual({ ollama: true, litellm: false });
    expect((await get(sim, '/health/fast')).json.services).toEqual({ ollama: 'online', litellm: 'offline' });
    expect(await redCards()).toEqual(['litellm']);
    sim.setFault('service-offline', { service: 'both' });
    expect((await status()).services).toEqual({ ollama: false, litellm: false });
    sim.clearFault('service-offline');
    expect((await status()).services).toEqual({ ollama: true, litellm: true });
  });

  it.each([45, 70])('slow %is delays health and status by seconds*1000*timeScale', async (seconds) => {
    sim.setFault('slow', { seconds });
    const ms = seconds * 1000 * 0.001;
    const health = await get(sim, '/health/fast');
    expect(health.json.elapsedMs).toBeGreaterThanOrEqual(ms - 1);
    const t0 = Date.now();
    await get(sim, '/orchestrator/status');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(ms - 1);
    sim.clearFault('slow');
    expect((await get(sim, '/health/fast')).json.elapsedMs).toBeLessThan(ms);
  });

  it('six-word-fail changes the phrase to a wrong length', async () => {
    sim.setFault('six-word-fail');
    const phrase: string = (await get(sim, '/health/fast')).json.sixWord;
    expect(phrase.trim().split(/\s+/).length).not.toBe(6);
  });

  it('federation-disabled disables federation and refuses pings', async () => {
    sim.setFault('federation-disabled');
    expect((await status()).federation.enabled).toBe(false);
    expect(await redCards()).toEqual(['federation']);
    const lines = logReader(triggersLog(sim));
    const res = await signedPing('loopback');
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ ok: false, hmac: 'valid', error: 'federation disabled' });
    expect(lines()[0]).toMatch(/federation.*error/);
  });

  it('peers-offline takes the last peers offline', async () => {
    sim.setFault('peers-offline', { count: 2 });
    expect((await status()).federation.peers).toEqual([
      { name: 'loopback', online: true },
      { name: 'peer-b', online: false },
      { name: 'peer-c', online: false },
    ]);
    expect((await signedPing('peer-c')).status).toBe(504);
    expect((await signedPing('loopback')).status).toBe(200);
  });

  it('autonomy-zero sets autonomy 0 and reddens the policy card', async () => {
    sim.setFault('autonomy-zero');
    expect(await policy()).toEqual({ autonomy: 0, profile: 'prod', killSwitch: 0 });
    expect(await redCards()).toEqual(['policy']);
  });

  it.each([2, 3])('elevated-loa %i shows in decisions, logs and policy', async (loa) => {
    sim.setFault('elevated-loa', { loa });
    const lines = logReader(triggersLog(sim));
    expect((await decideCode()).json.loa).toBe(loa);
    expect(lines()[0]).toContain(`"loa":${loa}`);
    expect((await policy()).autonomy).toBe(loa);
  });

  it('routes-denied denies and logs the decision', async () => {
    sim.setFault('routes-denied');
    const lines = logReader(triggersLog(sim));
    expect((await decideCode()).json).toMatchObject({ decision: 'denied', task: 'code' });
    expect(lines()[0]).toContain('"decision":"denied"');
  });

  it('cloud-model routes to a cloud model and logs it', async () => {
    sim.setFault('cloud-model');
    const lines = logReader(triggersLog(sim));
    expect((await decideCode()).json).toMatchObject({ decision: 'allowed', model: 'cloud/gpt-x' });
    expect(lines()[0]).toContain('"model":"cloud/gpt-x"');
  });

  it('overrides writes override entries on set and on each decision', async () => {
    const triggers = logReader(triggersLog(sim));
    const overrides = logReader(overridesLog(sim));
    sim.setFault('overrides');
    expect(overrides()).toHaveLength(1);
    await decideCode();
    expect(overrides()).toHaveLength(2);
    expect(JSON.parse(overrides()[0])).toMatchObject({ event: 'override', from_loa: 1, to_loa: 2 });
    expect(triggers().filter((l) => /override/i.test(l))).toHaveLength(2);
    sim.clearFault('overrides');
    await decideCode();
    expect(overrides()).toHaveLength(2);
  });

  it('cost-over-budget makes decisions costly and spends past the ceiling', async () => {
    const lines = logReader(triggersLog(sim));
    const before = (await get(sim, '/reports/budget')).json.spent;
    sim.setFault('cost-over-budget', { cost: 2.5 });
    expect((await decideCode()).json.cost).toBe(2.5);
    const budget = (await get(sim, '/reports/budget')).json;
    expect(budget.spent).toBeCloseTo(before + 4 * 2.5, 2);
    expect(budget.spent).toBeGreaterThan(budget.ceiling);
    expect(lines().filter((l) => l.includes('"cost":2.5'))).toHaveLength(4);
  });

  it('kill-switch turns the kill switch on, logs it and denies routes', async () => {
    const lines = logReader(triggersLog(sim));
    sim.setFault('kill-switch');
    expect((await policy()).killSwitch).toBe(1);
    expect(lines()[0]).toMatch(/"kill_switch":1/);
    expect((await decideCode()).json.decision).toBe('denied');
    sim.clearFault('kill-switch');
    expect((await policy()).killSwitch).toBe(0);
  });

  it('federation-errors writes federation error lines', async () => {
    const lines = logReader(triggersLog(sim));
    sim.setFault('federation-errors');
    await get(sim, '/health/fast');
    expect(lines()).toHaveLength(2);
    for (const l of lines()) expect(l).toMatch(/federation.*error/);
  });

  it('log-timeouts writes several timeout and failed lines', async () => {
    const lines = logReader(triggersLog(sim));
    sim.setFault('log-timeouts', { count: 3 });
    expect(lines().filter((l) => l.includes('timeout'))).toHaveLength(3);
    expect(lines().filter((l) => l.includes('failed'))).toHaveLength(3);
  });

  it('dashboard-red reddens a card on the page and in the API', async () => {
    sim.setFault('dashboard-red', { card: 'federation' });
    expect(await redCards()).toEqual(['federation']);
    expect((await get(sim, '/')).text).toMatch(/🔴 federation/);
  });

  it('hang holds probe requests until the fault is cleared', async () => {
    sim.setFault('hang');
    const hanging = once(sim.events, 'hanging');
    const pending = get(sim, '/policy');
    await hanging;
    expect(sim.state().hanging).toBe(1);
    expect((await post(sim, '/services/up', { env: {} })).status).toBe(200);
    sim.clearFault('hang');
    const res = await pending;
    expect(res.json).toEqual({ autonomy: 1, profile: 'prod', killSwitch: 0 });
  });

  it('garbage answers 200 with bytes that are not JSON', async () => {
    sim.setFault('garbage', { size: 100 });
    for (const p of ['/policy', '/orchestrator/status', '/api/cards', '/health/fast']) {
      const res = await get(sim, p);
      expect(res.status).toBe(200);
      expect(res.raw).toHaveLength(100);
      expect(res.json).toBeUndefined();
    }
    expect((await post(sim, '/route/decide', { task: 'code', loa: 1 })).json).toBeUndefined();
    expect((await get(sim, '/admin/state')).json).toBeDefined();
  });

  it('profile-drift changes the profile', async () => {
    sim.setFault('profile-drift');
    expect((await policy()).profile).toBe('dev');
  });

  it('security-violation writes a security violation line', async () => {
    const lines = logReader(triggersLog(sim));
    sim.setFault('security-violation');
    expect(lines()).toEqual([expect.stringMatching(/security violation/)]);
  });

  it('clearing every fault restores normal answers', async () => {
    for (const [name, params] of [
      ['service-offline', { service: 'both' }],
      ['federation-disabled', {}],
      ['autonomy-zero', {}],
      ['routes-denied', {}],
      ['dashboard-red', {}],
      ['six-word-fail', {}],
    ] as const) {
      sim.setFault(name, params);
    }
    sim.clearAll();
    expect(await redCards()).toEqual([]);
    expect((await decideCode()).json.decision).toBe('allowed');
    expect((await get(sim, '/health/fast')).json.sixWord).toBe('Orchestra healthy and all sections playing');
  });
});

describe('restart lever (POST /services/up)', () => {
  it('clears service-offline and counts restarts', async () => {
    sim.setFault('service-offline', { service: 'ollama' });
    const before = sim.state().restarts;
    const res = await post(sim, '/services/up', { env: {} });
    expect(res.json).toMatchObject({ restarted: true, restarts: before + 1, services: { ollama: true, litellm: true } });
    expect(sim.faults()).toEqual([]);
  });

  it('ORCHESTRA_KILL=1 turns the kill switch on and logs it; =0 turns it off', async () => {
    const lines = logReader(triggersLog(sim));
    const res = await post(sim, '/services/up', { env: { ORCHESTRA_KILL: '1' } });
    expect(res.json.policy.killSwitch).toBe(1);
    expect(lines().some((l) => /"kill_switch":1/.test(l))).toBe(true);
    await post(sim, '/services/up', { env: { ORCHESTRA_KILL: '0' } });
    expect((await policy()).killSwitch).toBe(0);
  });

  it('ORCHESTRA_ENV=prod caps autonomy at 1 and fixes the profile', async () => {
    sim.setFault('elevated-loa', { loa: 3 });
    sim.setFault('profile-drift');
    const res = await post(sim, '/services/up', { env: { ORCHESTRA_ENV: 'prod' } });
    expect(res.json.policy).toEqual({ autonomy: 1, profile: 'prod', killSwitch: 0 });
    expect((await decideCode()).json.loa).toBe(1);
  });

  it('refuses a bad env', async () => {
    expect((await post(sim, '/services/up', { env: { ORCHESTRA_KILL: 1 } })).status).toBe(400);
    expect((await post(sim, '/services/up', { env: { ORCHESTRA_ENV: '$(rm -rf /)' } })).status).toBe(400);
  });
});

describe('closing', () => {
  it('close() ends hanging and slow requests', async () => {
    const other = await startTestSim(1);
    other.setFault('hang');
    const hanging = once(other.events, 'hanging');
    const pending = get(other, '/health/fast').then(
      () => 'answered',
      () => 'ended',
    );
    await hanging;
    await stopTestSim(other);
    expect(await pending).toBe('ended');
  });
});
