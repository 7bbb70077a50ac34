// PagerDuty Events API v2: the incident lifecycle (trigger / acknowledge / resolve, tied by the
// incident's workflow ID as dedup key) and a change event when a watch starts. Checkpoints, reminders
// and reports are not PagerDuty events.
import { z } from 'zod';
import type { Notification } from '../core/messages';
import { EnvName } from '../plan/fields';
import { postJson } from './post';
import type { SinkKind } from './types';

export const PagerDutySink = z.strictObject({ kind: z.literal('pagerduty'), routingKeyEnv: EnvName, urlEnv: EnvName.optional() });

/** The notifications PagerDuty is given: the incident lifecycle, and the start of a watch as a change event. */
export function forPagerDuty(n: Notification): boolean {
  // An acknowledgement or resolution made in PagerDuty is not sent back to it as a new event.
  if (n.incident?.via === 'pagerduty') return false;
  return n.incident !== undefined || n.kind === 'watch-started';
}

export function pagerDutyEvent(n: Notification, routingKey: string): { path: string; body: Record<string, unknown> } {
  if (!n.incident) {
    return {
      path: '/v2/change/enqueue',
      body: {
        routing_key: routingKey,
        payload: {
          summary: n.title.slice(0, 1024),
          source: n.watchId,
          timestamp: n.at,
          custom_details: { text: n.text, event_id: n.eventId },
        },
      },
    };
  }
  return {
    path: '/v2/enqueue',
    body: {
      routing_key: routingKey,
      event_action: n.incident.action,
      dedup_key: n.incident.id,
      ...(n.incident.action === 'trigger'
        ? {
            payload: {
              summary: n.title.slice(0, 1024),
              source: n.watchId,
              severity: n.severity,
              timestamp: n.at,
              custom_details: { text: n.text, event_id: n.eventId, ...(n.command ? { command: n.command } : {}) },
            },
          }
        : {}),
    },
  };
}

export const pagerDutySink: SinkKind<z.output<typeof PagerDutySink>> = {
  kind: 'pagerduty',
  schema: PagerDutySink,
  name: (s) => `pagerduty:${s.routingKeyEnv}`,
  accepts: forPagerDuty,
  async deliver(spec, n, ctx) {
    const key = ctx.env[spec.routingKeyEnv];
    if (!key) return 'unconfigured';
    const base = (spec.urlEnv && ctx.env[spec.urlEnv]) || 'https://events.pagerduty.com';
    const event = pagerDutyEvent(n, key);
    await postJson(`${base.replace(/\/$/, '')}${event.path}`, event.body, {}, ctx.signal);
    return 'delivered';
  },
};
