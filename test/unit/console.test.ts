// The console's pure parts: who may read it, and what it offers beside a watch's status.
import { authenticate, cookieOf, crossSiteReason, sessionCookie, sessionValue } from '../../client/console/auth';
import { checkAnswer, consoleRefusal } from '../../client/console/answers';
import { nextActions, offers, tierGrid } from '../../client/console/offers';
import type { WatchStatus } from '../../core/status';
import { symphonyPlan } from '../helpers/plans';

const TOKEN = 'unit-console-token-0123456789';

describe('authenticate', () => {
  test('a bearer token, the login cookie, or the proxy user header; anything else with the reason', () => {
    expect(authenticate({ token: TOKEN }, { authorization: `Bearer ${TOKEN}` })).toEqual({ ok: true, user: 'token', via: 'token' });
    expect(authenticate({ token: TOKEN }, { cookie: `a=b; rw_console=${sessionValue(TOKEN)}` })).toEqual({
      ok: true,
      user: 'token',
      via: 'cookie',
    });
    expect(authenticate({ token: TOKEN }, { authorization: 'Bearer nope' })).toEqual({
      ok: false,
      reason: 'the bearer token is not the console token',
    });
    expect(authenticate({ token: TOKEN }, { cookie: `rw_console=${TOKEN}` })).toMatchObject({ ok: false });
    expect(authenticate({ token: TOKEN }, {})).toMatchObject({ ok: false, reason: expect.stringMatching(/^sign in/) });
    expect(authenticate({ proxyHeader: 'x-forwarded-user' }, { 'x-forwarded-user': 'alice' })).toEqual({
      ok: true,
      user: 'alice',
      via: 'proxy',
    });
    expect(authenticate({ proxyHeader: 'x-forwarded-user' }, {})).toEqual({
      ok: false,
      reason: 'no x-forwarded-user header: the console is served behind an authenticating proxy',
    });
    expect(authenticate({ proxyHeader: 'x-forwarded-user' }, { 'x-forwarded-user': 'al ice\n' })).toMatchObject({ ok: false });
  });

  test('the cookie is HttpOnly, SameSite=Strict, and never the token itself', () => {
    const set = sessionCookie(TOKEN, true);
    expect(set).toMatch(/^rw_console=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/);
    expect(set).not.toContain(TOKEN);
    expect(cookieOf('x=1; rw_console=abc', 'rw_console')).toBe('abc');
    expect(sessionCookie(undefined, false)).toBe('rw_console=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
  });

  test('answers only as JSON from the console itself', () => {
    expect(crossSiteReason({ 'content-type': 'application/json', host: 'h:1', origin: 'http://h:1' })).toBeUndefined();
    expect(crossSiteReason({ 'content-type': 'application/json', host: 'h:1' })).toBeUndefined();
    expect(crossSiteReason({ 'content-type': 'text/plain', host: 'h:1' })).toBe('send the answer as application/json');
    expect(crossSiteReason({ 'content-type': 'application/json', host: 'h:1', origin: 'https://evil.example' })).toBe(
      'a page on evil.example may not send answers to this console',
    );
  });
});

describe('answers', () => {
  test('shape: the fields of the kind, as text, and a signature object', () => {
    expect(checkAnswer('ack', { incident: '1', by: 'x' })).toEqual({ ok: true, request: { incident: '1', by: 'x' } });
    expect(checkAnswer('ack', { incident: '1', by: 'x', rootCause: 'y' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^unknown field\(s\) "rootCause"/),
    });
    expect(checkAnswer('approve', { request: 1, by: 'x' })).toEqual({ ok: false, reason: '"request" must be text' });
  });

  test('the console never sends an unsigned answer to a plan that signs (the server has no business signing)', () => {
    const plan = symphonyPlan();
    expect(consoleRefusal(plan, { by: 'alice' })).toBe(
      "this plan requires signed approvals: load alice's key into the page to sign as alice",
    );
    expect(consoleRefusal({ ...plan, profile: 'dev' }, { by: 'alice' })).toBeUndefined();
    expect(consoleRefusal(plan, { by: 'alice', signature: { nonce: 'a', sig: 'b' } })).toBeUndefined();
  });
});

/** A status of the symphony plan at hour 13: the 12h checkpoint open, incident 1 open, a lever awaiting approval. */
function status(): WatchStatus {
  const cp = (name: string, hour: number, state: string) => ({ name, title: name, hour, state, escalations: 0 });
  return {
    phase: 'awaiting-decision',
    hour: 13,
    endHour: 48,
    checkpoints: [
      {
        ...cp('12h', 12, 'pending'),
        deadline: '2026-01-01T13:00:00.000Z',
        criteria: [
          { name: 'All hourly checks completed successfully', met: true, detail: '13/13' },
          { name: 'No critical alerts triggered', met: false, detail: 'incidents w/incident-1 (fast-pulse)' },
        ],
      },
      cp('24h', 24, 'upcoming'),
      cp('48h', 48, 'upcoming'),
    ],
    incidents: [
      {
        id: 'w/incident-1',
        check: 'fast-pulse',
        severity: 'critical',
        state: 'open',
        holder: 'duty-engineer',
        nextDeadline: '2026-01-01T12:30:00.000Z',
      },
    ],
    levers: [
      {
        seq: 2,
        lever: 'kill-switch',
        by: 'policy-steward',
        reason: 'r',
        state: 'awaiting-approval',
        expiresAt: Date.parse('2026-01-01T14:00:00Z'),
      },
    ],
    decisions: [],
    tiers: { hourly: { ranAt: [0, 1, 2, 3], warnedAt: [2], failedAt: [3], late: 1, checks: ['fast-pulse'] } },
  } as unknown as WatchStatus;
}

describe('offers', () => {
  const plan = symphonyPlan();
  plan.checkpoints[0].gated = ['escalate'];

  test('a gated decision carries its unmet criteria; only the deciders are offered', () => {
    const o = offers(plan, status());
    expect(o.checkpoints).toHaveLength(1);
    expect(o.checkpoints[0].deciders).toEqual(['release-captain', 'duty-engineer', 'duty-engineer-2']);
    expect(o.checkpoints[0].decisions.map((d) => [d.decision, d.unmet.map((u) => u.name)])).toEqual([
      ['continue', []],
      ['escalate', ['No critical alerts triggered']],
      ['rollback', []],
    ]);
  });

  test('a lever request is approved by a second person: its requester is not offered', () => {
    const o = offers(plan, status());
    expect(o.approvals).toEqual([expect.objectContaining({ seq: 2, requestedBy: 'policy-steward', approvers: ['release-captain'] })]);
    expect(o.levers.find((l) => l.lever === 'kill-switch')?.why).toBe('kill-switch is already awaiting approval (request 2)');
  });

  test('who must act, soonest first', () => {
    expect(nextActions(plan, status()).map((n) => [n.kind, n.who, n.due])).toEqual([
      ['acknowledge', ['duty-engineer'], '2026-01-01T12:30:00.000Z'],
      ['decide', ['release-captain', 'duty-engineer', 'duty-engineer-2'], '2026-01-01T13:00:00.000Z'],
      ['approve', ['release-captain'], '2026-01-01T14:00:00.000Z'],
    ]);
  });

  test('the grid: ok, warn, fail, missed an hour later, due still to come', () => {
    const row = tierGrid(plan, { ...status(), hour: 6.5 } as WatchStatus)[0];
    expect(row.cells.slice(0, 8)).toEqual(['ok', 'ok', 'warn', 'fail', 'missed', 'missed', 'due', 'due']);
    expect(row.late).toBe(1);
  });
});
