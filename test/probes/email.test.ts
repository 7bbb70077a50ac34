// The e-mail sink through the notify activity's own code, against a real SMTP server (aiosmtpd): what
// arrives is parsed and checked; STARTTLS with authentication; the incident document attached to a
// resolution; a retried attempt that had delivered sends nothing, and a resend carries the same
// Message-ID; a refusal is permanent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createNotify, type NotifyRequest, type NotifyResult } from '../../activities/notify';
import type { Notification } from '../../core/messages';
import { sinkName } from '../../sinks';
import { EmailSink, messageIdOf } from '../../sinks/email';
import { startSmtp, type SmtpServer } from '../helpers/smtp';
import { selfSignedCertificate } from '../helpers/stand-ins';

let dir: string;
let plain: SmtpServer;
let secure: SmtpServer;
let caFile: string;
const ENV = { RW_SMTP_USER: 'watcher', RW_SMTP_PASSWORD: 's3cret-pass' };
const notify = createNotify({ ...process.env, ...ENV });
const logger = new DefaultLogger('ERROR');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rw-email-'));
  const cert = selfSignedCertificate(dir);
  caFile = cert.certFile;
  plain = await startSmtp(join(dir, 'plain'));
  secure = await startSmtp(join(dir, 'secure'), { tls: cert, auth: { user: ENV.RW_SMTP_USER, password: ENV.RW_SMTP_PASSWORD } });
});

afterAll(async () => {
  await plain?.stop();
  await secure?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
function note(more: Partial<Notification> = {}): Notification {
  seq++;
  return {
    eventId: `watch-orders-v2/incident-${seq}/opened`,
    watchId: 'watch-orders-v2',
    kind: 'incident-opened',
    severity: 'critical',
    title: `incident ${seq} · sev1 · health: opened → dana`,
    text: 'GET /health → 503 <down>\nfailing since hour 3',
    command: `release-watch ack watch-orders-v2 ${seq} --by <you>`,
    to: ['dana'],
    at: '2026-12-05T10:00:00.000Z',
    ...more,
  };
}

const sink = (more: Record<string, unknown> = {}) =>
  EmailSink.parse({
    kind: 'email',
    host: '${smtp_host}',
    port: plain.port,
    security: 'none',
    from: 'release-watch@example.org',
    to: ['${oncall}'],
    ...more,
  });
const vars = { smtp_host: { default: '127.0.0.1' }, oncall: { default: 'oncall@example.org' } };

async function attempt(req: NotifyRequest, n: number, details?: unknown) {
  const env = new MockActivityEnvironment({ attempt: n, heartbeatDetails: details }, { logger });
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  return { result: (await env.run(notify, req)) as NotifyResult, beats };
}

test('a notification arrives as text and HTML, with vars resolved, a stable Message-ID and the event id', async () => {
  const n = note();
  const res = await notify({ notification: n, sinks: [sink()], vars });
  expect(res).toEqual({ delivered: ['email:${oncall}'], failed: [], unconfigured: [] });
  const [got] = await plain.received();
  expect(got.envelope).toEqual({ from: 'release-watch@example.org', to: ['oncall@example.org'], tls: false });
  expect(got.mail.subject).toBe(`[CRITICAL] ${n.title}`);
  expect(got.mail.messageId).toBe(messageIdOf(n));
  expect(got.mail.headers.get('x-release-watch-event')).toBe(n.eventId);
  expect(got.mail.text).toContain('GET /health → 503 <down>');
  expect(got.mail.text).toContain(`Answer with: ${n.command}`);
  expect(got.mail.html).toContain('<p>GET /health → 503 &lt;down&gt;</p>');
  expect(got.mail.html).not.toContain('<down>');
  expect(got.mail.attachments).toEqual([]);
});

test('STARTTLS with authentication from the environment, the server certificate checked against a CA file', async () => {
  const spec = sink({ port: secure.port, security: 'starttls', userEnv: 'RW_SMTP_USER', passwordEnv: 'RW_SMTP_PASSWORD', caFile });
  const res = await notify({ notification: note(), sinks: [spec], vars });
  expect(res.delivered).toHaveLength(1);
  const [got] = await secure.received();
  expect(got.envelope.tls).toBe(true);
  // Without the credentials in the environment the sink is unconfigured, not failed.
  const bare = createNotify(process.env);
  expect(await bare({ notification: note(), sinks: [spec], vars })).toEqual({ delivered: [], failed: [], unconfigured: [sinkName(spec)] });
});

test('a resolution carries the incident document as an attachment', async () => {
  const before = (await plain.received()).length;
  const n = note({ kind: 'incident-resolved', severity: 'info', incident: { id: 'watch-orders-v2/incident-9', action: 'resolve' } });
  const document = '# Incident 9\n\nRoot cause: a bad migration\n';
  await notify({ notification: n, sinks: [sink()], vars, document });
  const got = (await plain.received())[before];
  expect(got.mail.attachments.map((a) => [a.filename, a.contentType, a.content.toString()])).toEqual([
    ['incident-9.md', 'text/markdown', document],
  ]);
});

test('a retried attempt after the mail went out sends nothing; a resend after a lost heartbeat has the same Message-ID', async () => {
  const before = (await plain.received()).length;
  const n = note();
  const req: NotifyRequest = { notification: n, sinks: [sink()], vars };
  const first = await attempt(req, 1);
  expect(first.result.delivered).toHaveLength(1);
  // The worker died after the heartbeat that recorded the delivery: the next attempt skips the sink.
  const retried = await attempt(req, 2, first.beats.at(-1));
  expect(retried.result.delivered).toHaveLength(1);
  expect((await plain.received()).length).toBe(before + 1);
  // The worker died before that heartbeat: the mail goes again, as the same message.
  await attempt(req, 2, undefined);
  const copies = (await plain.received()).slice(before);
  expect(copies.map((c) => c.mail.messageId)).toEqual([messageIdOf(n), messageIdOf(n)]);
});

test('a recipient the server refuses for good is a permanent failure, reported at once and not retried', async () => {
  const spec = sink({ to: ['refused@example.org'] });
  const { result } = await attempt({ notification: note(), sinks: [spec], vars }, 1);
  expect(result.delivered).toEqual([]);
  expect(result.failed).toEqual([{ sink: sinkName(spec), error: expect.stringMatching(/^SMTP server refused the message: .*550/) }]);
});

test('bad settings are refused by the plan schema with the field named', () => {
  const r = EmailSink.safeParse({ kind: 'email', host: 'smtp', port: 70000, from: 'x@y.z', to: [], passwordEnv: 'lower-case' });
  expect(r.success).toBe(false);
  expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['passwordEnv', 'port', 'to']);
});
