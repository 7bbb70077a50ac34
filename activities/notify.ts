// Delivering a notification to the plan's sinks. Each sink is delivered at most once per event:
// sinks already done (and sinks that refused the message for good) are kept in the heartbeat
// details, so a retried attempt skips them, and the sinks that can dedupe are given the stable
// event id (file: seen ids; webhook: Idempotency-Key; PagerDuty: dedup_key per incident).
// PagerDuty gets the incident lifecycle (trigger / acknowledge / resolve) and a change event when a
// watch starts; other notifications (checkpoints, reminders, reports) are not PagerDuty events.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Context } from '@temporalio/activity';
import type { Notification } from '../core/messages';
import type { SinkSpec } from '../plan/schema';

export interface NotifyRequest {
  notification: Notification;
  sinks: SinkSpec[];
  /** The attempt on which undelivered sinks are reported instead of retried. */
  maxAttempts?: number;
}

export interface NotifyResult {
  delivered: string[];
  failed: Array<{ sink: string; error: string }>;
  /** Sinks whose URL or key is not set in the worker's environment. */
  unconfigured: string[];
  /** Sinks this kind of notification is not meant for (PagerDuty gets incidents and the watch start only). */
  skipped?: string[];
}

class Permanent extends Error {}

/** What a retried attempt inherits from the earlier ones (an older worker heartbeated a plain list of done sinks). */
interface Progress {
  done: string[];
  refused: Array<{ sink: string; error: string }>;
}

function progressOf(details: unknown): Progress {
  if (Array.isArray(details)) return { done: details.filter((d): d is string => typeof d === 'string'), refused: [] };
  const p = details as Partial<Progress> | undefined;
  return { done: Array.isArray(p?.done) ? p.done : [], refused: Array.isArray(p?.refused) ? p.refused : [] };
}

export async function notify(req: NotifyRequest): Promise<NotifyResult> {
  const ctx = activityContext();
  const earlier = progressOf(ctx?.info.heartbeatDetails);
  const done = new Set<string>(earlier.done);
  const refused = new Map(earlier.refused.map((r) => [r.sink, r.error]));
  const result: NotifyResult = { delivered: [], failed: [], unconfigured: [] };
  const retryable: string[] = [];
  const progress = () => ctx?.heartbeat({ done: [...done], refused: [...refused].map(([sink, error]) => ({ sink, error })) } satisfies Progress);
  for (const sink of req.sinks) {
    const name = sinkName(sink);
    if (done.has(name)) {
      result.delivered.push(name);
      continue;
    }
    if (refused.has(name)) {
      // Refused for good on an earlier attempt: reported, not sent again.
      result.failed.push({ sink: name, error: refused.get(name)! });
      continue;
    }
    try {
      const outcome = await deliver(sink, req.notification, ctx?.cancellationSignal);
      if (outcome === 'delivered') {
        done.add(name);
        result.delivered.push(name);
        progress();
      } else if (outcome === 'skipped') (result.skipped ??= []).push(name);
      else result.unconfigured.push(name);
    } catch (err) {
      const error = (err as Error).message;
      result.failed.push({ sink: name, error });
      if (err instanceof Permanent) {
        refused.set(name, error);
        progress();
      } else retryable.push(name);
    }
  }
  const attempt = ctx?.info.attempt ?? 1;
  if (retryable.length > 0 && attempt < (req.maxAttempts ?? 8)) {
    throw new Error(`undelivered to ${retryable.join(', ')}: ${result.failed.map((f) => f.error).join('; ')}`);
  }
  return result;
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** One name per configured sink (two Slack channels are two sinks), used in results and retry progress. */
export function sinkName(sink: SinkSpec): string {
  switch (sink.kind) {
    case 'console':
      return 'console';
    case 'file':
      return `file:${sink.path}`;
    case 'webhook':
    case 'slack':
      return `${sink.kind}:${sink.urlEnv}`;
    case 'pagerduty':
      return `pagerduty:${sink.routingKeyEnv}`;
  }
}

/** The notifications PagerDuty is given: the incident lifecycle, and the start of a watch as a change event. */
export function forPagerDuty(n: Notification): boolean {
  return n.incident !== undefined || n.kind === 'watch-started';
}

type Outcome = 'delivered' | 'unconfigured' | 'skipped';

async function deliver(sink: SinkSpec, n: Notification, cancelled?: AbortSignal): Promise<Outcome> {
  switch (sink.kind) {
    case 'console':
      console.log(`[${n.severity}] ${n.title}${n.to?.length ? ` → ${n.to.join(', ')}` : ''}\n${indent(n.text)}${n.command ? `\n  answer: ${n.command}` : ''}`);
      return 'delivered';
    case 'file':
      await appendOnce(sink.path, n);
      return 'delivered';
    case 'webhook': {
      const url = process.env[sink.urlEnv];
      if (!url) return 'unconfigured';
      await post(url, n, { 'Idempotency-Key': n.eventId }, cancelled);
      return 'delivered';
    }
    case 'slack': {
      const url = process.env[sink.urlEnv];
      if (!url) return 'unconfigured';
      await post(url, slackMessage(n), { 'Idempotency-Key': n.eventId }, cancelled);
      return 'delivered';
    }
    case 'pagerduty': {
      const key = process.env[sink.routingKeyEnv];
      if (!key) return 'unconfigured';
      if (!forPagerDuty(n)) return 'skipped';
      const base = (sink.urlEnv && process.env[sink.urlEnv]) || 'https://events.pagerduty.com';
      const event = pagerDutyEvent(n, key);
      await post(`${base.replace(/\/$/, '')}${event.path}`, event.body, {}, cancelled);
      return 'delivered';
    }
  }
}

async function appendOnce(path: string, n: Notification): Promise<void> {
  const existing = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
  if (existing.includes(`"eventId":${JSON.stringify(n.eventId)}`)) return;
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, JSON.stringify(n) + '\n');
}

async function post(url: string, body: unknown, headers: Record<string, string>, cancelled?: AbortSignal): Promise<void> {
  let res: Response;
  const timeout = AbortSignal.timeout(10_000);
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: cancelled ? AbortSignal.any([timeout, cancelled]) : timeout,
    });
  } catch (err) {
    throw new Error(`${new URL(url).host}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.status === 429 || res.status >= 500) throw new Error(`${new URL(url).host} answered ${res.status}`);
  if (res.status >= 400) throw new Permanent(`${new URL(url).host} refused the message: ${res.status}`);
}

export function slackMessage(n: Notification): { text: string } {
  const icon = { critical: ':red_circle:', error: ':large_orange_circle:', warning: ':large_yellow_circle:', info: ':large_blue_circle:' }[n.severity];
  const lines = [`${icon} *${n.title}*`, n.text];
  if (n.to?.length) lines.push(`For: ${n.to.map((p) => `@${p}`).join(' ')}`);
  if (n.command) lines.push(`Answer with: \`${n.command}\``);
  return { text: lines.join('\n') };
}

export function pagerDutyEvent(n: Notification, routingKey: string): { path: string; body: Record<string, unknown> } {
  if (!n.incident) {
    return {
      path: '/v2/change/enqueue',
      body: {
        routing_key: routingKey,
        payload: { summary: n.title.slice(0, 1024), source: n.watchId, timestamp: n.at, custom_details: { text: n.text, event_id: n.eventId } },
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

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
