// Slack's request signing, exactly as Slack specifies it: X-Slack-Signature is
// "v0=" + hex(HMAC-SHA256(signing secret, "v0:" + X-Slack-Request-Timestamp + ":" + raw body)),
// the timestamp within five minutes of now, compared in constant time. A signature seen again within
// the window is a replay and refused; the store of seen signatures is bounded.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SLACK_SIGNING_SECRET_ENV = 'RELEASE_WATCH_SLACK_SIGNING_SECRET';
export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';
/** How far the request timestamp may be from now, either way. */
export const SLACK_WINDOW_SECONDS = 5 * 60;

export type SlackVerified = { ok: true } | { ok: false; reason: string; status: 401 | 409 };

/** The signature Slack would send for this body at this timestamp (tests and stand-ins sign with it). */
export function slackSignature(secret: string, timestamp: string | number, rawBody: Buffer | string): string {
  return 'v0=' + createHmac('sha256', secret).update(`v0:${timestamp}:`).update(rawBody).digest('hex');
}

/** Signatures seen within the window, oldest first; at most `max` are kept (the oldest go first). */
export class ReplayStore {
  private readonly seen = new Map<string, number>();
  constructor(private readonly max = 10_000) {}

  /** Records `signature` at `at` (seconds); false when it was already seen within the window. */
  claim(signature: string, at: number): boolean {
    for (const [s, t] of this.seen) {
      if (t >= at - 2 * SLACK_WINDOW_SECONDS) break;
      this.seen.delete(s);
    }
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, at);
    while (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value as string);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

export interface SlackHeaders {
  signature: string | string[] | undefined;
  timestamp: string | string[] | undefined;
}

/** Verifies one request from Slack; `now` in seconds. The replay store is consulted only for a valid signature. */
export function verifySlackRequest(
  rawBody: Buffer | string,
  headers: SlackHeaders,
  secret: string,
  now: number,
  replays: ReplayStore,
): SlackVerified {
  const refuse = (reason: string, status: 401 | 409 = 401): SlackVerified => ({ ok: false, reason, status });
  if (!secret) return refuse(`no Slack signing secret is configured (set ${SLACK_SIGNING_SECRET_ENV})`);
  const { signature, timestamp } = headers;
  if (signature === undefined || signature === '') return refuse('missing X-Slack-Signature header');
  if (timestamp === undefined || timestamp === '') return refuse('missing X-Slack-Request-Timestamp header');
  if (Array.isArray(signature)) return refuse('more than one X-Slack-Signature header');
  if (Array.isArray(timestamp)) return refuse('more than one X-Slack-Request-Timestamp header');
  if (!/^\d{1,12}$/.test(timestamp)) return refuse('X-Slack-Request-Timestamp must be whole seconds since the epoch');
  const m = /^v0=([0-9a-f]{64})$/.exec(signature);
  if (!m) return refuse('X-Slack-Signature must be "v0=" followed by 64 lowercase hex digits');
  const skew = Math.abs(now - Number(timestamp));
  if (skew > SLACK_WINDOW_SECONDS)
    return refuse(`stale request: X-Slack-Request-Timestamp is ${skew} s from now (at most ${SLACK_WINDOW_SECONDS} s)`);
  const given = Buffer.from(m[1], 'hex');
  const expected = Buffer.from(slackSignature(secret, timestamp, rawBody).slice(3), 'hex');
  if (!timingSafeEqual(given, expected)) return refuse('signature does not match the timestamp and body');
  if (!replays.claim(m[1], now)) return refuse('replayed request: this signature was already accepted', 409);
  return { ok: true };
}
