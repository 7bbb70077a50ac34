// A Slack interaction (a button click on one of release-watch's messages) read into an answer for a
// watch. The button's value names the watch, the kind of answer and its target; nothing secret.
import { parseButtonValue, type SlackAction } from '../../core/chat';
import { readResolveSubmission, type ResolveSubmission } from './slack-resolve-form';

export { buttonValue, parseButtonValue, type SlackAction } from '../../core/chat';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export interface SlackInteraction {
  /** The Slack user ID who clicked. */
  user: string;
  /** Where Slack takes the answer (the message updated in place, or an ephemeral reply). */
  responseUrl: string;
  /** Opens a modal within 3 s of the click (the resolve form). */
  triggerId?: string;
  action: SlackAction;
}

export type ParsedInteraction =
  { ok: true; interaction: SlackInteraction } | { ok: true; submission: ResolveSubmission } | { ok: false; reason: string };

/** Reads the form body Slack posts (`payload=<JSON>`): a block_actions click on one button, or the resolve form submitted. */
export function parseInteraction(rawBody: Buffer | string): ParsedInteraction {
  const fail = (reason: string): ParsedInteraction => ({ ok: false, reason });
  const payload = new URLSearchParams(rawBody.toString()).get('payload');
  if (payload === null) return fail('body has no payload= field');
  let p: unknown;
  try {
    p = JSON.parse(payload);
  } catch {
    return fail('payload is not JSON');
  }
  if (!isObject(p)) return fail('payload is not an object');
  if (p.type === 'view_submission') {
    const submission = readResolveSubmission(p);
    return typeof submission === 'string' ? fail(submission) : { ok: true, submission };
  }
  if (p.type !== 'block_actions') return fail(`payload type ${JSON.stringify(p.type)} is not block_actions or view_submission`);
  if (!isObject(p.user) || typeof p.user.id !== 'string' || p.user.id === '') return fail('payload has no user.id');
  if (typeof p.response_url !== 'string') return fail('payload has no response_url');
  let url: URL;
  try {
    url = new URL(p.response_url);
  } catch {
    return fail('response_url is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return fail('response_url is not an http(s) URL');
  if (!Array.isArray(p.actions) || p.actions.length !== 1 || !isObject(p.actions[0])) return fail('payload must carry exactly one action');
  const action = parseButtonValue(p.actions[0].value);
  if (typeof action === 'string') return fail(action);
  const triggerId = typeof p.trigger_id === 'string' && p.trigger_id ? p.trigger_id : undefined;
  return { ok: true, interaction: { user: p.user.id, responseUrl: p.response_url, ...(triggerId ? { triggerId } : {}), action } };
}
