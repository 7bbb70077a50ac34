// Delivering a notification to the plan's sinks. Each sink is delivered at most once per event:
// sinks already done are kept in the heartbeat details, so a retried attempt skips them, and the
// sinks that can dedupe are given the stable event id (file: seen ids; webhook: Idempotency-Key;
// PagerDuty: dedup_key per incident).
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
}

class Permanent extends Error {}

export async function notify(req: NotifyRequest): Promise<NotifyResult> {
  const ctx = activityContext();
  const done = new Set<string>((ctx?.info.heartbeatDetails as string[] | undefined) ?? []);
  const result: NotifyResult = { delivered: [], failed: [], unconfigured: [] };
  const retryable: string[] = [];
  for (const sink of req.sinks) {
    const name = sinkName(sink);
    if (done.has(name)) {
      result.delivered.push(name);
      continue;
    }
    try {
      const ok = await deliver(sink, req.notification);
      if (ok) {
        done.add(name);
        result.delivered.push(name);
        ctx?.heartbeat([...done]);
      } else result.unconfigured.push(name);
    } catch (err) {
      const error = (err as Error).message;
      result.failed.push({ sink: name, error });
      if (!(err instanceof Permanent)) retryable.push(name);
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

export function sinkName(sink: SinkSpec): string {
  return sink.kind === 'file' ? `file:${sink.path}` : sink.kind;
}

/** false when the sink is not configured in this environment. */
async function deliver(sink: SinkSpec, n: Notification): Promise<boolean> {
  switch (sink.kind) {
    case 'console':
      console.log(`[${n.severity}] ${n.title}${n.to?.length ? ` → ${n.to.join(', ')}` : ''}\n${indent(n.text)}${n.command ? `\n  answer: ${n.command}` : ''}`);
      return true;
    case 'file':
      await appendOnce(sink.path, n);
      return true;
    case 'webhook': {
      const url = process.env[sink.urlEnv];
      if (!url) return false;
      await post(url, n, { 'Idempotency-Key': n.eventId });
      return true;
    }
    case 'slack': {
      const url = process.env[sink.urlEnv];
      if (!url) return false;
      await post(url, slackMessage(n), { 'Idempotency-Key': n.eventId });
      return true;
    }
    case 'pagerduty': {
      const key = process.env[sink.routingKeyEnv];
      if (!key) return false;
      const base = (sink.urlEnv && process.env[sink.urlEnv]) || 'https://events.pagerduty.com';
      const event = pagerDutyEvent(n, key);
      await post(`${base.replace(/\/$/, '')}${event.path}`, event.body, {});
      return true;
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

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
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
      body: { routing_key: routingKey, payload: { summary: n.title.slice(0, 1024), source: n.watchId, timestamp: n.at, custom_details: { text: n.text } } },
    };
  }
  return {
    path: '/v2/enqueue',
    body: {
      routing_key: routingKey,
      event_action: n.incident.action,
      dedup_key: n.incident.id,
      ...(n.incident.action === 'trigger'
        ? { payload: { summary: n.title.slice(0, 1024), source: n.watchId, severity: n.severity, timestamp: n.at, custom_details: { text: n.text } } }
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
