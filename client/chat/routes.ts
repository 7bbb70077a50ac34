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
import { FIELDS, openResolveForm, resolveFormView, SLACK_API_URL, type ResolveSubmission } from './slack-resolve-form';
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
  /** Slack bot token: the Resolve button opens a form for the root cause (client/chat/slack-resolve-form.ts). */
  slackBotToken?: string;
  /** Slack's Web API base URL (default https://slack.com/api). */
  slackApiUrl?: string;
  /** The relay's secret key: signs verified answers for plans that require signed answers (client/chat/relay.ts). */
  relayKey?: Uint8Array;
  /** Seconds since the epoch (tests move it). */
  now?: () => number;
  /** Sends an answer to a watch; sendAnswer (the console's and CLI's helpers) unless a test replaces it. */
  send?: (client: Client, watchId: string, kind: AnswerKind, request: Record<string, unknown>) => Promise<unknown>;
  log?: (entry: Record<string, unknown>) => void;
}

/** `empty`: answer with an empty body (Slack closes a submitted form on that). */
type Outcome = { status: number; empty?: boolean; body: Record<string, unknown> & { log?: Record<string, unknown> } };

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
    reply.code(out.status).header('Cache-Control', 'no-store');
    return out.empty ? reply.send('') : reply.send(out.body);
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
    if ('submission' in parsed) return submitted(parsed.submission);
    const { user, responseUrl, triggerId, action } = parsed.interaction;
    const logged = { slackUser: user, watch: action.watchId, action: action.kind };
    // Resolve asks for the root cause in a form, when serve may open one.
    if (action.kind === 'resolve' && o.slackBotToken && triggerId) {
      const form = await openForm(user, action.watchId, action.incident, responseUrl, triggerId);
      if (form.ok) return { status: 200, body: { ok: true, form: 'opened', log: logged } };
      const posted = await respond(responseUrl, { replace_original: false, response_type: 'ephemeral', text: form.text });
      return { status: 200, body: { ok: false, refused: form.text, log: { ...logged, responseUrl: posted } } };
    }
    const text = await applySlack(user, action);
    // Slack takes the outcome on the response_url: the message replaced in place, or a refusal only the clicker sees.
    const message = text.ok
      ? { replace_original: true, text: text.text }
      : { replace_original: false, response_type: 'ephemeral', text: text.text };
    const posted = await respond(responseUrl, message);
    return { status: 200, body: { ok: text.ok, ...(text.ok ? {} : { refused: text.text }), log: { ...logged, responseUrl: posted } } };
  }

  async function respond(responseUrl: string, message: Record<string, unknown>): Promise<number | string> {
    return fetch(responseUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(10_000),
    }).then(
      (r) => r.status,
      (err: Error) => `failed: ${err.message}`,
    );
  }

  /** The person a Slack user is on a watch's roster, with the watch's plan; or why not. */
  async function slackPerson(user: string, watchId: string): Promise<{ plan: Plan; by: string } | { refused: string }> {
    const plan = await o.planOf(watchId);
    if (!plan) return { refused: `no running watch "${watchId}" (it has ended, or never started)` };
    const by = personOf(plan.people, 'slack', user);
    if (!by) return { refused: `your Slack account (${user}) is not on the roster of ${watchId}: add people.<you>.slack to its plan` };
    return { plan, by };
  }

  /** Opens the resolve form, after the checks that would refuse its submission anyway (roster, relay). */
  async function openForm(user: string, watchId: string, incident: number, responseUrl: string, triggerId: string) {
    const who = await slackPerson(user, watchId);
    if ('refused' in who) return { ok: false, text: who.refused };
    const probe = relayed(who.plan, 'slack', watchId, 'resolve', { incident: String(incident), by: who.by }, o.relayKey);
    if (!probe.ok) return { ok: false, text: probe.refused };
    const opened = await openResolveForm(
      o.slackApiUrl ?? SLACK_API_URL,
      o.slackBotToken!,
      triggerId,
      resolveFormView(watchId, incident, responseUrl),
    );
    return opened.ok
      ? { ok: true, text: '' }
      : { ok: false, text: `could not open the resolve form (${opened.error}); resolve with \`release-watch resolve\`` };
  }

  /** The resolve form submitted: Slack closes it on an empty 200, or shows `errors` under the field. */
  async function submitted(f: ResolveSubmission): Promise<Outcome> {
    const logged = { slackUser: f.user, watch: f.watchId, action: 'resolve-form' };
    const refuse = (text: string) => ({
      status: 200,
      body: { response_action: 'errors', errors: { [FIELDS.rootCause]: text.slice(0, 500) }, log: { ...logged, reason: text } },
    });
    const who = await slackPerson(f.user, f.watchId);
    if ('refused' in who) return refuse(who.refused);
    const request = {
      incident: String(f.incident),
      by: who.by,
      rootCause: f.rootCause,
      resolution: f.resolution,
      ...(f.followUp ? { followUp: f.followUp } : {}),
    };
    const out = relayed(who.plan, 'slack', f.watchId, 'resolve', request, o.relayKey);
    if (!out.ok) return refuse(out.refused);
    try {
      await send(o.client, f.watchId, 'resolve', out.request);
    } catch (err) {
      return refuse(
        err instanceof Refused ? `${f.watchId} refused: ${err.message}` : `could not reach ${f.watchId}: ${(err as Error).message}`,
      );
    }
    const posted = f.responseUrl
      ? await respond(f.responseUrl, {
          replace_original: true,
          text: `Incident ${f.incident} of ${f.watchId} resolved by <@${f.user}> (${who.by})\nRoot cause: ${f.rootCause}`,
        })
      : 'none';
    return { status: 200, empty: true, body: { log: { ...logged, by: who.by, responseUrl: posted } } };
  }

  async function applySlack(user: string, action: SlackAction): Promise<{ ok: boolean; text: string }> {
    const who = await slackPerson(user, action.watchId);
    if ('refused' in who) return { ok: false, text: who.refused };
    const { plan, by } = who;
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
