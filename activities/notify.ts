// Delivering a notification to the plan's sinks (sinks/), each at most once per event: sinks already
// done (and sinks that refused the message for good) are kept in the heartbeat details, so a retried
// attempt skips them, and the sinks that can dedupe are given the stable event id (file: seen ids;
// webhook: Idempotency-Key; PagerDuty: dedup_key per incident).
import { inSpan } from '../worker/tracing';
import type { Notification } from '../core/messages';
import { resolvePlanText, type Env } from '../core/vars';
import type { Plan } from '../plan/schema';
import { sinkKind, sinkName, type SinkSpec } from '../sinks';
import { Permanent } from '../sinks/types';
import { activityContext } from '../probes/runtime';

export interface NotifyRequest {
  notification: Notification;
  sinks: SinkSpec[];
  /** The attempt on which undelivered sinks are reported instead of retried. */
  maxAttempts?: number;
  /** The incident document, for sinks that attach it to a resolution. */
  document?: string;
  /** The plan's vars, for sinks whose settings use them (a file sink's path). */
  vars?: Plan['vars'];
}

export interface NotifyResult {
  delivered: string[];
  failed: Array<{ sink: string; error: string }>;
  /** Sinks whose URL or key is not set in the worker's environment. */
  unconfigured: string[];
  /** Sinks this kind of notification is not meant for (PagerDuty gets incidents and the watch start only). */
  skipped?: string[];
}

/** What a retried attempt inherits from the earlier ones. */
interface Progress {
  done: string[];
  refused: Array<{ sink: string; error: string }>;
}

function progressOf(details: unknown): Progress {
  const p = details as Partial<Progress> | undefined;
  return { done: Array.isArray(p?.done) ? p.done : [], refused: Array.isArray(p?.refused) ? p.refused : [] };
}

export function createNotify(env: Env) {
  return async function notify(req: NotifyRequest): Promise<NotifyResult> {
    const ctx = activityContext();
    const earlier = progressOf(ctx?.info.heartbeatDetails);
    const done = new Set<string>(earlier.done);
    const refused = new Map(earlier.refused.map((r) => [r.sink, r.error]));
    const result: NotifyResult = { delivered: [], failed: [], unconfigured: [] };
    const retryable: string[] = [];
    const progress = () =>
      ctx?.heartbeat({ done: [...done], refused: [...refused].map(([sink, error]) => ({ sink, error })) } satisfies Progress);
    for (const sink of req.sinks) {
      const name = sinkName(sink);
      const kind = sinkKind(sink.kind)!;
      if (done.has(name)) {
        result.delivered.push(name);
        continue;
      }
      if (refused.has(name)) {
        // Refused for good on an earlier attempt: reported, not sent again.
        result.failed.push({ sink: name, error: refused.get(name)! });
        continue;
      }
      if (kind.accepts && !kind.accepts(req.notification)) {
        (result.skipped ??= []).push(name);
        continue;
      }
      try {
        const text = (t: string) => resolvePlanText(t, req.vars ?? {}, env);
        const outcome = await inSpan(`deliver ${kind.kind}`, { 'rw.sink': kind.kind, 'rw.notification': req.notification.kind }, () =>
          kind.deliver(sink, req.notification, { env, text, signal: ctx?.cancellationSignal, document: req.document }),
        );
        if (outcome === 'delivered') {
          done.add(name);
          result.delivered.push(name);
          progress();
        } else result.unconfigured.push(name);
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
    // Given up on: counted once, on the attempt that reports them (low cardinality: the sink's kind).
    for (const f of result.failed)
      ctx?.metricMeter
        .createCounter('release_watch_notifications_undelivered', '1', 'Notifications given up on, by sink kind')
        .add(1, { sink: f.sink.split(':')[0] });
    return result;
  };
}
