// A PagerDuty v3 webhook body read into what the watch should do: acknowledge or resolve the incident
// whose dedup key release-watch sent (the incident's workflow ID, see sinks/pagerduty.ts), by the
// PagerDuty user who did it. Other event types are ignored; a body that is not a v3 event is invalid.
import { incidentOfDedupKey } from '../../core/chat';

export { incidentOfDedupKey } from '../../core/chat';

export interface PagerDutyAnswer {
  kind: 'answer';
  action: 'ack' | 'resolve';
  /** The watch and incident the dedup key names. */
  watchId: string;
  incidentId: string;
  seq: number;
  /** The PagerDuty user (agent) ID who acknowledged or resolved it. */
  agent: string;
  eventId: string;
}
export type PagerDutyEvent = PagerDutyAnswer | { kind: 'ignore'; reason: string } | { kind: 'invalid'; reason: string };

const ACTIONS: Record<string, 'ack' | 'resolve'> = { 'incident.acknowledged': 'ack', 'incident.resolved': 'resolve' };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parsePagerDutyEvent(raw: Buffer | string): PagerDutyEvent {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString());
  } catch {
    return { kind: 'invalid', reason: 'body is not JSON' };
  }
  if (!isObject(body) || !isObject(body.event)) return { kind: 'invalid', reason: 'body has no "event" object (not a v3 webhook)' };
  const e = body.event;
  if (typeof e.event_type !== 'string') return { kind: 'invalid', reason: 'event.event_type must be a string' };
  const action = ACTIONS[e.event_type];
  if (!action) return { kind: 'ignore', reason: `event type ${e.event_type} is not acknowledged or resolved` };
  if (typeof e.id !== 'string' || e.id === '') return { kind: 'invalid', reason: 'event.id must be a string' };
  if (!isObject(e.data)) return { kind: 'invalid', reason: 'event.data must be an object' };
  const key = e.data.incident_key;
  if (typeof key !== 'string' || key === '') return { kind: 'invalid', reason: 'event.data.incident_key must be a string' };
  const incident = incidentOfDedupKey(key);
  if (!incident) return { kind: 'ignore', reason: `incident_key ${JSON.stringify(key.slice(0, 200))} is not a release-watch incident` };
  if (!isObject(e.agent) || typeof e.agent.id !== 'string' || e.agent.id === '')
    return { kind: 'invalid', reason: 'event.agent.id must be a string (who acknowledged or resolved it)' };
  return { kind: 'answer', action, ...incident, agent: e.agent.id, eventId: e.id };
}
