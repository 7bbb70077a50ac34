// The notification sinks, registered in one place. Adding a sink: a module beside these (its schema,
// its name, deliver) and one entry in SINK_KINDS and in SinkSchemas below.
import { z } from 'zod';
import { consoleSink, ConsoleSink } from './console';
import { emailSink, EmailSink } from './email';
import { fileSink, FileSink } from './file';
import { pagerDutySink, PagerDutySink } from './pagerduty';
import { slackSink, SlackSink } from './slack';
import type { SinkKind } from './types';
import { webhookSink, WebhookSink } from './webhook';

export const SINK_KINDS: readonly SinkKind<any>[] = [consoleSink, fileSink, webhookSink, slackSink, pagerDutySink, emailSink];

const SinkSchemas = [ConsoleSink, FileSink, WebhookSink, SlackSink, PagerDutySink, EmailSink] as const;

export const Sink = z.discriminatedUnion('kind', SinkSchemas, {
  error: (iss) => (iss.code === 'invalid_union' ? `sink kind must be one of ${SINK_KINDS.map((s) => s.kind).join(', ')}` : undefined),
});
export type SinkSpec = z.output<typeof Sink>;

export function sinkKind(kind: string): SinkKind<any> | undefined {
  return SINK_KINDS.find((k) => k.kind === kind);
}

/** One name per configured sink (two Slack channels are two sinks), used in results and retry progress. */
export function sinkName(sink: SinkSpec): string {
  return sinkKind(sink.kind)!.name(sink);
}
