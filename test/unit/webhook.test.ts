// The deploy webhook's pure parts: signatures and reading a deployment out of a body. No server.
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { findPlan } from '../../client/serve';
import { Refused } from '../../client/watches';
import { parseDeployment, parseEnvironmentMapping, releaseOfRef, sign, verifySignature } from '../../client/webhook';

const SECRET = 'test-secret-0123456789';
const PLANS = join(__dirname, '..', '..', 'plans');
const SHA = '3f2a9c1e5b7d9f0a1c3e5b7d9f0a1c3e5b7d9f0a';

describe('verifySignature', () => {
  const body = '{"service":"symphony","release":"v1.0","plan":"symphony-orchestra"}';
  const good = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

  test('a signature of the raw body with the secret is accepted, as a string or a Buffer', () => {
    expect(sign(body, SECRET)).toBe(good);
    expect(verifySignature(body, good, SECRET)).toEqual({ ok: true });
    expect(verifySignature(Buffer.from(body), good, SECRET)).toEqual({ ok: true });
    expect(verifySignature(body, good.toUpperCase().replace('SHA256=', 'sha256='), SECRET)).toEqual({ ok: true });
  });

  test('a wrong secret, a changed body or a changed digit is refused', () => {
    expect(verifySignature(body, sign(body, 'other-secret'), SECRET)).toEqual({ ok: false, reason: 'signature does not match the body' });
    expect(verifySignature(body + ' ', good, SECRET)).toMatchObject({ ok: false, reason: 'signature does not match the body' });
    const flipped = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
    expect(verifySignature(body, flipped, SECRET).ok).toBe(false);
  });

  test('a missing header, a wrong prefix or a malformed digest is refused with the reason', () => {
    expect(verifySignature(body, undefined, SECRET)).toEqual({ ok: false, reason: 'missing X-Hub-Signature-256 header' });
    expect(verifySignature(body, '', SECRET)).toEqual({ ok: false, reason: 'missing X-Hub-Signature-256 header' });
    const sha1 = `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`;
    expect(verifySignature(body, sha1, SECRET)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/must be "sha256=" followed by 64 hex digits/),
    });
    expect(verifySignature(body, good.replace('sha256=', ''), SECRET).ok).toBe(false);
    expect(verifySignature(body, good.slice(0, -2), SECRET).ok).toBe(false);
    expect(verifySignature(body, good.slice(0, -1) + 'z', SECRET).ok).toBe(false);
    expect(verifySignature(body, [good, good], SECRET)).toMatchObject({ ok: false, reason: expect.stringMatching(/more than one/) });
  });

  test('without a secret nothing verifies', () => {
    expect(verifySignature(body, sign(body, ''), '')).toEqual({ ok: false, reason: 'no webhook secret is configured' });
  });
});

describe('parseDeployment: the generic body', () => {
  const parse = (body: unknown) => parseDeployment(body, { 'content-type': 'application/json' });

  test('service, release, commit and plan make a deployment', () => {
    const r = parse({
      service: 'symphony',
      release: 'v1.0',
      commit: '3f2a9c1',
      plan: 'symphony-orchestra',
      deployedAt: '2026-01-02T03:04:05Z',
      by: 'deploy-bot',
    });
    expect(r).toEqual({
      kind: 'start',
      deployment: {
        service: 'symphony',
        release: 'v1.0',
        commit: '3f2a9c1',
        deployedAt: '2026-01-02T03:04:05Z',
        plan: 'symphony-orchestra',
        startedBy: 'webhook:deploy-bot',
        source: 'webhook',
      },
    });
    const noCommit = parse({ service: 'symphony', release: 'v1.0', plan: 'demo' });
    expect(noCommit).toMatchObject({ kind: 'start', deployment: { commit: undefined, startedBy: 'webhook' } });
    if (noCommit.kind === 'start') expect(Date.parse(noCommit.deployment.deployedAt)).not.toBeNaN();
  });

  test.each([
    [[], /must be a JSON object/],
    ['v1.0', /must be a JSON object/],
    [null, /must be a JSON object/],
    [{ release: 'v1.0', plan: 'demo' }, /missing "service"/],
    [{ service: 'symphony', plan: 'demo' }, /missing "release"/],
    [{ service: 'symphony', release: 'v1.0' }, /missing "plan"/],
    [{ service: 'symphony', release: 'v1.0', plan: 'demo', relase: 'v2' }, /unknown field\(s\) "relase"/],
    [{ service: 'symphony', release: 1.0, plan: 'demo' }, /"release" must be a string/],
    [{ service: 'Symphony Orchestra', release: 'v1.0', plan: 'demo' }, /service must be lower-case/],
    [{ service: 'symphony', release: 'v1.0; rm -rf /', plan: 'demo' }, /release must be a plain tag/],
    [{ service: 'symphony', release: '-v1', plan: 'demo' }, /release must be a plain tag/],
    [{ service: 'symphony', release: 'v1.0', commit: 'not-a-sha', plan: 'demo' }, /commit must be a hex SHA/],
    [{ service: 'symphony', release: 'v1.0', commit: '$(reboot)', plan: 'demo' }, /commit must be a hex SHA/],
    [{ service: 'symphony', release: 'v1.0', commit: 'abc', plan: 'demo' }, /commit must be a hex SHA/],
    [{ service: 'symphony', release: 'v1.0', deployedAt: 'yesterday', plan: 'demo' }, /deployedAt must be an ISO time/],
    [{ service: 'symphony', release: 'v1.0', plan: '../../etc/passwd' }, /plan must be a plan name/],
    [{ service: 'symphony', release: 'v1.0', plan: 'demo', by: 'a b' }, /"by" must be a plain name/],
  ])('%j is refused: %s', (body, reason) => {
    const r = parse(body);
    expect(r.kind).toBe('invalid');
    if (r.kind === 'invalid') expect(r.reason).toMatch(reason);
  });
});

describe('parseDeployment: GitHub deployment_status', () => {
  const headers = { 'X-GitHub-Event': 'deployment_status', 'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' };
  const event = (state: string, deployment: Record<string, unknown> = {}) => ({
    action: 'created',
    deployment_status: { state, environment: 'production', created_at: '2026-01-02T03:04:05Z' },
    deployment: {
      id: 1,
      sha: SHA,
      ref: 'v1.4.2',
      environment: 'production',
      payload: { service: 'symphony', plan: 'symphony-orchestra' },
      ...deployment,
    },
    repository: { full_name: 'acme/symphony' },
    sender: { login: 'octocat' },
  });

  test('success starts: service and plan from the payload, release = ref, commit = sha', () => {
    expect(parseDeployment(event('success'), headers)).toEqual({
      kind: 'start',
      deployment: {
        service: 'symphony',
        release: 'v1.4.2',
        commit: SHA,
        deployedAt: '2026-01-02T03:04:05Z',
        plan: 'symphony-orchestra',
        startedBy: 'github:octocat',
        source: 'github',
      },
    });
  });

  test.each(['failure', 'error', 'pending', 'in_progress', 'queued', 'inactive'])(
    'state %s is acknowledged and starts nothing',
    (state) => {
      expect(parseDeployment(event(state), headers)).toEqual({
        kind: 'ignore',
        reason: `deployment state is "${state}"; only "success" starts a watch`,
      });
    },
  );

  test('a branch ref is not a release: the SHA is; a tag ref is; payload.release wins', () => {
    const release = (deployment: Record<string, unknown>) => {
      const r = parseDeployment(event('success', deployment), headers);
      return r.kind === 'start' ? r.deployment.release : r;
    };
    expect(release({ ref: 'main' })).toBe(SHA);
    expect(release({ ref: 'refs/tags/v2.0.1' })).toBe('v2.0.1');
    expect(release({ ref: '2024.11.3' })).toBe('2024.11.3');
    expect(release({ ref: undefined })).toBe(SHA);
    expect(release({ payload: { service: 'symphony', plan: 'demo', release: 'v9' } })).toBe('v9');
    expect(releaseOfRef('feature/x')).toBeUndefined();
  });

  test('service and plan from a configured environment mapping, or the default plan; payload as a JSON string', () => {
    const mapped = parseDeployment(event('success', { payload: {}, environment: 'prod-eu' }), headers, {
      environments: { 'prod-eu': { service: 'symphony', plan: 'demo' } },
    });
    expect(mapped).toMatchObject({ kind: 'start', deployment: { service: 'symphony', plan: 'demo' } });
    const byDefault = parseDeployment(event('success', { payload: '{"service":"symphony"}' }), headers, {
      defaultPlan: 'symphony-orchestra',
    });
    expect(byDefault).toMatchObject({ kind: 'start', deployment: { service: 'symphony', plan: 'symphony-orchestra' } });
    const envAsService = parseDeployment(event('success', { payload: { plan: 'demo' }, environment: 'symphony' }), headers);
    expect(envAsService).toMatchObject({ kind: 'start', deployment: { service: 'symphony' } });
    expect(parseEnvironmentMapping('production=symphony:symphony-orchestra')).toEqual([
      'production',
      { service: 'symphony', plan: 'symphony-orchestra' },
    ]);
    expect(parseEnvironmentMapping('production=symphony')).toEqual(['production', { service: 'symphony' }]);
    expect(() => parseEnvironmentMapping('production')).toThrow(Refused);
  });

  test.each([
    [{ deployment_status: { state: 'success' } }, /missing deployment$/],
    [{ deployment: { sha: SHA } }, /missing deployment_status.state/],
    [{ deployment_status: { state: 'success' }, deployment: { ref: 'v1' } }, /missing deployment.sha/],
    [
      { deployment_status: { state: 'success' }, deployment: { sha: 'zzz', ref: 'v1', payload: { service: 'symphony', plan: 'demo' } } },
      /commit must be a hex SHA/,
    ],
    [
      {
        deployment_status: { state: 'success' },
        deployment: { sha: SHA, ref: 'v1', payload: { service: 'symphony', plan: 'demo', release: 'v1 && curl evil' } },
      },
      /release must be a plain tag/,
    ],
    [{ deployment_status: { state: 'success' }, deployment: { sha: SHA, payload: { plan: 'demo' } } }, /no service/],
    [
      { deployment_status: { state: 'success' }, deployment: { sha: SHA, payload: { service: 'symphony' } } },
      /no plan for service "symphony"/,
    ],
    [{ deployment_status: { state: 'success' }, deployment: { sha: SHA, payload: 'not json' } }, /payload is a string that is not JSON/],
  ])('%j is refused: %s', (body, reason) => {
    const r = parseDeployment(body, headers);
    expect(r.kind).toBe('invalid');
    if (r.kind === 'invalid') expect(r.reason).toMatch(reason);
  });

  test('ping and other events are acknowledged and start nothing', () => {
    expect(parseDeployment({ zen: 'Keep it logically awesome.' }, { 'x-github-event': 'ping' })).toMatchObject({ kind: 'ignore' });
    expect(parseDeployment({}, { 'x-github-event': 'push' })).toEqual({
      kind: 'ignore',
      reason: 'event "push" starts nothing (only deployment_status does)',
    });
  });
});

describe('findPlan', () => {
  test('a plan by its file name, or by the name it declares', () => {
    expect(findPlan(PLANS, 'symphony-orchestra')).toMatchObject({ ok: true, plan: { name: 'symphony-orchestra', service: 'symphony' } });
    expect(findPlan(PLANS, 'demo')).toMatchObject({ ok: true, plan: { name: 'symphony-demo' } });
    expect(findPlan(PLANS, 'symphony-demo')).toMatchObject({ ok: true, plan: { name: 'symphony-demo' } });
  });

  test('an unknown plan is named in the refusal; a path is not a plan name', () => {
    expect(findPlan(PLANS, 'no-such-plan')).toEqual({
      ok: false,
      status: 400,
      reason: expect.stringMatching(/unknown plan "no-such-plan"/),
    });
    expect(findPlan(PLANS, '../package')).toMatchObject({
      ok: false,
      status: 400,
      reason: expect.stringMatching(/plan must be a plan name/),
    });
  });
});
