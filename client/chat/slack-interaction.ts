// A Slack interaction (a button click on one of release-watch's messages) read into an answer for a
// watch. The button's value names the watch, the kind of answer and its target; nothing secret.
export type SlackAction =
  | { kind: 'ack'; watchId: string; incident: number }
  | { kind: 'resolve'; watchId: string; incident: number }
  | { kind: 'decide'; watchId: string; checkpoint: string; decision: string }
  | { kind: 'approve'; watchId: string; request: number };

export interface SlackInteraction {
  /** The Slack user ID who clicked. */
  user: string;
  /** Where Slack takes the answer (the message updated in place, or an ephemeral reply). */
  responseUrl: string;
  action: SlackAction;
}

export type ParsedInteraction = { ok: true; interaction: SlackInteraction } | { ok: false; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const WATCH_ID = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/** The value of a button for `action` (at most 2000 characters, Slack's limit). */
export function buttonValue(action: SlackAction): string {
  return JSON.stringify(action);
}

export function parseButtonValue(value: unknown): SlackAction | string {
  if (typeof value !== 'string') return 'the button has no value';
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return 'the button value is not JSON';
  }
  if (!isObject(v)) return 'the button value is not an object';
  if (typeof v.watchId !== 'string' || !WATCH_ID.test(v.watchId)) return 'the button value has no valid watchId';
  const watchId = v.watchId;
  const seq = (n: unknown) => (Number.isInteger(n) && (n as number) > 0 && (n as number) < 1e6 ? (n as number) : undefined);
  switch (v.kind) {
    case 'ack':
    case 'resolve': {
      const incident = seq(v.incident);
      return incident === undefined ? `the ${v.kind} button names no incident number` : { kind: v.kind, watchId, incident };
    }
    case 'decide':
      if (typeof v.checkpoint !== 'string' || !NAME.test(v.checkpoint)) return 'the decide button names no checkpoint';
      if (typeof v.decision !== 'string' || !NAME.test(v.decision)) return 'the decide button names no decision';
      return { kind: 'decide', watchId, checkpoint: v.checkpoint, decision: v.decision };
    case 'approve': {
      const request = seq(v.request);
      return request === undefined ? 'the approve button names no request number' : { kind: 'approve', watchId, request };
    }
    default:
      return `unknown button kind ${JSON.stringify(v.kind)} (ack, resolve, decide or approve)`;
  }
}

/** Reads the form body Slack posts (`payload=<JSON>`): a block_actions click on one button. */
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
  if (p.type !== 'block_actions') return fail(`payload type ${JSON.stringify(p.type)} is not block_actions`);
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
  return { ok: true, interaction: { user: p.user.id, responseUrl: p.response_url, action } };
}
