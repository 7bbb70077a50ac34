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
import { createServeServer, listen, stop } from '../../client/serve';
import { emergency, watchStatusOf } from '../../client/watches';
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

let env: TestWorkflowEnvironment;
let plan: Plan;
let server: Server;
let base: string;
let slackStandIn: Server;
let responseUrl: string;
const responses: Record<string, unknown>[] = [];
const logged: Record<string, unknown>[] = [];

beforeAll(async () => {
  env = await timeSkippingEnv();
  await workflowBundle();
  const symphony = symphonyPlan();
  // Unsigned answers: the relay that signs for Slack is not built yet (see docs/chat.md).
  const people = Object.fromEntries(
    Object.entries(symphony.people).map(([id, p]) => [
      id,
      { ...p, ...(SLACK[id] ? { slack: SLACK[id] } : {}), ...(PD[id] ? { pagerduty: PD[id] } : {}) },
    ]),
  );
  plan = { ...symphony, signedApprovals: false, people };
  slackStandIn = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      responses.push(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>);
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
    chat: { client: env.client, planOf: watchPlanReader(env.client), slackSigningSecret: SLACK_SECRET, pagerDutySecret: PD_SECRET },
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
async function click(user: string, action: SlackAction, ts = Math.floor(Date.now() / 1000)) {
  const body = new URLSearchParams({
    payload: JSON.stringify({
      type: 'block_actions',
      user: { id: user },
      response_url: responseUrl,
      actions: [{ action_id: `rw-${action.kind}`, type: 'button', value: buttonValue(action) }],
    }),
  }).toString();
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
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, response: responses[before] };
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
