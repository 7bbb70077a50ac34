// Resolving from Slack with a form: the Resolve button opens a modal (views.open, with the bot token)
// asking for the root cause, the resolution and a follow-up; its submission (a view_submission payload,
// signed like any interaction) resolves the incident with what was written. The modal carries the watch,
// the incident and the message's response_url in its private_metadata, so the message is replaced once
// the incident takes the resolution. Without a bot token the button resolves with a default note.
import { TEXT_MAX } from '../../core/incidents';
import { parseButtonValue } from '../../core/chat';

/** The bot token (xoxb-…) serve opens the form with; without it Resolve resolves with a default note. */
export const SLACK_BOT_TOKEN_ENV = 'RELEASE_WATCH_SLACK_BOT_TOKEN';
/** Slack's Web API (tests point it at a stand-in). */
export const SLACK_API_URL_ENV = 'RELEASE_WATCH_SLACK_API_URL';
export const SLACK_API_URL = 'https://slack.com/api';
export const RESOLVE_CALLBACK_ID = 'rw-resolve';

/** The form's inputs: block_id and action_id alike, so a refusal can point at one. */
export const FIELDS = { rootCause: 'root_cause', resolution: 'resolution', followUp: 'follow_up' } as const;

export interface ResolveSubmission {
  user: string;
  watchId: string;
  incident: number;
  /** The message the Resolve button was on, replaced once the incident is resolved. */
  responseUrl?: string;
  rootCause: string;
  resolution: string;
  followUp?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const plain = (text: string) => ({ type: 'plain_text', text });

function input(field: string, label: string, optional: boolean, placeholder: string) {
  return {
    type: 'input',
    block_id: field,
    optional,
    label: plain(label),
    element: { type: 'plain_text_input', action_id: field, multiline: true, max_length: TEXT_MAX, placeholder: plain(placeholder) },
  };
}

/** The modal for resolving incident `incident` of `watchId`. */
export function resolveFormView(watchId: string, incident: number, responseUrl: string): Record<string, unknown> {
  const metadata = JSON.stringify({ watchId, incident, ...(responseUrl.length < 2500 ? { responseUrl } : {}) });
  return {
    type: 'modal',
    callback_id: RESOLVE_CALLBACK_ID,
    private_metadata: metadata,
    title: plain(`Resolve incident ${incident}`.slice(0, 24)),
    submit: plain('Resolve'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${watchId}*, incident ${incident}` } },
      input(FIELDS.rootCause, 'Root cause', false, 'What caused it'),
      input(FIELDS.resolution, 'Resolution', false, 'What was done'),
      input(FIELDS.followUp, 'Follow-up', true, 'What should happen next (optional)'),
    ],
  };
}

/** A view_submission of the resolve form read into a resolution, or why it cannot be. */
export function readResolveSubmission(p: Record<string, unknown>): ResolveSubmission | string {
  if (!isObject(p.user) || typeof p.user.id !== 'string' || p.user.id === '') return 'payload has no user.id';
  const view = p.view;
  if (!isObject(view)) return 'payload has no view';
  if (view.callback_id !== RESOLVE_CALLBACK_ID) return `view ${JSON.stringify(view.callback_id)} is not release-watch's resolve form`;
  let meta: unknown;
  try {
    meta = JSON.parse(typeof view.private_metadata === 'string' ? view.private_metadata : '');
  } catch {
    return 'the form has no readable private_metadata';
  }
  // The same checks as a button's value: the watch ID and incident number are read the same way.
  const target = parseButtonValue(JSON.stringify({ ...(isObject(meta) ? meta : {}), kind: 'resolve' }));
  if (typeof target === 'string') return target.replace(/^the (resolve button|button value)/, 'the form');
  const responseUrl =
    isObject(meta) && typeof meta.responseUrl === 'string' && /^https?:\/\//.test(meta.responseUrl) ? meta.responseUrl : undefined;
  const values = isObject(view.state) && isObject(view.state.values) ? view.state.values : undefined;
  if (!values) return 'the form has no state.values';
  const field = (name: string): string | undefined => {
    const block = values[name];
    const v = isObject(block) && isObject(block[name]) ? block[name].value : undefined;
    return typeof v === 'string' && v.trim() ? v.trim() : undefined;
  };
  const rootCause = field(FIELDS.rootCause);
  const resolution = field(FIELDS.resolution);
  if (!rootCause || !resolution) return 'the form needs a root cause and a resolution';
  const followUp = field(FIELDS.followUp);
  return {
    user: p.user.id,
    watchId: target.watchId,
    incident: (target as { incident: number }).incident,
    ...(responseUrl ? { responseUrl } : {}),
    rootCause,
    resolution,
    ...(followUp ? { followUp } : {}),
  };
}

/** Opens the form with views.open; the Slack error (e.g. expired_trigger_id) when it does not open. */
export async function openResolveForm(
  apiUrl: string,
  token: string,
  triggerId: string,
  view: Record<string, unknown>,
): Promise<{ ok: true } | { ok: false; error: string }> {
  try {
    const res = await fetch(`${apiUrl.replace(/\/$/, '')}/views.open`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ trigger_id: triggerId, view }),
      // Slack's trigger_id lives 3 s: a slower answer would not open the form anyway.
      signal: AbortSignal.timeout(3_000),
    });
    const body = (await res.json().catch(() => ({}))) as { ok?: boolean; error?: string };
    if (res.ok && body.ok === true) return { ok: true };
    return { ok: false, error: body.error ?? `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
