// PagerDuty v3 webhook signatures: X-PagerDuty-Signature is a comma-separated list of
// "v1=" + hex(HMAC-SHA256(secret, raw body)); one that matches accepts (PagerDuty sends several while a
// secret is being rotated). Compared in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const PAGERDUTY_WEBHOOK_SECRET_ENV = 'RELEASE_WATCH_PAGERDUTY_WEBHOOK_SECRET';
export const PAGERDUTY_SIGNATURE_HEADER = 'x-pagerduty-signature';

export type PagerDutyVerified = { ok: true } | { ok: false; reason: string };

/** The signature header PagerDuty would send for this body with these secrets. */
export function pagerDutySignature(rawBody: Buffer | string, ...secrets: string[]): string {
  return secrets.map((s) => 'v1=' + createHmac('sha256', s).update(rawBody).digest('hex')).join(',');
}

export function verifyPagerDutySignature(
  rawBody: Buffer | string,
  header: string | string[] | undefined,
  secret: string,
): PagerDutyVerified {
  if (!secret) return { ok: false, reason: `no PagerDuty webhook secret is configured (set ${PAGERDUTY_WEBHOOK_SECRET_ENV})` };
  if (header === undefined || header === '') return { ok: false, reason: 'missing X-PagerDuty-Signature header' };
  if (Array.isArray(header)) return { ok: false, reason: 'more than one X-PagerDuty-Signature header' };
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  let wellFormed = 0;
  for (const part of header.split(',')) {
    const m = /^v1=([0-9a-f]{64})$/.exec(part.trim());
    if (!m) continue;
    wellFormed++;
    if (timingSafeEqual(Buffer.from(m[1], 'hex'), expected)) return { ok: true };
  }
  if (wellFormed === 0) return { ok: false, reason: 'X-PagerDuty-Signature has no "v1=" followed by 64 lowercase hex digits' };
  return { ok: false, reason: 'no signature in X-PagerDuty-Signature matches the body' };
}
