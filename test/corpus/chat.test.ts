// The bad-chat-input corpus: every case of test/corpus/chat.json through serve's real chat routes, with a
// plan reader and an answer sender that records. Nothing in the corpus may send an answer.
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { pagerDutySignature } from '../../client/chat/pagerduty-verify';
import { slackSignature } from '../../client/chat/slack-verify';
import { createServeServer, listen, stop } from '../../client/serve';
import type { Plan } from '../../plan/schema';
import { symphonyPlan } from '../helpers/plans';
import corpus from './chat.json';

const SLACK_SECRET = 'corpus-slack-secret';
const PD_SECRET = 'corpus-pd-secret';
const WATCH = 'symphony-v1';
let server: Server;
let base: string;
const sent: unknown[] = [];

beforeAll(async () => {
  const symphony = symphonyPlan();
  const plan: Plan = {
    ...symphony,
    signedApprovals: false,
    people: { ...symphony.people, 'duty-engineer': { ...symphony.people['duty-engineer'], slack: 'U0DUTY1', pagerduty: 'PDUTY01' } },
  };
  server = createServeServer({
    backend: { start: () => Promise.reject(new Error('no')), health: async () => ({ reachable: true }), link: (id) => id },
    plansDir: '/nonexistent',
    chat: {
      client: {} as Client,
      planOf: async (id) => (id === WATCH ? plan : undefined),
      send: async (...args) => {
        sent.push(args.slice(1));
      },
      slackSigningSecret: SLACK_SECRET,
      pagerDutySecret: PD_SECRET,
    },
  });
  base = `http://127.0.0.1:${(await listen(server, 0, '127.0.0.1')).port}`;
});
afterAll(async () => {
  if (server) await stop(server);
});

interface SlackCase {
  name: string;
  payload?: 'ack' | Record<string, unknown>;
  raw?: string;
  /** A submission of the resolve form instead of a click: overrides of a good one. */
  form?: { callbackId?: string; metadata?: unknown; values?: Record<string, string> };
  user?: string;
  sign?: 'valid' | 'replay' | { secret?: string; age?: number; header?: string };
  status: number;
  error?: string;
  errorMatch?: string;
  ephemeral?: string;
  /** The form's refusal, shown by Slack under its first field. */
  formError?: string;
}

/** A view_submission of the resolve form as Slack posts it, with the case's overrides. */
function formPayload(c: SlackCase): Record<string, unknown> {
  const f = c.form!;
  const values = f.values ?? { root_cause: 'a bad cache key', resolution: 'rolled back the cache change' };
  const metadata = f.metadata ?? { watchId: WATCH, incident: 1 };
  return {
    type: 'view_submission',
    user: { id: c.user ?? 'U0DUTY1' },
    view: {
      callback_id: f.callbackId ?? 'rw-resolve',
      private_metadata: typeof metadata === 'string' ? metadata : JSON.stringify(metadata),
      state: { values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { [k]: { type: 'plain_text_input', value: v } }])) },
    },
  };
}

test.each((corpus.slack as SlackCase[]).map((c) => [c.name, c] as const))('slack: %s', async (_name, c) => {
  const value = c.payload === 'ack' || c.payload === undefined ? { kind: 'ack', watchId: WATCH, incident: 1 } : c.payload;
  // The stand-in response_url is unreachable: an ephemeral refusal is read from the route's own answer.
  const body =
    c.raw ??
    new URLSearchParams({
      payload: JSON.stringify(
        c.form
          ? formPayload(c)
          : {
              type: 'block_actions',
              user: { id: c.user ?? 'U0DUTY1' },
              response_url: 'http://127.0.0.1:9/nowhere',
              actions: [{ value: JSON.stringify(value) }],
            },
      ),
    }).toString();
  const s = c.sign ?? 'valid';
  const ts = Math.floor(Date.now() / 1000) - (typeof s === 'object' && s.age !== undefined ? s.age : 0);
  const signature =
    typeof s === 'object' && s.header !== undefined
      ? s.header
      : slackSignature(typeof s === 'object' && s.secret ? s.secret : SLACK_SECRET, ts, body);
  const post = () =>
    fetch(`${base}/slack/interactions`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Slack-Request-Timestamp': String(ts),
        'X-Slack-Signature': signature,
      },
      body,
    });
  // A replay's first delivery is genuine and sends; the second must not.
  if (s === 'replay') await post();
  const before = sent.length;
  const res = await post();
  const json = (await res.json()) as { error?: string; refused?: string; response_action?: string; errors?: Record<string, string> };
  expect(res.status).toBe(c.status);
  if (c.formError) expect(json).toEqual({ response_action: 'errors', errors: { root_cause: expect.stringMatching(c.formError) } });
  if (c.error) expect(json.error).toBe(c.error);
  if (c.errorMatch) expect(json.error).toMatch(new RegExp(c.errorMatch));
  if (c.ephemeral) expect(json.refused).toMatch(c.ephemeral);
  expect(sent.length).toBe(before);
});

interface PagerDutyCase {
  name: string;
  event?: string;
  raw?: string;
  agent?: string | null;
  key?: string;
  sign?: { secret?: string; header?: string };
  status: number;
}

test.each((corpus.pagerduty as PagerDutyCase[]).map((c) => [c.name, c] as const))('pagerduty: %s', async (_name, c) => {
  const body =
    c.raw ??
    JSON.stringify({
      event: {
        id: '01EVT',
        event_type: c.event,
        agent: c.agent === null ? null : { id: c.agent ?? 'PDUTY01', type: 'user_reference' },
        data: { id: 'Q1', type: 'incident', incident_key: c.key ?? `${WATCH}/incident-1` },
      },
    });
  const signature = c.sign?.header ?? pagerDutySignature(body, c.sign?.secret ?? PD_SECRET);
  const before = sent.length;
  const res = await fetch(`${base}/pagerduty/webhook`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-PagerDuty-Signature': signature },
    body,
  });
  expect(res.status).toBe(c.status);
  expect(sent.length).toBe(before);
});

/** Posts `body` to the Slack route, signed now with the right secret. */
function postSigned(body: string): Promise<Response> {
  const ts = Math.floor(Date.now() / 1000);
  return fetch(`${base}/slack/interactions`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': String(ts),
      'X-Slack-Signature': slackSignature(SLACK_SECRET, ts, body),
    },
    body,
  });
}

test('a good click does send (the corpus would show a send)', async () => {
  const body = new URLSearchParams({
    payload: JSON.stringify({
      type: 'block_actions',
      user: { id: 'U0DUTY1' },
      response_url: 'http://127.0.0.1:9/nowhere',
      actions: [{ value: JSON.stringify({ kind: 'ack', watchId: WATCH, incident: 2 }) }],
    }),
  }).toString();
  const res = await postSigned(body);
  expect(res.status).toBe(200);
  expect(sent.at(-1)).toEqual([WATCH, 'ack', { incident: '2', by: 'duty-engineer', via: 'slack' }]);
});

test('a good resolve form does send, and Slack is answered with an empty body (which closes the form)', async () => {
  const body = new URLSearchParams({ payload: JSON.stringify(formPayload({ name: 'good', form: {}, status: 200 })) }).toString();
  const res = await postSigned(body);
  expect(res.status).toBe(200);
  expect(await res.text()).toBe('');
  expect(sent.at(-1)).toEqual([
    WATCH,
    'resolve',
    { incident: '1', by: 'duty-engineer', rootCause: 'a bad cache key', resolution: 'rolled back the cache change', via: 'slack' },
  ]);
});
