// Notifications end to end: the dev server, the simulator, the real activities in a worker process,
// and local receivers standing in for the webhook, Slack and PagerDuty. Every sink's URL and key
// comes from the environment the worker process is given; the plan only names the variables.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { acknowledge, resolveIncident, startWatch, watchStatusOf, decide } from '../../client/watches';
import type { Notification } from '../../core/messages';
import type { WatchStatus } from '../../core/status';
import type { Plan, SinkSpec } from '../../plan/schema';
import { demoPlan } from '../helpers/plans';
import { Receiver, Recorded, startReceiver } from '../helpers/receiver';
import { until } from '../helpers/poll';
import { devServerEnv, workflowBundle } from '../helpers/servers';
import { shortPlan, startWorld, waitForStatus, World } from '../helpers/world';
import { startWorkerProcess, WorkerProcess, writeBundle } from '../helpers/worker-process';

jest.setTimeout(240_000);

const taskQueue = `e2e-notify-${randomUUID()}`;
const PATHS = { webhook: '/webhook', slack: '/slack', trigger: '/pagerduty/v2/enqueue', change: '/pagerduty/v2/change/enqueue' };

/** One receiver per scenario, so one scenario's outage is not another's. */
interface Scenario {
  name: string;
  rx: Receiver;
  file: string;
  env: Record<string, string>;
  sinks: SinkSpec[];
  routingKey: string;
}

let env: TestWorkflowEnvironment;
let world: World;
let bundlePath: string;
let worker: WorkerProcess | undefined;
const workers: WorkerProcess[] = [];
const receivers: Receiver[] = [];
const S: Record<'shapes' | 'outage' | 'kill' | 'dead', Scenario> = {} as never;
let deadWatch: string;

async function scenario(
  name: keyof typeof S,
  kinds: Array<SinkSpec['kind']> = ['file', 'webhook', 'slack', 'pagerduty'],
): Promise<Scenario> {
  const rx = await startReceiver();
  receivers.push(rx);
  const prefix = `RW_E2E_${name.toUpperCase()}`;
  const routingKey = `routing-${name}-${randomUUID()}`;
  const file = join(world.dir, `notifications-${name}.jsonl`);
  const env = {
    [`${prefix}_WEBHOOK_URL`]: `${rx.url}${PATHS.webhook}`,
    [`${prefix}_SLACK_URL`]: `${rx.url}${PATHS.slack}`,
    [`${prefix}_PD_ROUTING_KEY`]: routingKey,
    [`${prefix}_PD_URL`]: `${rx.url}/pagerduty`,
  };
  const all: Record<SinkSpec['kind'], SinkSpec> = {
    console: { kind: 'console' },
    file: { kind: 'file', path: file },
    webhook: { kind: 'webhook', urlEnv: `${prefix}_WEBHOOK_URL` },
    slack: { kind: 'slack', urlEnv: `${prefix}_SLACK_URL` },
    pagerduty: { kind: 'pagerduty', routingKeyEnv: `${prefix}_PD_ROUTING_KEY`, urlEnv: `${prefix}_PD_URL` },
    // Tested against a real SMTP server in test/probes/email.test.ts.
    email: {
      kind: 'email',
      host: '127.0.0.1',
      port: 25,
      security: 'none',
      from: 'rw@example.org',
      to: ['ops@example.org'],
      timeout: 20_000,
    },
  };
  // The worker reads them from its environment; they never enter the plan or the history.
  Object.assign(process.env, env);
  return (S[name] = { name, rx, file, env, sinks: kinds.map((k) => all[k]), routingKey });
}

function planFor(s: Scenario, hours: number, clockHour = '1s'): Plan {
  const plan = shortPlan(demoPlan(), hours, clockHour);
  return { ...plan, notify: { ...plan.notify, sinks: s.sinks } };
}

async function start(s: Scenario, plan: Plan): Promise<string> {
  const release = {
    service: 'symphony',
    version: `v2.${s.name}.${randomUUID().slice(0, 6)}`,
    commit: 'abc1234',
    deployedAt: new Date().toISOString(),
  };
  const { workflowId } = await startWatch(env.client, { plan, release, startedBy: 'e2e-notify', taskQueue });
  return workflowId;
}

function startWorker(): Promise<void> {
  worker = startWorkerProcess({ address: env.address, namespace: env.namespace, taskQueue, bundlePath });
  workers.push(worker);
  return worker.ready;
}

function fileEvents(s: Scenario): Notification[] {
  if (!existsSync(s.file)) return [];
  return readFileSync(s.file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Notification);
}

/** Requests at a path carrying the event id (webhook and Slack: Idempotency-Key; change events: event_id). */
const withEvent = (rx: Receiver, path: string, eventId: string, which: 'delivered' | 'refused' = 'delivered') =>
  rx[which](path).filter((r) => r.key === `idem:${eventId}` || r.key === `change:${eventId}`);
const pdEvents = (rx: Receiver, dedupKey: string) =>
  rx.delivered(PATHS.trigger).filter((r) => (r.body as { dedup_key?: string }).dedup_key === dedupKey);
const bodyOf = <T = Record<string, any>>(r: Recorded) => r.body as T;

/** Raw deliveries and distinct dedup keys of one event per sink. */
function tally(s: Scenario, eventId: string) {
  const row = (sink: string, rs: Recorded[]) => ({ sink, raw: rs.length, distinct: new Set(rs.map((r) => r.key)).size });
  const file = fileEvents(s).filter((n) => n.eventId === eventId).length;
  return [
    { sink: 'file', raw: file, distinct: Math.min(file, 1) },
    row('webhook', withEvent(s.rx, PATHS.webhook, eventId)),
    row('slack', withEvent(s.rx, PATHS.slack, eventId)),
    row('pagerduty change', withEvent(s.rx, PATHS.change, eventId)),
  ];
}

/** Workflow history with payloads decoded, to look for secrets in it. */
async function historyText(id: string): Promise<string> {
  const history = await env.client.workflow.getHandle(id).fetchHistory();
  // Payload data comes as bytes or, converted from the wire format, as base64 text.
  return JSON.stringify(history, (k, v) =>
    v instanceof Uint8Array
      ? Buffer.from(v).toString('utf8')
      : k === 'data' && typeof v === 'string'
        ? Buffer.from(v, 'base64').toString('utf8')
        : v,
  );
}

beforeAll(async () => {
  env = await devServerEnv();
  world = await startWorld();
  await scenario('shapes');
  await scenario('outage');
  await scenario('kill');
  await scenario('dead', ['file', 'webhook']);
  bundlePath = writeBundle((await workflowBundle()).code, world.dir);
  await startWorker();
  // The sink that stays down past every attempt takes the whole retry policy (about two minutes
  // of backoff), so its watch starts first and is looked at last.
  await S.dead.rx.down('503');
  deadWatch = await start(S.dead, planFor(S.dead, 1));
  // Its checks (hours 0 and 1) are over before any test sets a simulator fault, so the faults of
  // the other scenarios never reach it, however slow the machine.
  await waitForStatus(
    env.client,
    deadWatch,
    (st) => st.checks['fast-pulse']?.last?.hour === 1 && st.checks['log-watch']?.last?.hour === 1,
    'the dead-sink watch to finish its checks',
  );
});

afterAll(async () => {
  for (const w of workers) await w.stop().catch(() => undefined);
  await env?.teardown();
  for (const rx of receivers) await rx.close();
  await world?.close();
});

test('payload shapes and dedup keys: watch start, incident trigger / acknowledge / resolve, checkpoint', async () => {
  const s = S.shapes;
  const { rx } = s;
  const plan = planFor(s, 12);
  // ollama is down from the start, so the hour-0 pulse fails whatever the machine's speed: an incident
  // that pages before the 12h checkpoint.
  world.sim.setFault('service-offline', { service: 'ollama' });
  const id = await start(s, plan);
  const started = `${id}:start`;

  // Watch start: webhook, Slack, a PagerDuty change event, a line in the file.
  await rx.waitFor(
    (r) => [PATHS.webhook, PATHS.slack, PATHS.change].every((p) => withEvent(r, p, started).length > 0),
    'the watch start on every sink',
  );
  const [hook] = withEvent(rx, PATHS.webhook, started);
  expect(hook.headers['idempotency-key']).toBe(started);
  expect(hook.headers['content-type']).toBe('application/json');
  expect(hook.body).toMatchObject({
    eventId: started,
    watchId: id,
    kind: 'watch-started',
    severity: 'info',
    title: expect.stringMatching(/^Watch started: symphony v2\.shapes\./),
  });
  const slackStart = bodyOf<{ text: string }>(withEvent(rx, PATHS.slack, started)[0]);
  expect(slackStart.text).toMatch(/^:large_blue_circle: \*Watch started: symphony v2\.shapes\./);
  expect(bodyOf(withEvent(rx, PATHS.change, started)[0])).toEqual({
    routing_key: s.routingKey,
    payload: {
      summary: bodyOf(hook).title,
      source: id,
      timestamp: bodyOf(hook).at,
      custom_details: { text: bodyOf(hook).text, event_id: started },
    },
  });
  expect(fileEvents(s).find((n) => n.eventId === started)).toEqual(hook.body);

  // The incident of the failed pulse pages. Other checks that need ollama may open their own.
  const opened = await waitForStatus(env.client, id, (st) => st.incidents.some((i) => i.check === 'fast-pulse'), 'the pulse incident');
  const inc = opened.incidents.find((i) => i.check === 'fast-pulse')!;
  const seq = Number(inc.id.slice(`${id}/incident-`.length));
  expect(inc.id).toBe(`${id}/incident-${seq}`);
  const trigger = await rx.waitFor((r) => pdEvents(r, inc.id)[0], 'the PagerDuty trigger');
  expect(trigger.body).toEqual({
    routing_key: s.routingKey,
    event_action: 'trigger',
    dedup_key: inc.id,
    payload: {
      summary: expect.stringMatching(new RegExp(`^incident ${seq} · critical · services down`)),
      source: id,
      severity: 'critical', // the plan's critical severity maps to PagerDuty's critical
      timestamp: expect.any(String),
      custom_details: {
        text: expect.stringContaining(inc.reason),
        event_id: `${inc.id}:page:1`,
        command: `release-watch ack ${id} ${seq} --by <you>`,
      },
    },
  });
  const page = await rx.waitFor((r) => withEvent(r, PATHS.slack, `${inc.id}:page:1`)[0], 'the Slack page');
  expect(bodyOf<{ text: string }>(page).text).toContain(`Answer with: \`release-watch ack ${id} ${seq} --by <you>\``);
  expect(bodyOf<{ text: string }>(page).text).toContain('@duty-engineer');
  const hookPage = await rx.waitFor((r) => withEvent(r, PATHS.webhook, `${inc.id}:page:1`)[0], 'the webhook page');
  expect(hookPage.body).toMatchObject({ kind: 'incident-page', severity: 'critical', incident: { id: inc.id, action: 'trigger' } });
  world.sim.clearFault('service-offline');

  await acknowledge(env.client, id, { incident: String(seq), by: 'duty-engineer' });
  const ack = await rx.waitFor(
    (r) => pdEvents(r, inc.id).find((e) => bodyOf(e).event_action === 'acknowledge'),
    'the PagerDuty acknowledge',
  );
  expect(ack.body).toEqual({ routing_key: s.routingKey, event_action: 'acknowledge', dedup_key: inc.id });
  await resolveIncident(env.client, id, {
    incident: String(seq),
    by: 'duty-engineer',
    rootCause: 'ollama stopped',
    resolution: 'restarted ollama',
  });
  const resolve = await rx.waitFor((r) => pdEvents(r, inc.id).find((e) => bodyOf(e).event_action === 'resolve'), 'the PagerDuty resolve');
  expect(resolve.body).toEqual({ routing_key: s.routingKey, event_action: 'resolve', dedup_key: inc.id });

  // The 12h checkpoint: the decision command in Slack, the whole notification on the webhook, nothing to PagerDuty.
  const atCheckpoint = await waitForStatus(env.client, id, (st) => st.checkpoints[0]?.state === 'pending', 'the 12h checkpoint');
  const cpEvent = `${id}:checkpoint:12h`;
  const cpSlack = await rx.waitFor((r) => withEvent(r, PATHS.slack, cpEvent)[0], 'the checkpoint in Slack');
  expect(bodyOf<{ text: string }>(cpSlack).text).toContain(`Answer with: \`release-watch decide ${id} --checkpoint 12h --decision <`);
  const cpHook = await rx.waitFor((r) => withEvent(r, PATHS.webhook, cpEvent)[0], 'the checkpoint on the webhook');
  expect(cpHook.body).toMatchObject({ kind: 'checkpoint-open', severity: 'warning', command: expect.stringContaining(`--checkpoint 12h`) });
  // Incidents opened by other checks while ollama was down are resolved too (while the watch waits
  // at its checkpoint), so their timers stop.
  for (const other of (await watchStatusOf(env.client, id)).incidents.filter((i) => i.state !== 'resolved')) {
    await resolveIncident(env.client, id, {
      incident: other.id,
      by: 'duty-engineer',
      rootCause: 'ollama stopped',
      resolution: 'restarted ollama',
    });
  }
  await decide(env.client, id, { checkpoint: '12h', decision: 'continue', by: 'release-captain' });
  await env.client.workflow.getHandle(id).result();
  const end = await watchStatusOf(env.client, id);
  for (const i of end.incidents) {
    await env.client.workflow.getHandle(i.id).result();
    expect(pdEvents(rx, i.id).map((e) => bodyOf(e).event_action)).toEqual(
      ['trigger', 'acknowledge', 'resolve'].filter((a) => a !== 'acknowledge' || i.ackedHour !== undefined),
    );
  }

  // Every notification reached file, webhook and Slack exactly once; PagerDuty got only its events.
  const ids = (p: string) => rx.delivered(p).map((r) => r.headers['idempotency-key']);
  const fileIds = fileEvents(s).map((n) => n.eventId);
  expect(new Set(fileIds).size).toBe(fileIds.length);
  expect(ids(PATHS.webhook).sort()).toEqual([...fileIds].sort());
  expect(ids(PATHS.slack).sort()).toEqual([...fileIds].sort());
  expect(fileIds).toEqual(
    expect.arrayContaining([
      started,
      `${inc.id}:page:1`,
      expect.stringMatching(new RegExp(`^${inc.id}:ack:\\d+$`)),
      `${inc.id}:resolve`,
      cpEvent,
      `${id}:decision:12h`,
    ]),
  );
  expect(rx.delivered(PATHS.change).map((r) => bodyOf(r).payload.custom_details.event_id)).toEqual([started]);
  expect(rx.duplicates()).toEqual([]);
  expect(rx.refused()).toEqual([]);
  expect(end.notifications.undelivered).toEqual([]);
  expect(atCheckpoint.notifications.sent).toBeGreaterThan(0);
  console.log(`shapes: ${rx.requests.length} requests, ${fileIds.length} events, raw duplicates: ${rx.duplicates().length}`);

  // Secrets stay in the worker's environment: not in the plan, not in the history.
  const history = await historyText(id);
  const inHistory = (text: string) => history.includes(text);
  expect([inHistory('RW_E2E_SHAPES_SLACK_URL'), inHistory('Watch started: symphony v2.shapes.')]).toEqual([true, true]); // decoded: the plan and notifications are there
  expect([inHistory(s.routingKey), inHistory(`127.0.0.1:${rx.port}`)]).toEqual([false, false]);
});

test('a receiver that is down for a stretch: retried with backoff, delivered once when it is back, nothing undelivered', async () => {
  const s = S.outage;
  const { rx } = s;
  await rx.down('closed'); // connection refused
  const id = await start(s, planFor(s, 2));
  const started = `${id}:start`;
  const handle = env.client.workflow.getHandle(id);
  // The server's view of the notify activity: attempts failed on the refused connection and are retried with backoff.
  const pending = await until(async () => {
    const a = (await handle.describe()).raw.pendingActivities?.find((p) => p.activityType?.name === 'notify');
    return a && (a.attempt ?? 0) >= 3 ? a : undefined;
  }, 'two failed notify attempts (the third scheduled)');
  expect(pending.lastFailure?.message).toMatch(/ECONNREFUSED/);
  expect(fileEvents(s).filter((n) => n.eventId === started)).toHaveLength(1); // the file was not down
  await rx.up();

  await rx.waitFor(
    (r) => [PATHS.webhook, PATHS.slack, PATHS.change].every((p) => withEvent(r, p, started).length > 0),
    'delivery after the outage',
  );
  await handle.result();
  const status = await watchStatusOf(env.client, id);
  expect(status.notifications).toEqual({ sent: 1, undelivered: [] });
  expect(tally(s, started)).toEqual([
    { sink: 'file', raw: 1, distinct: 1 },
    { sink: 'webhook', raw: 1, distinct: 1 },
    { sink: 'slack', raw: 1, distinct: 1 },
    { sink: 'pagerduty change', raw: 1, distinct: 1 },
  ]);
  expect(rx.duplicates()).toEqual([]);
  console.log(`outage: delivered after ${pending.attempt! - 1}+ failed attempts (${pending.lastFailure?.message}); raw duplicates: 0`);
});

test('the worker is SIGKILLed while a notification is in flight: each event reaches each sink once (by dedup key)', async () => {
  const s = S.kill;
  const { rx } = s;
  const held = rx.hold(PATHS.webhook);
  const id = await start(s, planFor(s, 2));
  const started = `${id}:start`;
  await held.arrived;
  // The file sink (first) is written and heartbeated; the webhook request is at the receiver, unanswered.
  expect(fileEvents(s).filter((n) => n.eventId === started)).toHaveLength(1);
  const killed = worker!;
  await killed.kill();
  expect((await killed.exited).signal).toBe('SIGKILL');
  held.release();
  await startWorker();

  // The killed attempt times out on the server (start-to-close) and the retry runs on the new worker.
  await rx.waitFor(
    (r) =>
      withEvent(r, PATHS.webhook, started).length >= 2 &&
      withEvent(r, PATHS.slack, started).length > 0 &&
      withEvent(r, PATHS.change, started).length > 0,
    'the retried notification',
    150_000,
  );
  await env.client.workflow.getHandle(id).result();
  const status = await watchStatusOf(env.client, id);
  expect(status.notifications).toEqual({ sent: 1, undelivered: [] });
  const rows = tally(s, started);
  console.log(
    `kill: deliveries of ${started} per sink (raw = requests that reached the receiver, distinct = dedup keys):\n${rows.map((r) => `  ${r.sink}: raw ${r.raw}, distinct ${r.distinct}`).join('\n')}`,
  );
  // After dedup, exactly once everywhere.
  expect(rows.map((r) => r.distinct)).toEqual([1, 1, 1, 1]);
  // Raw: the webhook request held at the kill had reached the receiver, and the retry sent it again
  // with the same Idempotency-Key; the sinks after it were never reached before the kill.
  expect(rows).toEqual([
    { sink: 'file', raw: 1, distinct: 1 },
    { sink: 'webhook', raw: 2, distinct: 1 },
    { sink: 'slack', raw: 1, distinct: 1 },
    { sink: 'pagerduty change', raw: 1, distinct: 1 },
  ]);
  expect(rx.duplicates()).toEqual([{ key: `${PATHS.webhook} idem:${started}`, raw: 2 }]);
});

test('a sink down past every attempt is recorded as undelivered, with the error, in the status and the final report', async () => {
  const s = S.dead;
  const started = `${deadWatch}:start`;
  const status: WatchStatus = await waitForStatus(
    env.client,
    deadWatch,
    (st) => st.notifications.undelivered.length > 0,
    'the undelivered record',
    200_000,
  );
  expect(status.notifications.undelivered).toEqual([
    { eventId: started, sink: 'webhook:RW_E2E_DEAD_WEBHOOK_URL', error: expect.stringMatching(/^127\.0\.0\.1:\d+ answered 503$/) },
  ]);
  // Every attempt of the retry policy (8) tried it, with one Idempotency-Key; the file got it once.
  expect(withEvent(s.rx, PATHS.webhook, started, 'refused').length).toBe(8);
  expect(s.rx.delivered()).toEqual([]);
  expect(fileEvents(s).filter((n) => n.eventId === started)).toHaveLength(1);

  await env.client.workflow.getHandle(deadWatch).result();
  const end = await watchStatusOf(env.client, deadWatch);
  const final = end.reports.find((r) => r.kind === 'final');
  expect(final).toBeDefined();
  expect(final?.path).toBeDefined();
  const report = readFileSync(final!.path!, 'utf8');
  // Whatever the report's layout, the undelivered event is on one line with its sink and error.
  const line = report.split('\n').find((l) => l.includes(started));
  expect(line).toContain('webhook:RW_E2E_DEAD_WEBHOOK_URL');
  expect(line).toContain(`127.0.0.1:${s.rx.port} answered 503`);
});
