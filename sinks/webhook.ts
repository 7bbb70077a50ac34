// A generic webhook: the notification as JSON, with the event id as Idempotency-Key.
import { z } from 'zod';
import { EnvName } from '../plan/fields';
import { postJson } from './post';
import type { SinkKind } from './types';

export const WebhookSink = z.strictObject({ kind: z.literal('webhook'), urlEnv: EnvName });

export const webhookSink: SinkKind<z.output<typeof WebhookSink>> = {
  kind: 'webhook',
  schema: WebhookSink,
  name: (s) => `webhook:${s.urlEnv}`,
  async deliver(spec, n, ctx) {
    const url = ctx.env[spec.urlEnv];
    if (!url) return 'unconfigured';
    await postJson(url, n, { 'Idempotency-Key': n.eventId }, ctx.signal);
    return 'delivered';
  },
};
