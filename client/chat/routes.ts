// Answers from where people are, as routes of `release-watch serve`:
//   POST /slack/interactions  a button click, signed by Slack (X-Slack-Signature), answered on its response_url
//   POST /pagerduty/webhook   a v3 webhook, signed by PagerDuty (X-PagerDuty-Signature): acknowledged / resolved
// Each is verified, its account mapped to a person on the watch's roster (people.<id>.slack / .pagerduty),
// and sent with the console's helper (the CLI's client helpers), so the watch validates it as it validates
// any other answer and its refusal reason is what the person sees. Secrets come from the environment only.
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Plan } from '../../plan/schema';
import { Refused } from '../watches';
import { sendAnswer, type AnswerKind } from '../console/answers';
import { parsePagerDutyEvent } from './pagerduty-event';
import { PAGERDUTY_SIGNATURE_HEADER, verifyPagerDutySignature } from './pagerduty-verify';
import { personOf } from './people';
import { relayed } from './relay';
import { parseInteraction, type SlackAction } from './slack-interaction';
import { ReplayStore, SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER, verifySlackRequest } from './slack-verify';

/** The note a resolution from a Slack button carries (the full account belongs in the incident document). */
export const SLACK_RESOLVE_NOTE = 'resolved from Slack; details to follow in the incident document';
export const PAGERDUTY_RESOLVE_NOTE = 'resolved in PagerDuty';

export interface ChatOptions {
  client: Client;
  /** The plan a running watch was started with, or undefined (no such watch, or unreadable). */
  planOf(watchId: string): Promise<Plan | undefined>;
  slackSigningSecret?: string;
  pagerDutySecret?: string;
  /** The relay's secret key: signs verified answers for plans that require signed answers (client/chat/relay.ts). */
  relayKey?: Uint8Array;
  /** Seconds since the epoch (tests move it). */
  now?: () => number;
  /** Sends an answer to a watch; sendAnswer (the console's and CLI's helpers) unless a test replaces it. */
  send?: (client: Client, watchId: string, kind: AnswerKind, request: Record<string, unknown>) => Promise<unknown>;
  log?: (entry: Record<string, unknown>) => void;
}

type Outcome = { status: number; body: Record<string, unknown> & { log?: Record<string, unknown> } };

export async function chatRoutes(app: FastifyInstance, o: ChatOptions): Promise<void> {
  const log = o.log ?? (() => undefined);
  const now = o.now ?? (() => Math.floor(Date.now() / 1000));
  const send = o.send ?? sendAnswer;
  const replays = new ReplayStore();
  // Both read their bodies raw: the signatures are over the exact bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const answer = async (request: FastifyRequest, handle: (raw: Buffer) => Promise<Outcome>) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const entry: Record<string, unknown> = { method: request.method, path: request.url };
    let out: Outcome;
    try {
      out = await handle(raw);
    } catch (err) {
      out = { status: 500, body: { error: `internal error: ${(err as Error)?.message ?? String(err)}` } };
    }
    log({ ...entry, status: out.status, ...(typeof out.body.error === 'string' ? { reason: out.body.error } : {}), ...out.body.log });
    delete out.body.log;
    return out;
  };

  app.post('/slack/interactions', async (request, reply) => {
    const out = await answer(request, (raw) => slack(raw, request));
    return reply.code(out.status).header('Cache-Control', 'no-store').send(out.body);
  });
  app.post('/pagerduty/webhook', async (request, reply) => {
    const out = await answer(request, (raw) => pagerDuty(raw, request));
    return reply.code(out.status).header('Cache-Control', 'no-store').send(out.body);
  });

  async function slack(raw: Buffer, request: FastifyRequest): Promise<Outcome> {
    if (!o.slackSigningSecret) return { status: 503, body: { error: 'Slack interactions are off: no signing secret is configured' } };
    const verified = verifySlackRequest(
      raw,
      { signature: request.headers[SLACK_SIGNATURE_HEADER], timestamp: request.headers[SLACK_TIMESTAMP_HEADER] },
      o.slackSigningSecret,
      now(),
      replays,
    );
    if (!verified.ok) return { status: verified.status, body: { error: verified.reason } };
    const parsed = parseInteraction(raw);
    if (!parsed.ok) return { status: 400, body: { error: parsed.reason } };
    const { user, responseUrl, action } = parsed.interaction;
    const logged = { slackUser: user, watch: action.watchId, action: action.kind };
    const text = await applySlack(user, action);
    // Slack takes the outcome on the response_url: the message replaced in place, or a refusal only the clicker sees.
    const message = text.ok
      ? { replace_original: true, text: text.text }
      : { replace_original: false, response_type: 'ephemeral', text: text.text };
    const posted = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(10_000),
    }).then(
      (r) => r.status,
      (err: Error) => `failed: ${err.message}`,
    );
    return { status: 200, body: { ok: text.ok, ...(text.ok ? {} : { refused: text.text }), log: { ...logged, responseUrl: posted } } };
  }

  async function applySlack(user: string, action: SlackAction): Promise<{ ok: boolean; text: string }> {
    const plan = await o.planOf(action.watchId);
    if (!plan) return { ok: false, text: `no running watch "${action.watchId}" (it has ended, or never started)` };
    const by = personOf(plan.people, 'slack', user);
    if (!by)
      return {
        ok: false,
        text: `your Slack account (${user}) is not on the roster of ${action.watchId}: add people.<you>.slack to its plan`,
      };
    const [kind, request]: [AnswerKind, Record<string, unknown> & { by: string }] =
      action.kind === 'ack'
        ? ['ack', { incident: String(action.incident), by }]
        : action.kind === 'resolve'
          ? ['resolve', { incident: String(action.incident), by, rootCause: SLACK_RESOLVE_NOTE, resolution: SLACK_RESOLVE_NOTE }]
          : action.kind === 'decide'
            ? ['decide', { checkpoint: action.checkpoint, decision: action.decision, by }]
            : ['approve', { request: String(action.request), by }];
    const out = relayed(plan, 'slack', action.watchId, kind, request, o.relayKey);
    if (!out.ok) return { ok: false, text: out.refused };
    try {
      await send(o.client, action.watchId, kind, out.request);
    } catch (err) {
      if (err instanceof Refused) return { ok: false, text: `${action.watchId} refused: ${err.message}` };
      return { ok: false, text: `could not reach ${action.watchId}: ${(err as Error).message}` };
    }
    return { ok: true, text: `${describe(action)} by <@${user}> (${by})` };
  }

  async function pagerDuty(raw: Buffer, request: FastifyRequest): Promise<Outcome> {
    if (!o.pagerDutySecret) return { status: 503, body: { error: 'PagerDuty webhooks are off: no webhook secret is configured' } };
    const verified = verifyPagerDutySignature(raw, request.headers[PAGERDUTY_SIGNATURE_HEADER], o.pagerDutySecret);
    if (!verified.ok) return { status: 401, body: { error: verified.reason } };
    const event = parsePagerDutyEvent(raw);
    if (event.kind === 'invalid') return { status: 400, body: { error: event.reason } };
    if (event.kind === 'ignore') return { status: 202, body: { ignored: event.reason } };
    const logged = { watch: event.watchId, incident: event.seq, action: event.action, agent: event.agent, pdEvent: event.eventId };
    const plan = await o.planOf(event.watchId);
    if (!plan) return { status: 404, body: { error: `no running watch "${event.watchId}" (it has ended, or never started)`, log: logged } };
    const by = personOf(plan.people, 'pagerduty', event.agent);
    if (!by) return { status: 403, body: { error: `PagerDuty user ${event.agent} is not on the roster of ${event.watchId}`, log: logged } };
    const req: Record<string, unknown> & { by: string } =
      event.action === 'ack'
        ? { incident: String(event.seq), by }
        : { incident: String(event.seq), by, rootCause: PAGERDUTY_RESOLVE_NOTE, resolution: PAGERDUTY_RESOLVE_NOTE };
    const out = relayed(plan, 'pagerduty', event.watchId, event.action, req, o.relayKey);
    if (!out.ok) return { status: 403, body: { error: out.refused, log: { ...logged, by } } };
    try {
      await send(o.client, event.watchId, event.action, out.request);
    } catch (err) {
      if (err instanceof Refused) {
        // Redelivery of what the incident already took: nothing to do.
        if (/is already (acknowledged by|resolved)/.test(err.message))
          return { status: 200, body: { applied: false, already: err.message, log: { ...logged, by } } };
        return { status: 409, body: { error: `${event.watchId} refused: ${err.message}`, log: { ...logged, by } } };
      }
      return { status: 503, body: { error: `could not reach ${event.watchId}: ${(err as Error).message}`, log: logged } };
    }
    return { status: 200, body: { applied: true, by, log: { ...logged, by } } };
  }
}

function describe(a: SlackAction): string {
  switch (a.kind) {
    case 'ack':
      return `Incident ${a.incident} of ${a.watchId} acknowledged`;
    case 'resolve':
      return `Incident ${a.incident} of ${a.watchId} resolved`;
    case 'decide':
      return `Checkpoint ${a.checkpoint} of ${a.watchId}: ${a.decision}`;
    case 'approve':
      return `Lever request ${a.request} of ${a.watchId} approved`;
  }
}
