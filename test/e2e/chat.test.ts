// Answers from Slack and PagerDuty end to end: `serve`'s chat routes on a real HTTP port, requests signed
// exactly as Slack and PagerDuty sign them, a real watch on the time-skipping server, and a stand-in for
// Slack's response_url that records what the message became.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { watchPlanReader } from '../../client/chat/plan-of';
import { pagerDutySignature } from '../../client/chat/pagerduty-verify';
import { buttonValue, type SlackAction } from '../../client/chat/slack-interaction';
import { slackSignature } from '../../client/chat/slack-verify';
import { generateKeyPair, signRequest } from '../../client/keys';
import { createServeServer, listen, stop } from '../../client/serve';
import { acknowledge, emergency, refusal, watchStatusOf } from '../../client/watches';
import type { Ack } from '../../core/incidents';
import { forPagerDuty } from '../../sinks/pagerduty';
import { incidentAckUpdate, incidentQuery } from '../../workflows/definitions';
import type { Plan } from '../../plan/schema';
import { symphonyPlan } from '../helpers/plans';
import { until } from '../helpers/poll';
import { timeSkippingEnv, workflowBundle } from '../helpers/servers';
import { Scripted, stubbedWatch } from '../helpers/stubs';

const HOUR = 3_600_000;
const SLACK_SECRET = 'slack-signing-secret-for-tests';
const PD_SECRET = 'pagerduty-webhook-secret-for-tests';
const SLACK = { 'duty-engineer': 'U0DUTY1', 'release-captain': 'U0CAPT1', 'rag-owner': 'U0RAG01' } as Record<string, string>;
const PD = { 'duty-engineer': 'PDUTY01', 'release-captain': 'PCAPT01' } as Record<string, string>;
/** serve's relay key: it signs verified answers for plans that require signed answers. */
const RELAY = generateKeyPair();

let env: TestWorkflowEnvironment;
let plan: Plan;
let server: Server;
let base: string;
let slackStandIn: Server;
let responseUrl: string;
const responses: Record<string, unknown>[] = [];
const opened: Array<Record<string, unknown> & { auth?: string; trigger_id?: string; view?: Record<string, unknown> }> = [];
const BOT_TOKEN = 'xoxb-test-bot-token';
const logged: Record<string, unknown>[] = [];

beforeAll(async () => {
  env = await timeSkippingEnv();
  await workflowBundle();
  const symphony = symphonyPlan();
  // Unsigned answers here; the plan with signed approvals (and relays) is the test's own, below.
  const people = Object.fromEntries(
    Object.entries(symphony.people).map(([id, p]) => [
      id,
      { ...p, ...(SLACK[id] ? { slack: SLACK[id] } : {}), ...(PD[id] ? { pagerduty: PD[id] } : {}) },
    ]),
  );
  plan = { ...symphony, signedApprovals: false, people };
  // Slack's side: the response_url of each click, and the Web API's views.open (which the bot token opens forms with).
  slackStandIn = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
      if (req.url === '/api/views.open') {
        opened.push({ auth: req.headers.authorization, ...body });
        res.setHeader('Content-Type', 'application/json');
        return res.end(
          JSON.stringify(body.trigger_id === 'expired' ? { ok: false, error: 'expired_trigger_id' } : { ok: true, view: { id: 'V1' } }),
        );
      }
      responses.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => slackStandIn.listen(0, '127.0.0.1', r));
  responseUrl = `http://127.0.0.1:${(slackStandIn.address() as AddressInfo).port}/actions/T1/1/x`;
  server = createServeServer({
    backend: {
      start: () => Promise.reject(new Error('no starts here')),
      health: async () => ({ reachable: true }),
      link: (id) => id,
    },
    plansDir: '/nonexistent',
    log: (e) => logged.push(e),
    chat: {
      client: env.client,
      planOf: watchPlanReader(env.client),
      slackSigningSecret: SLACK_SECRET,
      pagerDutySecret: PD_SECRET,
      relayKey: Buffer.from(RELAY.secretKey, 'hex'),
      slackBotToken: BOT_TOKEN,
      slackApiUrl: `http://127.0.0.1:${(slackStandIn.address() as AddressInfo).port}/api`,
    },
  });
  const address = await listen(server, 0, '127.0.0.1');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  if (server) await stop(server);
  await new Promise((r) => slackStandIn?.close(r));
  await env?.teardown();
});

const withWatch: ReturnType<typeof stubbedWatch> = (opts, body) => stubbedWatch(env, plan)(opts, body);
const failing =
  (check: string, hour: number) =>
  (c: string, h: number): Scripted =>
    c === check && h >= hour ? { outcome: 'fail', severity: 'critical' } : 'ok';

/** Clicks a button as Slack would post it: form-encoded payload, signed with the signing secret at `ts`. */
async function click(user: string, action: SlackAction, ts = Math.floor(Date.now() / 1000), triggerId?: string) {
  return post(
    {
      type: 'block_actions',
      user: { id: user },
      response_url: responseUrl,
      ...(triggerId ? { trigger_id: triggerId } : {}),
      actions: [{ action_id: `rw-${action.kind}`, type: 'button', value: buttonValue(action) }],
    },
    ts,
  );
}

/** Posts an interaction payload as Slack does: form-encoded, signed with the signing secret at `ts`. */
async function post(payload: Record<string, unknown>, ts = Math.floor(Date.now() / 1000)) {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const before = responses.length;
  const res = await fetch(`${base}/slack/interactions`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': String(ts),
      'X-Slack-Signature': slackSignature(SLACK_SECRET, ts, body),
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, json: (text ? JSON.parse(text) : undefined) as Record<string, unknown>, response: responses[before] };
}

/** A PagerDuty v3 webhook for the incident release-watch paged with `dedupKey`, signed with `secret`. */
async function webhook(type: string, dedupKey: string, agent: string, secret = PD_SECRET) {
  const body = JSON.stringify({
    event: {
      id: `01EVT${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
      event_type: type,
      resource_type: 'incident',
      occurred_at: new Date().toISOString(),
      agent: { id: agent, type: 'user_reference' },
      data: { id: 'Q0INC01', type: 'incident', incident_key: dedupKey, status: 'acknowledged' },
    },
  });
  const res = await fetch(`${base}/pagerduty/webhook`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-PagerDuty-Signature': pagerDutySignature(body, secret) },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** The watch's view of its first incident once it is in `state` (the incident tells its watch after it takes an answer). */
const incidentIn = (id: string, state: string) =>
  until(async () => (await watchStatusOf(env.client, id)).incidents.find((i) => i.state === state), `incident 1 to be ${state}`, 30_000);

async function openIncident(id: string) {
  await env.sleep(1 * HOUR + 60_000);
  return until(async () => (await watchStatusOf(env.client, id)).incidents[0], 'an incident to open', 30_000);
}

test('Slack: acknowledge then resolve an incident; the message is replaced in place; a stranger gets the reason', async () => {
  await withWatch({ outcome: failing('fast-pulse', 1) }, async (id) => {
    await openIncident(id);
    const stranger = await click('U0NOBODY', { kind: 'ack', watchId: id, incident: 1 });
    expect(stranger.status).toBe(200);
    expect(stranger.response).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: expect.stringMatching(/not on the roster/),
    });

    const at = Math.floor(Date.now() / 1000);
    const ack = await click(SLACK['duty-engineer'], { kind: 'ack', watchId: id, incident: 1 }, at);
    expect(ack.json).toEqual({ ok: true });
    expect(ack.response).toEqual({ replace_original: true, text: `Incident 1 of ${id} acknowledged by <@U0DUTY1> (duty-engineer)` });
    expect(await incidentIn(id, 'acknowledged')).toMatchObject({ state: 'acknowledged', holder: 'duty-engineer' });

    // A second click on the same button: another timestamp, so another signature (the same one would be a replay).
    const again = await click(SLACK['duty-engineer'], { kind: 'ack', watchId: id, incident: 1 }, at - 1);
    expect(again.response).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/already acknowledged by duty-engineer/),
    });

    const resolve = await click(SLACK['duty-engineer'], { kind: 'resolve', watchId: id, incident: 1 });
    expect(resolve.response).toMatchObject({ replace_original: true, text: expect.stringMatching(/resolved by <@U0DUTY1>/) });
    expect(await incidentIn(id, 'resolved')).toMatchObject({ state: 'resolved' });
  });
});

test('Slack: Resolve opens a form; its submission resolves with what was written and replaces the message', async () => {
  await withWatch({ outcome: failing('fast-pulse', 1) }, async (id) => {
    const incident = await openIncident(id);
    const resolve: SlackAction = { kind: 'resolve', watchId: id, incident: 1 };
    // Someone not on the roster gets the reason, not a form.
    const stranger = await click('U0NOBODY', resolve, undefined, 'trigger-0');
    expect(stranger.response).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/not on the roster/) });
    expect(opened).toHaveLength(0);
    // Slack refuses to open it (the trigger lives 3 s): the clicker is told, nothing changes.
    const late = await click(SLACK['duty-engineer'], resolve, undefined, 'expired');
    expect(late.response).toMatchObject({
      response_type: 'ephemeral',
      text: 'could not open the resolve form (expired_trigger_id); resolve with `release-watch resolve`',
    });

    const clicked = await click(SLACK['duty-engineer'], resolve, undefined, 'trigger-1');
    expect(clicked.json).toEqual({ ok: true, form: 'opened' });
    expect(clicked.response).toBeUndefined();
    const form = opened.at(-1)!;
    expect(form).toMatchObject({
      auth: `Bearer ${BOT_TOKEN}`,
      trigger_id: 'trigger-1',
      view: { type: 'modal', callback_id: 'rw-resolve' },
    });
    expect((await watchStatusOf(env.client, id)).incidents[0].state).toBe('open');

    // What Slack posts when the form is submitted: the view back, with what was typed into it.
    const typed = { root_cause: 'a cache key without the tenant', resolution: 'keyed the cache by tenant', follow_up: 'a test per tenant' };
    const submission = {
      type: 'view_submission',
      user: { id: SLACK['duty-engineer'] },
      view: {
        ...form.view,
        state: { values: Object.fromEntries(Object.entries(typed).map(([k, v]) => [k, { [k]: { type: 'plain_text_input', value: v } }])) },
      },
    };
    const sentAt = Math.floor(Date.now() / 1000);
    const submitted = await post(submission, sentAt);
    expect(submitted).toMatchObject({ status: 200, text: '' });
    expect(submitted.response).toEqual({
      replace_original: true,
      text: `Incident 1 of ${id} resolved by <@U0DUTY1> (duty-engineer)\nRoot cause: a cache key without the tenant`,
    });
    await incidentIn(id, 'resolved');
    expect(await env.client.workflow.getHandle(incident.id).query(incidentQuery)).toMatchObject({
      resolvedBy: 'duty-engineer',
      resolvedVia: 'slack',
      rootCause: typed.root_cause,
      resolution: typed.resolution,
      followUp: typed.follow_up,
    });
    // Submitted again (another timestamp, so another signature: "now - 1" could be the first one's second
    // again once a second has passed): the incident's refusal, shown in the form.
    const again = await post(submission, sentAt - 1);
    expect(again.json).toEqual({ response_action: 'errors', errors: { root_cause: `${id} refused: incident 1 is already resolved` } });
  });
});

test('Slack: a decider decides a checkpoint; someone not allowed gets the watch refusal', async () => {
  await withWatch({}, async (id) => {
    await env.sleep(12 * HOUR + 60_000);
    await until(
      async () => (await watchStatusOf(env.client, id)).checkpoints.find((c) => c.name === '12h' && c.state === 'pending'),
      'checkpoint 12h to open',
      30_000,
    );
    const notAllowed = await click(SLACK['rag-owner'], { kind: 'decide', watchId: id, checkpoint: '12h', decision: 'continue' });
    expect(notAllowed.response).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(new RegExp(`^${id} refused: .*rag-owner`)),
    });
    const decided = await click(SLACK['release-captain'], { kind: 'decide', watchId: id, checkpoint: '12h', decision: 'continue' });
    expect(decided.response).toEqual({ replace_original: true, text: `Checkpoint 12h of ${id}: continue by <@U0CAPT1> (release-captain)` });
    expect((await watchStatusOf(env.client, id)).checkpoints.find((c) => c.name === '12h')).toMatchObject({ decision: 'continue' });
  });
});

test('Slack: forged, stale and replayed clicks are refused before anything is applied', async () => {
  const action: SlackAction = { kind: 'ack', watchId: 'symphony-v0', incident: 1 };
  const body = new URLSearchParams({
    payload: JSON.stringify({
      type: 'block_actions',
      user: { id: 'U0DUTY1' },
      response_url: responseUrl,
      actions: [{ value: buttonValue(action) }],
    }),
  }).toString();
  const post = (ts: number, sig: string) =>
    fetch(`${base}/slack/interactions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': sig },
      body,
    });
  const now = Math.floor(Date.now() / 1000);
  const before = responses.length;
  expect((await post(now, slackSignature('forged', now, body))).status).toBe(401);
  expect((await post(now - 600, slackSignature(SLACK_SECRET, now - 600, body))).status).toBe(401);
  const sig = slackSignature(SLACK_SECRET, now, body);
  expect((await post(now, sig)).status).toBe(200); // no such watch: an ephemeral answer
  expect((await post(now, sig)).status).toBe(409);
  expect(responses.length).toBe(before + 1);
  expect(responses[before]).toMatchObject({
    response_type: 'ephemeral',
    text: 'no running watch "symphony-v0" (it has ended, or never started)',
  });
});

test('PagerDuty: acknowledged and resolved reach the incident by its dedup key, idempotent; forged and unmapped are refused and logged', async () => {
  await withWatch({ outcome: failing('fast-pulse', 1) }, async (id) => {
    const incident = await openIncident(id);
    const key = incident.id; // the dedup key sinks/pagerduty.ts sends
    expect((await webhook('incident.acknowledged', key, PD['duty-engineer'], 'forged-secret')).status).toBe(401);
    const unmapped = await webhook('incident.acknowledged', key, 'PNOBODY1');
    expect(unmapped).toEqual({ status: 403, json: { error: `PagerDuty user PNOBODY1 is not on the roster of ${id}` } });
    expect(logged).toContainEqual(expect.objectContaining({ path: '/pagerduty/webhook', status: 403, watch: id, agent: 'PNOBODY1' }));

    expect(await webhook('incident.acknowledged', key, PD['duty-engineer'])).toEqual({
      status: 200,
      json: { applied: true, by: 'duty-engineer' },
    });
    expect(await incidentIn(id, 'acknowledged')).toMatchObject({ state: 'acknowledged', holder: 'duty-engineer' });
    const redelivered = await webhook('incident.acknowledged', key, PD['duty-engineer']);
    expect(redelivered).toMatchObject({ status: 200, json: { applied: false } });

    expect(await webhook('incident.resolved', key, PD['release-captain'])).toEqual({
      status: 200,
      json: { applied: true, by: 'release-captain' },
    });
    expect(await incidentIn(id, 'resolved')).toMatchObject({ state: 'resolved' });
    expect(await webhook('incident.resolved', key, PD['release-captain'])).toMatchObject({ status: 200, json: { applied: false } });
    expect(await webhook('incident.triggered', key, PD['release-captain'])).toMatchObject({ status: 202 });
  });
});

test("signed approvals: serve signs verified Slack and PagerDuty answers as the plan's relay; the watch refuses any other", async () => {
  const signed: Plan = {
    ...plan,
    signedApprovals: true,
    relays: {
      slack: { publicKey: RELAY.publicKey, people: ['duty-engineer', 'release-captain'] },
      pagerduty: { publicKey: RELAY.publicKey, people: ['duty-engineer'] },
    },
  };
  const stub = await stubbedWatch(env, signed)({ outcome: failing('fast-pulse', 1) }, async (id) => {
    const incident = await openIncident(id);
    const ack: Ack = { incident: '1', by: 'duty-engineer', via: 'pagerduty' };
    // Not through serve: unsigned, or signed by some other key claiming to be the relay.
    // (Straight to the incident: the CLI's helper would sign with the person's own key from the test keyring.)
    const direct = await env.client.workflow
      .getHandle(incident.id)
      .executeUpdate(incidentAckUpdate, { args: [ack] })
      .then(() => undefined, refusal);
    expect((direct as Error).message).toBe(
      'this plan requires signed approvals: sign as duty-engineer with --key (make one with `release-watch keygen`)',
    );
    const impostor = signRequest(id, 'ack', ack, Buffer.from(generateKeyPair().secretKey, 'hex'));
    await expect(acknowledge(env.client, id, { ...impostor, signature: { ...impostor.signature!, relay: 'pagerduty' } })).rejects.toThrow(
      "signature does not verify with relay pagerduty's public key",
    );
    // The relay's own signature, but saying it came from elsewhere.
    const relayKey = Buffer.from(RELAY.secretKey, 'hex');
    const claimed = signRequest(id, 'ack', { ...ack, via: 'slack' }, relayKey);
    await expect(acknowledge(env.client, id, { ...claimed, signature: { ...claimed.signature!, relay: 'pagerduty' } })).rejects.toThrow(
      'an answer signed by relay pagerduty must say via: pagerduty',
    );
    // Someone the relay does not answer for: serve refuses before sending.
    const rag = await click(SLACK['rag-owner'], { kind: 'ack', watchId: id, incident: 1 });
    expect(rag.response).toMatchObject({
      response_type: 'ephemeral',
      text: `${id}'s slack relay may not answer for rag-owner; answer with the CLI or the console with your key`,
    });
    expect(await webhook('incident.acknowledged', incident.id, PD['release-captain'])).toMatchObject({
      status: 403,
      json: { error: `${id}'s pagerduty relay may not answer for release-captain; answer with the CLI or the console with your key` },
    });
    expect((await watchStatusOf(env.client, id)).incidents[0].state).toBe('open');

    expect(await webhook('incident.acknowledged', incident.id, PD['duty-engineer'])).toEqual({
      status: 200,
      json: { applied: true, by: 'duty-engineer' },
    });
    await incidentIn(id, 'acknowledged');
    const resolve = await click(SLACK['release-captain'], { kind: 'resolve', watchId: id, incident: 1 });
    expect(resolve.response).toMatchObject({ replace_original: true, text: expect.stringMatching(/resolved by <@U0CAPT1>/) });
    await incidentIn(id, 'resolved');
    const rec = await env.client.workflow.getHandle(incident.id).query(incidentQuery);
    expect(rec).toMatchObject({ ackedBy: 'duty-engineer', ackedVia: 'pagerduty', resolvedBy: 'release-captain', resolvedVia: 'slack' });
    expect(rec.nonces).toHaveLength(2);

    // A checkpoint decided from Slack: the watch's own validator takes the relay's signature too.
    await env.sleep(11 * HOUR);
    await until(
      async () => (await watchStatusOf(env.client, id)).checkpoints.find((c) => c.name === '12h' && c.state === 'pending'),
      'checkpoint 12h to open',
      30_000,
    );
    const decided = await click(SLACK['release-captain'], { kind: 'decide', watchId: id, checkpoint: '12h', decision: 'continue' });
    expect(decided.response).toMatchObject({ replace_original: true });
    expect((await watchStatusOf(env.client, id)).checkpoints.find((c) => c.name === '12h')).toMatchObject({
      decision: 'continue',
      by: 'release-captain',
    });
  });
  // What PagerDuty itself acknowledged is not sent back to it; the Slack resolution is.
  const ackNote = stub.notifications.find((n) => n.kind === 'incident-ack');
  expect(ackNote).toMatchObject({
    title: 'Incident 1 acknowledged by duty-engineer via PagerDuty',
    incident: { action: 'acknowledge', via: 'pagerduty' },
  });
  expect(forPagerDuty(ackNote!)).toBe(false);
  const resolved = stub.notifications.find((n) => n.kind === 'incident-resolve');
  expect(resolved).toMatchObject({ incident: { action: 'resolve', via: 'slack' } });
  expect(forPagerDuty(resolved!)).toBe(true);
  // Pages name the on-call by the Slack ID the plan gives them.
  expect(stub.notifications.find((n) => n.kind === 'incident-page')).toMatchObject({ slackIds: { 'duty-engineer': 'U0DUTY1' } });
});

// Last: the approved lever keeps the watch busy on the time-skipping server, so no test sleeps after it.
test('Slack: an approver approves a lever request; someone not an approver gets the watch refusal', async () => {
  await withWatch({}, async (id) => {
    await env.sleep(60_000);
    const req = await emergency(env.client, id, { lever: 'kill-switch', by: 'duty-engineer', reason: 'suspicious traffic' });
    expect(req.state).toBe('awaiting-approval');
    const notApprover = await click(SLACK['rag-owner'], { kind: 'approve', watchId: id, request: req.seq });
    expect(notApprover.response).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(new RegExp(`^${id} refused: `)) });
    const approved = await click(SLACK['release-captain'], { kind: 'approve', watchId: id, request: req.seq });
    expect(approved.response).toEqual({
      replace_original: true,
      text: `Lever request ${req.seq} of ${id} approved by <@U0CAPT1> (release-captain)`,
    });
    const lever = await until(
      async () => (await watchStatusOf(env.client, id)).levers.find((l) => l.seq === req.seq && l.approvedBy),
      'the lever request to be approved',
      30_000,
    );
    expect(lever).toMatchObject({ approvedBy: 'release-captain' });
  });
});
