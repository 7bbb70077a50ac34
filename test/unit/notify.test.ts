// The notify activity against a local receiver: payload shapes per sink, dedup keys, what a retried
// attempt does (heartbeat details), and how failures are reported.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createNotify, NotifyRequest, NotifyResult } from '../../activities/notify';
import { sinkName } from '../../sinks';
import { pagerDutyEvent } from '../../sinks/pagerduty';
import { slackMessage } from '../../sinks/slack';

const notify = createNotify(process.env);
import type { Notification } from '../../core/messages';
import type { SinkSpec } from '../../plan/schema';
import { Receiver, startReceiver } from '../helpers/receiver';

const ENV = {
  webhook: 'RW_UNIT_WEBHOOK_URL',
  webhook2: 'RW_UNIT_WEBHOOK2_URL',
  slack: 'RW_UNIT_SLACK_URL',
  pdKey: 'RW_UNIT_PD_ROUTING_KEY',
  pdUrl: 'RW_UNIT_PD_URL',
  unset: 'RW_UNIT_NOT_SET',
};
const ROUTING_KEY = 'unit-routing-key-0123456789';
// The mock environment logs every failed attempt; these tests fail attempts on purpose.
const logger = new DefaultLogger('ERROR');

let rx: Receiver;
let dir: string;
let file: string;
const sinks = (): Record<'file' | 'webhook' | 'slack' | 'pagerduty', SinkSpec> => ({
  file: { kind: 'file', path: file },
  webhook: { kind: 'webhook', urlEnv: ENV.webhook },
  slack: { kind: 'slack', urlEnv: ENV.slack },
  pagerduty: { kind: 'pagerduty', routingKeyEnv: ENV.pdKey, urlEnv: ENV.pdUrl },
});
const all = () => Object.values(sinks());

beforeEach(async () => {
  rx = await startReceiver();
  dir = mkdtempSync(join(tmpdir(), 'rw-notify-'));
  file = join(dir, 'out', 'notifications.jsonl');
  Object.assign(process.env, {
    [ENV.webhook]: `${rx.url}/webhook`,
    [ENV.webhook2]: `${rx.url}/webhook2`,
    [ENV.slack]: `${rx.url}/slack`,
    [ENV.pdKey]: ROUTING_KEY,
    [ENV.pdUrl]: `${rx.url}/pagerduty/`,
  });
  delete process.env[ENV.unset];
});

afterEach(async () => {
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
});

function note(over: Partial<Notification> = {}): Notification {
  return {
    eventId: 'watch-symphony-v1:checkpoint:12h',
    watchId: 'watch-symphony-v1',
    kind: 'checkpoint-open',
    severity: 'warning',
    title: '12h checkpoint: decision needed',
    text: '✔ No critical incident — none\n✘ All hourly checks passed — 1 failed',
    command: 'release-watch decide watch-symphony-v1 --checkpoint 12h --decision <continue|escalate> --by <person>',
    to: ['release-captain'],
    at: '2026-01-01T12:00:00.000Z',
    ...over,
  };
}

const incidentNote = (action: 'trigger' | 'acknowledge' | 'resolve', severity: Notification['severity'] = 'critical'): Notification =>
  note({
    eventId: `watch-symphony-v1/incident-1:${action === 'trigger' ? 'page:1' : action === 'acknowledge' ? 'ack' : 'resolve'}`,
    kind: `incident-${action}`,
    severity,
    title: 'incident 1 · critical · services down: opened',
    text: 'Quick health pulse: ollama operational failed',
    command: action === 'resolve' ? undefined : 'release-watch ack watch-symphony-v1 1 --by <you>',
    to: ['duty-engineer'],
    incident: { id: 'watch-symphony-v1/incident-1', action },
  });

const startNote = () =>
  note({
    eventId: 'watch-symphony-v1:start',
    kind: 'watch-started',
    severity: 'info',
    title: 'Watch started: symphony v1',
    text: 'symphony-orchestra: 48 watch hours',
    command: undefined,
    to: undefined,
  });

/** Runs the activity as attempt `attempt` with `details` as the heartbeat details of the attempt before. */
async function attemptOf(
  req: NotifyRequest,
  attempt: number,
  details?: unknown,
): Promise<{ result?: NotifyResult; error?: Error; beats: unknown[] }> {
  const env = new MockActivityEnvironment({ attempt, heartbeatDetails: details }, { logger });
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  try {
    return { result: await env.run(notify, req), beats };
  } catch (error) {
    return { error: error as Error, beats };
  }
}

const fileLines = () =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Notification);

test('webhook: the notification as JSON with the event id as Idempotency-Key', async () => {
  const n = note();
  const res = await notify({ notification: n, sinks: [sinks().webhook] });
  expect(res).toEqual({ delivered: [`webhook:${ENV.webhook}`], failed: [], unconfigured: [] });
  const [req] = rx.delivered('/webhook');
  expect(req.method).toBe('POST');
  expect(req.headers['content-type']).toBe('application/json');
  expect(req.headers['idempotency-key']).toBe(n.eventId);
  expect(req.body).toEqual(n);
});

test('slack: a readable message that carries the decision or acknowledgement command', async () => {
  await notify({ notification: note(), sinks: [sinks().slack] });
  await notify({ notification: incidentNote('trigger'), sinks: [sinks().slack] });
  const [checkpoint, page] = rx.delivered('/slack').map((r) => r.body as { text: string });
  expect(Object.keys(checkpoint)).toEqual(['text', 'blocks']);
  expect(checkpoint.text).toContain('*12h checkpoint: decision needed*');
  expect(checkpoint.text).toContain('✘ All hourly checks passed — 1 failed');
  expect(checkpoint.text).toContain('@release-captain');
  expect(checkpoint.text).toContain(
    '`release-watch decide watch-symphony-v1 --checkpoint 12h --decision <continue|escalate> --by <person>`',
  );
  expect(page.text).toMatch(/^:red_circle: \*incident 1/);
  expect(page.text).toContain('`release-watch ack watch-symphony-v1 1 --by <you>`');
  expect(rx.delivered('/slack')[0].headers['idempotency-key']).toBe(note().eventId);
  expect(slackMessage(note({ severity: 'info', command: undefined, to: undefined })).text).toBe(
    ':large_blue_circle: *12h checkpoint: decision needed*\n' + note().text,
  );
});

test('pagerduty: trigger, acknowledge and resolve share the incident dedup_key; severities pass through', async () => {
  const pd = [sinks().pagerduty];
  for (const action of ['trigger', 'acknowledge', 'resolve'] as const) await notify({ notification: incidentNote(action), sinks: pd });
  const [trigger, ack, resolve] = rx.delivered('/pagerduty/v2/enqueue');
  expect(trigger.body).toEqual({
    routing_key: ROUTING_KEY,
    event_action: 'trigger',
    dedup_key: 'watch-symphony-v1/incident-1',
    payload: {
      summary: 'incident 1 · critical · services down: opened',
      source: 'watch-symphony-v1',
      severity: 'critical',
      timestamp: '2026-01-01T12:00:00.000Z',
      custom_details: {
        text: 'Quick health pulse: ollama operational failed',
        event_id: 'watch-symphony-v1/incident-1:page:1',
        command: 'release-watch ack watch-symphony-v1 1 --by <you>',
      },
    },
  });
  expect(ack.body).toEqual({ routing_key: ROUTING_KEY, event_action: 'acknowledge', dedup_key: 'watch-symphony-v1/incident-1' });
  expect(resolve.body).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'watch-symphony-v1/incident-1' });
  expect([...rx.counts().keys()]).toEqual([
    '/pagerduty/v2/enqueue pd:watch-symphony-v1/incident-1:trigger',
    '/pagerduty/v2/enqueue pd:watch-symphony-v1/incident-1:acknowledge',
    '/pagerduty/v2/enqueue pd:watch-symphony-v1/incident-1:resolve',
  ]);
  for (const severity of ['critical', 'error', 'warning', 'info'] as const) {
    expect(pagerDutyEvent(incidentNote('trigger', severity), 'k').body).toMatchObject({ payload: { severity } });
  }
});

test('pagerduty: a change event when a watch starts; checkpoints and reminders are not PagerDuty events', async () => {
  const start = await notify({ notification: startNote(), sinks: [sinks().pagerduty] });
  expect(start.delivered).toEqual([`pagerduty:${ENV.pdKey}`]);
  const [change] = rx.delivered('/pagerduty/v2/change/enqueue');
  expect(change.body).toEqual({
    routing_key: ROUTING_KEY,
    payload: {
      summary: 'Watch started: symphony v1',
      source: 'watch-symphony-v1',
      timestamp: '2026-01-01T12:00:00.000Z',
      custom_details: { text: 'symphony-orchestra: 48 watch hours', event_id: 'watch-symphony-v1:start' },
    },
  });
  const checkpoint = await notify({ notification: note(), sinks: [sinks().pagerduty, sinks().webhook] });
  expect(checkpoint).toEqual({ delivered: [`webhook:${ENV.webhook}`], failed: [], unconfigured: [], skipped: [`pagerduty:${ENV.pdKey}`] });
  expect(rx.requests.map((r) => r.path)).toEqual(['/pagerduty/v2/change/enqueue', '/webhook']);
});

test('file: JSON lines, an event id already in the file is not written again', async () => {
  const first = note();
  // An id that is a prefix of another is a different event.
  const reminder = note({ eventId: `${first.eventId}:escalation:1`, kind: 'checkpoint-unanswered' });
  await notify({ notification: reminder, sinks: [sinks().file] });
  await notify({ notification: first, sinks: [sinks().file] });
  await notify({ notification: first, sinks: [sinks().file] });
  await notify({ notification: { ...first, at: '2026-01-01T13:00:00.000Z' }, sinks: [sinks().file] });
  expect(fileLines()).toEqual([reminder, first]);
});

test('a sink whose URL or key is not in the environment is reported unconfigured, not sent', async () => {
  const res = await notify({
    notification: incidentNote('trigger'),
    sinks: [
      { kind: 'webhook', urlEnv: ENV.unset },
      { kind: 'slack', urlEnv: ENV.unset },
      { kind: 'pagerduty', routingKeyEnv: ENV.unset, urlEnv: ENV.pdUrl },
      sinks().file,
    ],
  });
  expect(res).toEqual({
    delivered: [`file:${file}`],
    failed: [],
    unconfigured: [`webhook:${ENV.unset}`, `slack:${ENV.unset}`, `pagerduty:${ENV.unset}`],
  });
  expect(rx.requests).toEqual([]);
});

test('a sink that answers 503 fails the attempt (retryable) until the last one, which reports it failed', async () => {
  await rx.down('503');
  const req: NotifyRequest = { notification: note(), sinks: all(), maxAttempts: 3 };
  const first = await attemptOf(req, 1);
  expect(first.error?.message).toMatch(
    new RegExp(`^undelivered to webhook:${ENV.webhook}, slack:${ENV.slack}: 127\\.0\\.0\\.1:\\d+ answered 503`),
  );
  // The file sink was done and heartbeated, PagerDuty was not meant for a checkpoint.
  expect(first.beats).toEqual([{ done: [`file:${file}`], refused: [] }]);
  const second = await attemptOf(req, 2, first.beats.at(-1));
  expect(second.error).toBeDefined();
  const last = await attemptOf(req, 3, second.beats.at(-1) ?? first.beats.at(-1));
  expect(last.error).toBeUndefined();
  expect(last.result).toEqual({
    delivered: [`file:${file}`],
    failed: [
      { sink: `webhook:${ENV.webhook}`, error: expect.stringMatching(/answered 503$/) },
      { sink: `slack:${ENV.slack}`, error: expect.stringMatching(/answered 503$/) },
    ],
    unconfigured: [],
    skipped: [`pagerduty:${ENV.pdKey}`],
  });
  // Every attempt tried the HTTP sinks again, with the same Idempotency-Key; the file was written once.
  expect(rx.refused('/webhook').map((r) => r.headers['idempotency-key'])).toEqual([note().eventId, note().eventId, note().eventId]);
  expect(rx.refused('/slack')).toHaveLength(3);
  expect(fileLines()).toHaveLength(1);
  // The default number of attempts is the workflow's retry policy's (8).
  expect((await attemptOf({ notification: note(), sinks: [sinks().webhook] }, 7)).error).toBeDefined();
  expect((await attemptOf({ notification: note(), sinks: [sinks().webhook] }, 8)).result?.failed).toHaveLength(1);
});

test('a closed port is retryable too', async () => {
  await rx.down('closed');
  const res = await attemptOf({ notification: note(), sinks: [sinks().webhook] }, 1);
  expect(res.error?.message).toMatch(/ECONNREFUSED/);
});

test('a 400 is a permanent refusal: reported at once, and not sent again by a retried attempt', async () => {
  rx.answer('/slack', 400);
  const alone = await attemptOf({ notification: note(), sinks: [sinks().slack] }, 1);
  expect(alone.result).toEqual({
    delivered: [],
    failed: [{ sink: `slack:${ENV.slack}`, error: expect.stringMatching(/refused the message: 400$/) }],
    unconfigured: [],
  });

  // With a retryable failure beside it, the attempt is retried, but the refused sink is not posted again.
  rx.answer('/webhook', 503);
  const n = note({ eventId: 'watch-symphony-v1:checkpoint:24h' });
  const first = await attemptOf({ notification: n, sinks: [sinks().slack, sinks().webhook] }, 1);
  expect(first.error?.message).toMatch(/^undelivered to webhook:/);
  expect(first.beats.at(-1)).toEqual({ done: [], refused: [{ sink: `slack:${ENV.slack}`, error: expect.stringMatching(/400$/) }] });
  rx.answer('/webhook', undefined);
  const second = await attemptOf({ notification: n, sinks: [sinks().slack, sinks().webhook] }, 2, first.beats.at(-1));
  expect(second.result).toEqual({
    delivered: [`webhook:${ENV.webhook}`],
    failed: [{ sink: `slack:${ENV.slack}`, error: expect.stringMatching(/400$/) }],
    unconfigured: [],
  });
  expect(rx.requests.filter((r) => r.headers['idempotency-key'] === n.eventId).map((r) => `${r.path} ${r.status}`)).toEqual([
    '/slack 400',
    '/webhook 503',
    '/webhook 202',
  ]);
});

test('a retried attempt does not deliver again to the sinks its heartbeat details list', async () => {
  const n = incidentNote('trigger');
  const names = all().map(sinkName);
  // Attempt 1 delivered file and webhook, then the worker died; its heartbeat held what was done.
  const retried = await attemptOf({ notification: n, sinks: all() }, 2, { done: names.slice(0, 2), refused: [] });
  expect(retried.result).toEqual({ delivered: names, failed: [], unconfigured: [] });
  expect(rx.requests.map((r) => r.path)).toEqual(['/slack', '/pagerduty/v2/enqueue']);
  expect(retried.beats.at(-1)).toEqual({ done: names, refused: [] });
  expect(rx.duplicates()).toEqual([]);
});

test('two sinks of one kind are two sinks: one done does not skip the other', async () => {
  const two: SinkSpec[] = [sinks().webhook, { kind: 'webhook', urlEnv: ENV.webhook2 }];
  expect(two.map(sinkName)).toEqual([`webhook:${ENV.webhook}`, `webhook:${ENV.webhook2}`]);
  const res = await attemptOf({ notification: note(), sinks: two }, 2, { done: [`webhook:${ENV.webhook}`], refused: [] });
  expect(res.result?.delivered).toEqual([`webhook:${ENV.webhook}`, `webhook:${ENV.webhook2}`]);
  expect(rx.requests.map((r) => r.path)).toEqual(['/webhook2']);
});

test('a hanging sink: a cancelled attempt stops waiting and fails retryably; what was done stays done', async () => {
  const held = rx.hold('/webhook');
  const env = new MockActivityEnvironment({ attempt: 1 }, { logger });
  const running = env.run(notify, { notification: note(), sinks: [sinks().file, sinks().webhook] }).catch((e: Error) => e);
  await held.arrived;
  env.cancel();
  const err = await running;
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toMatch(/^undelivered to webhook:/);
  held.release();
  expect(fileLines()).toHaveLength(1);
});
