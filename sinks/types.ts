// What every notification sink provides. A sink kind is one module in sinks/ and one entry in
// sinks/index.ts; the notify activity delivers to each configured sink at most once per event.
import type { z } from 'zod';
import type { Notification } from '../core/messages';
import type { Env } from '../core/vars';

export interface DeliveryContext {
  env: Env;
  /** A sink's own text (a file path) with the plan's `${var}` references resolved. */
  text(t: string): string;
  signal?: AbortSignal;
  /** The Markdown of the incident document, for sinks that attach it to a resolution. */
  document?: string;
}

export interface SinkKind<S extends { kind: string } = { kind: string }> {
  kind: S['kind'];
  schema: z.ZodType<S>;
  /** One name per configured sink (two Slack channels are two sinks): used in results and retry progress. */
  name(spec: S): string;
  /** Whether this notification is meant for the sink at all (PagerDuty takes incidents and watch starts). */
  accepts?(n: Notification): boolean;
  /**
   * Sends it. 'unconfigured' when the sink's URL or key is not set in the worker's environment.
   * Throws Permanent when the receiver refused the message for good (not retried), any other error
   * when it may work later (retried).
   */
  deliver(spec: S, n: Notification, ctx: DeliveryContext): Promise<'delivered' | 'unconfigured'>;
}

/** Refused for good (a 4xx): reported, never retried. */
export class Permanent extends Error {}
