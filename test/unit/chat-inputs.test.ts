// The chat inputs' pure parts: Slack's request signature (window, replays), PagerDuty's webhook
// signature, and reading a Slack click or a PagerDuty event into an answer. No server.
import { createHmac } from 'node:crypto';
import { pagerDutySignature, verifyPagerDutySignature } from '../../client/chat/pagerduty-verify';
import { incidentOfDedupKey, parsePagerDutyEvent } from '../../client/chat/pagerduty-event';
import { personOf } from '../../client/chat/people';
import { buttonValue, parseInteraction, type SlackAction } from '../../client/chat/slack-interaction';
import { ReplayStore, slackSignature, verifySlackRequest } from '../../client/chat/slack-verify';
import { Person } from '../../plan/schema';
import { parseButtonValue } from '../../core/chat';
import { slackMessage } from '../../sinks/slack';
import { forPagerDuty } from '../../sinks/pagerduty';
import { addressed } from '../../core/notices';
import type { Ack } from '../../core/incidents';
import { signatureError } from '../../core/signatures';
import { relayed, relayKeyFromEnv } from '../../client/chat/relay';
import { generateKeyPair } from '../../client/keys';
import type { Plan } from '../../plan/schema';
import { symphonyPlan } from '../helpers/plans';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = 1_765_000_000;

describe('verifySlackRequest', () => {
  const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
  const ts = String(NOW - 10);
  // Computed independently of slackSignature, as Slack documents it.
  const good = 'v0=' + createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex');

  test('a request signed as Slack signs it is accepted once; the same signature again is a replay', () => {
    expect(slackSignature(SECRET, ts, body)).toBe(good);
    const replays = new ReplayStore();
    expect(verifySlackRequest(body, { signature: good, timestamp: ts }, SECRET, NOW, replays)).toEqual({ ok: true });
    expect(verifySlackRequest(Buffer.from(body), { signature: good, timestamp: ts }, SECRET, NOW + 1, replays)).toEqual({
      ok: false,
      status: 409,
      reason: 'replayed request: this signature was already accepted',
    });
  });

  test('forged: another secret, a changed body, a changed timestamp', () => {
    const r = new ReplayStore();
    const mismatch = { ok: false, status: 401, reason: 'signature does not match the timestamp and body' };
    expect(verifySlackRequest(body, { signature: slackSignature('other', ts, body), timestamp: ts }, SECRET, NOW, r)).toEqual(mismatch);
    expect(verifySlackRequest(body + 'x', { signature: good, timestamp: ts }, SECRET, NOW, r)).toEqual(mismatch);
    expect(verifySlackRequest(body, { signature: good, timestamp: String(NOW - 11) }, SECRET, NOW, r)).toEqual(mismatch);
    expect(r.size).toBe(0);
  });

  test('stale: a timestamp more than five minutes either side of now', () => {
    const old = String(NOW - 301);
    const r = new ReplayStore();
    expect(verifySlackRequest(body, { signature: slackSignature(SECRET, old, body), timestamp: old }, SECRET, NOW, r)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^stale request: .* 301 s from now/),
    });
    const future = String(NOW + 301);
    expect(verifySlackRequest(body, { signature: slackSignature(SECRET, future, body), timestamp: future }, SECRET, NOW, r).ok).toBe(false);
    const edge = String(NOW - 300);
    expect(verifySlackRequest(body, { signature: slackSignature(SECRET, edge, body), timestamp: edge }, SECRET, NOW, r).ok).toBe(true);
  });

  test('malformed or missing headers, and no secret, are refused with the reason', () => {
    const r = new ReplayStore();
    const v = (signature: string | string[] | undefined, timestamp: string | string[] | undefined, secret = SECRET) =>
      verifySlackRequest(body, { signature, timestamp }, secret, NOW, r);
    expect(v(good, ts, '')).toMatchObject({ reason: expect.stringMatching(/no Slack signing secret/) });
    expect(v(undefined, ts)).toMatchObject({ reason: 'missing X-Slack-Signature header' });
    expect(v(good, undefined)).toMatchObject({ reason: 'missing X-Slack-Request-Timestamp header' });
    expect(v([good, good], ts)).toMatchObject({ reason: 'more than one X-Slack-Signature header' });
    expect(v(good, `${ts}.5`)).toMatchObject({ reason: expect.stringMatching(/whole seconds/) });
    expect(v(good.replace('v0=', 'v1='), ts)).toMatchObject({ reason: expect.stringMatching(/must be "v0="/) });
    expect(v(good.slice(0, -1), ts)).toMatchObject({ reason: expect.stringMatching(/64 lowercase hex/) });
  });

  test('the replay store forgets signatures older than the window and keeps at most its bound', () => {
    const r = new ReplayStore(3);
    expect(r.claim('a', NOW)).toBe(true);
    expect(r.claim('a', NOW + 100)).toBe(false);
    expect(r.claim('a', NOW + 601)).toBe(true); // past twice the window: forgotten, and a timestamp that old is stale anyway
    for (const s of ['b', 'c', 'd', 'e']) r.claim(s, NOW + 602);
    expect(r.size).toBe(3);
  });
});

describe('verifyPagerDutySignature', () => {
  const body = '{"event":{"id":"01ABC","event_type":"incident.acknowledged"}}';
  const good = 'v1=' + createHmac('sha256', SECRET).update(body).digest('hex');

  test('one matching signature among several accepts (a secret being rotated)', () => {
    expect(pagerDutySignature(body, SECRET)).toBe(good);
    expect(verifyPagerDutySignature(body, good, SECRET)).toEqual({ ok: true });
    expect(verifyPagerDutySignature(body, pagerDutySignature(body, 'old-secret', SECRET), SECRET)).toEqual({ ok: true });
    expect(verifyPagerDutySignature(body, `v2=abc, ${good}`, SECRET)).toEqual({ ok: true });
  });

  test('forged, missing or malformed signatures are refused with the reason', () => {
    expect(verifyPagerDutySignature(body, pagerDutySignature(body, 'other'), SECRET)).toEqual({
      ok: false,
      reason: 'no signature in X-PagerDuty-Signature matches the body',
    });
    expect(verifyPagerDutySignature(body + ' ', good, SECRET).ok).toBe(false);
    expect(verifyPagerDutySignature(body, undefined, SECRET)).toEqual({ ok: false, reason: 'missing X-PagerDuty-Signature header' });
    expect(verifyPagerDutySignature(body, 'sha256=abc', SECRET)).toMatchObject({ reason: expect.stringMatching(/no "v1="/) });
    expect(verifyPagerDutySignature(body, good, '')).toMatchObject({ reason: expect.stringMatching(/no PagerDuty webhook secret/) });
  });
});

describe('parsePagerDutyEvent', () => {
  const event = (over: Record<string, unknown> = {}, data: Record<string, unknown> = {}) =>
    JSON.stringify({
      event: {
        id: '01DEN1HNLCQ4IHDC8ORX0T5NJY',
        event_type: 'incident.acknowledged',
        resource_type: 'incident',
        occurred_at: '2026-12-05T10:00:00Z',
        agent: { id: 'PXPGF42', type: 'user_reference', summary: 'Ada' },
        data: { id: 'Q1ABC', type: 'incident', incident_key: 'symphony-v1.2/incident-3', ...data },
        ...over,
      },
    });

  test('acknowledged and resolved name the watch and incident by the dedup key release-watch sent', () => {
    expect(parsePagerDutyEvent(event())).toEqual({
      kind: 'answer',
      action: 'ack',
      watchId: 'symphony-v1.2',
      incidentId: 'symphony-v1.2/incident-3',
      seq: 3,
      agent: 'PXPGF42',
      eventId: '01DEN1HNLCQ4IHDC8ORX0T5NJY',
    });
    expect(parsePagerDutyEvent(event({ event_type: 'incident.resolved' }))).toMatchObject({ kind: 'answer', action: 'resolve' });
    expect(incidentOfDedupKey('a/b/incident-12')).toEqual({ watchId: 'a/b', incidentId: 'a/b/incident-12', seq: 12 });
  });

  test('other event types and foreign incidents are ignored; malformed bodies are invalid', () => {
    expect(parsePagerDutyEvent(event({ event_type: 'incident.triggered' }))).toMatchObject({ kind: 'ignore' });
    expect(parsePagerDutyEvent(event({}, { incident_key: 'someone-else-42' }))).toMatchObject({ kind: 'ignore' });
    expect(parsePagerDutyEvent('not json')).toEqual({ kind: 'invalid', reason: 'body is not JSON' });
    expect(parsePagerDutyEvent('{"messages":[]}')).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/not a v3 webhook/) });
    expect(parsePagerDutyEvent(event({ agent: null }))).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/agent\.id/) });
    expect(parsePagerDutyEvent(event({}, { incident_key: 7 }))).toMatchObject({
      kind: 'invalid',
      reason: expect.stringMatching(/incident_key/),
    });
  });
});

describe('parseInteraction', () => {
  const form = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const click = (value: string, over: Record<string, unknown> = {}) =>
    form({
      type: 'block_actions',
      user: { id: 'U024BE7LH', username: 'ada' },
      response_url: 'https://hooks.slack.com/actions/T1/2/xyz',
      actions: [{ action_id: 'rw', type: 'button', value }],
      ...over,
    });

  test('every kind of button round-trips through its value', () => {
    const actions: SlackAction[] = [
      { kind: 'ack', watchId: 'symphony-v1.2', incident: 3 },
      { kind: 'resolve', watchId: 'symphony-v1.2', incident: 3 },
      { kind: 'decide', watchId: 'symphony-v1.2', checkpoint: 'h24', decision: 'go' },
      { kind: 'approve', watchId: 'symphony-v1.2', request: 2 },
    ];
    for (const action of actions)
      expect(parseInteraction(click(buttonValue(action)))).toEqual({
        ok: true,
        interaction: { user: 'U024BE7LH', responseUrl: 'https://hooks.slack.com/actions/T1/2/xyz', action },
      });
  });

  test('malformed payloads are refused with the reason', () => {
    const ack = buttonValue({ kind: 'ack', watchId: 'w', incident: 1 });
    expect(parseInteraction('nothing=1')).toEqual({ ok: false, reason: 'body has no payload= field' });
    expect(parseInteraction('payload=%7B')).toEqual({ ok: false, reason: 'payload is not JSON' });
    expect(parseInteraction(click(ack, { type: 'view_closed' }))).toMatchObject({
      reason: 'payload type "view_closed" is not block_actions or view_submission',
    });
    expect(parseInteraction(click(ack, { type: 'view_submission' }))).toMatchObject({ reason: 'payload has no view' });
    expect(parseInteraction(click(ack, { user: {} }))).toMatchObject({ reason: 'payload has no user.id' });
    expect(parseInteraction(click(ack, { response_url: 'file:///etc/passwd' }))).toMatchObject({ reason: expect.stringMatching(/http/) });
    expect(parseInteraction(click('{"kind":"ack","watchId":"w"}'))).toMatchObject({ reason: expect.stringMatching(/no incident number/) });
    expect(parseInteraction(click('{"kind":"rollback","watchId":"w"}'))).toMatchObject({
      reason: expect.stringMatching(/unknown button kind/),
    });
    expect(parseInteraction(click('{"kind":"decide","watchId":"w","checkpoint":"h24"}'))).toMatchObject({
      reason: 'the decide button names no decision',
    });
  });
});

describe('people.<id>.slack / pagerduty', () => {
  test('the plan schema takes account IDs and refuses others; personOf maps an account to the roster', () => {
    const people = { ada: { name: 'Ada', slack: 'U024BE7LH', pagerduty: 'PXPGF42' }, bob: { name: 'Bob' } };
    expect(personOf(people, 'slack', 'U024BE7LH')).toBe('ada');
    expect(personOf(people, 'pagerduty', 'PXPGF42')).toBe('ada');
    expect(personOf(people, 'slack', 'U999')).toBeUndefined();
    const person = Person;
    expect(person.safeParse({ name: 'Ada', slack: 'U024BE7LH', pagerduty: 'PXPGF42' }).success).toBe(true);
    expect(person.safeParse({ name: 'Ada', slack: '@ada' }).success).toBe(false);
    expect(person.safeParse({ name: 'Ada', pagerduty: 'ada@example.com' }).success).toBe(false);
  });
});

describe('slackMessage: Block Kit with the buttons that answer it', () => {
  const base = {
    eventId: 'e1',
    watchId: 'symphony-v1.2',
    kind: 'x',
    severity: 'critical' as const,
    title: 'T',
    text: 'body',
    at: '2026-12-05T10:00:00Z',
  };
  const buttons = (n: Parameters<typeof slackMessage>[0]) => {
    const m = slackMessage(n);
    const actions = m.blocks.find((b) => b.type === 'actions') as
      { elements: Array<{ value: string; text: { text: string } }> } | undefined;
    return (actions?.elements ?? []).map((e) => ({ label: e.text.text, value: parseButtonValue(e.value) }));
  };

  test('a new incident: acknowledge and resolve, naming the incident by its number', () => {
    expect(buttons({ ...base, incident: { id: 'symphony-v1.2/incident-4', action: 'trigger' } })).toEqual([
      { label: 'Acknowledge', value: { kind: 'ack', watchId: 'symphony-v1.2', incident: 4 } },
      { label: 'Resolve', value: { kind: 'resolve', watchId: 'symphony-v1.2', incident: 4 } },
    ]);
    expect(buttons({ ...base, incident: { id: 'symphony-v1.2/incident-4', action: 'resolve' } })).toEqual([]);
  });

  test('a checkpoint: one button per allowed decision; a lever request: approve; anything else: none', () => {
    const command = 'release-watch decide symphony-v1.2 --checkpoint 12h --decision <continue|escalate|rollback> --by <person>';
    expect(buttons({ ...base, command }).map((b) => b.value)).toEqual(
      ['continue', 'escalate', 'rollback'].map((decision) => ({ kind: 'decide', watchId: 'symphony-v1.2', checkpoint: '12h', decision })),
    );
    expect(buttons({ ...base, command: 'release-watch approve symphony-v1.2 2 --by <approver>' })).toEqual([
      { label: 'Approve', value: { kind: 'approve', watchId: 'symphony-v1.2', request: 2 } },
    ]);
    expect(buttons({ ...base, command: 'release-watch decide other-watch --checkpoint 12h --decision <go> --by <p>' })).toEqual([]);
    const plain = slackMessage(base);
    expect(plain.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: plain.text } }]);
  });
  test('mentions ping by the Slack ID the plan gives a person; others are named as text', () => {
    const n = { ...base, to: ['duty-engineer', 'rag-owner', 'constructor'], slackIds: { 'duty-engineer': 'U0DUTY1' } };
    expect(slackMessage(n).text).toContain('For: <@U0DUTY1> @rag-owner @constructor');
  });
});

describe('addressed: the Slack IDs of the people a notice is for travel with it', () => {
  test('only those addressed who have one', () => {
    const notice = { key: 'k', kind: 'incident-page' as const, severity: 'critical' as const, title: 'T', text: 'x', to: ['a', 'b'] };
    const people = { a: { slack: 'U0A' }, b: {}, c: { slack: 'U0C' } };
    expect(addressed(notice, 'w', 'w', 0, people).slackIds).toEqual({ a: 'U0A' });
    expect(addressed({ ...notice, to: ['b'] }, 'w', 'w', 0, people)).not.toHaveProperty('slackIds');
  });
});

describe('forPagerDuty: what PagerDuty itself did is not echoed back to it', () => {
  const n = { eventId: 'e', watchId: 'w', kind: 'incident-ack', severity: 'info' as const, title: 'T', text: '', at: '' };
  test.each([
    ['acknowledge', undefined, true],
    ['acknowledge', 'slack', true],
    ['acknowledge', 'pagerduty', false],
    ['resolve', 'pagerduty', false],
    ['trigger', undefined, true],
  ] as const)('%s via %s: sent %s', (action, via, sent) => {
    expect(forPagerDuty({ ...n, incident: { id: 'w/incident-1', action, ...(via ? { via } : {}) } })).toBe(sent);
  });
});

describe('relayed: how serve sends a verified answer', () => {
  const relay = generateKeyPair();
  const key = Buffer.from(relay.secretKey, 'hex');
  const base = { ...symphonyPlan(), signedApprovals: true };
  const trusting = { ...base, relays: { slack: { publicKey: relay.publicKey, people: ['duty-engineer'] } } };
  const ack = { incident: '1', by: 'duty-engineer' };

  test('an unsigned plan: marked with its channel, not signed', () => {
    expect(relayed({ ...base, signedApprovals: false }, 'slack', 'w1', 'ack', ack, undefined)).toEqual({
      ok: true,
      request: { ...ack, via: 'slack' },
    });
  });

  test("a signed plan: signed by the relay, which the plan's own check accepts", () => {
    const out = relayed(trusting, 'slack', 'w1', 'ack', ack, key);
    expect(out.ok).toBe(true);
    const request = (out as { request: Ack }).request;
    expect(request.signature).toMatchObject({ relay: 'slack', nonce: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(signatureError(trusting, [], 'w1', 'ack', request)).toBeUndefined();
    expect(signatureError(trusting, [], 'w2', 'ack', request)).toMatch(/^signature does not verify with relay slack/);
  });

  test('refused with the reason, and nothing signed, when the relay cannot answer', () => {
    const refused = (plan: Plan, channel: 'slack' | 'pagerduty', k: Uint8Array | undefined, by = 'duty-engineer') =>
      relayed(plan, channel, 'w1', 'ack', { ...ack, by }, k);
    expect(refused(base, 'slack', key)).toEqual({
      ok: false,
      refused:
        'w1 requires signed answers and its plan trusts no slack relay (relays.slack); answer with the CLI or the console with your key',
    });
    expect(refused(trusting, 'pagerduty', key)).toMatchObject({ refused: expect.stringMatching(/trusts no pagerduty relay/) });
    expect(refused(trusting, 'slack', undefined)).toEqual({
      ok: false,
      refused: 'w1 requires signed answers and this serve has no relay key (RELEASE_WATCH_RELAY_KEY_FILE)',
    });
    expect(refused(trusting, 'slack', Buffer.from(generateKeyPair().secretKey, 'hex'))).toEqual({
      ok: false,
      refused: "this serve's relay key is not the one w1's plan trusts for slack (relays.slack.publicKey)",
    });
    expect(refused(trusting, 'slack', key, 'release-captain')).toEqual({
      ok: false,
      refused: "w1's slack relay may not answer for release-captain; answer with the CLI or the console with your key",
    });
  });

  test('the key file comes from the environment; a bad one is an error naming it', () => {
    expect(relayKeyFromEnv({})).toBeUndefined();
    expect(() => relayKeyFromEnv({ RELEASE_WATCH_RELAY_KEY_FILE: '/nonexistent/relay.key' })).toThrow(
      /cannot read key file \/nonexistent\/relay.key/,
    );
  });
});
