// Tracing with OpenTelemetry, exported over OTLP/HTTP when an endpoint is configured: the CLI's or
// serve's start of a watch, the watch and incident workflows, and each activity (a tier run, a
// notification, a lever) with a span per probe and per sink delivery inside it, all one trace. Off
// (no provider registered, nothing injected, the untraced workflow code) when no endpoint is given.
import * as otel from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** The standard variables: a base URL (traces at /v1/traces), or the traces URL itself. */
export const OTLP_ENDPOINT_ENV = 'OTEL_EXPORTER_OTLP_ENDPOINT';
export const OTLP_TRACES_ENDPOINT_ENV = 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';

/**
 * Where traces go: `--otlp <url>` (a collector's base URL, e.g. http://collector:4318), else the
 * standard variables; undefined when tracing is off. A value that is not an http(s) URL throws, naming it.
 */
export function tracesUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const [value, where, full] =
    flag !== undefined
      ? [flag, '--otlp', false]
      : env[OTLP_TRACES_ENDPOINT_ENV]
        ? [env[OTLP_TRACES_ENDPOINT_ENV]!, OTLP_TRACES_ENDPOINT_ENV, true]
        : env[OTLP_ENDPOINT_ENV]
          ? [env[OTLP_ENDPOINT_ENV]!, OTLP_ENDPOINT_ENV, false]
          : [undefined, '', false];
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new TracingError(`${where} must be an http(s) URL such as http://collector:4318 (got "${value}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TracingError(`${where} must be an http(s) URL such as http://collector:4318 (got "${value}")`);
  if (full || url.pathname.endsWith('/v1/traces')) return url.toString();
  return `${url.toString().replace(/\/$/, '')}/v1/traces`;
}

export class TracingError extends Error {}

export interface Tracing {
  processor: SpanProcessor;
  resource: Resource;
  /** Sends what is buffered and stops: call before the process exits, or its last spans are lost. */
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/** Registers the process-wide tracer provider that exports to `url` (once per process; later calls get the same). */
export function startTracing(url: string, serviceName: string): Tracing {
  if (active) return active;
  const resource = new Resource({ 'service.name': serviceName });
  // Spans leave in batches, at most a second after they end; a collector that is down costs dropped
  // spans, never a stalled probe or workflow.
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url, timeoutMillis: 5_000 }), { scheduledDelayMillis: 1_000 });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  // A context manager so a span is current across awaits (the activity's span is the parent of its
  // probes'), and the W3C propagator the interceptors carry the trace in Temporal headers with.
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  active = { processor, resource, shutdown: () => provider.shutdown() };
  return active;
}

/** Flushes and stops tracing when it was started (the CLI before it exits). */
export async function stopTracing(): Promise<void> {
  const t = active;
  active = undefined;
  await t?.shutdown();
}

const tracer = () => otel.trace.getTracer('release-watch');

/**
 * Runs `fn` in a span named `name` under the current one (a no-op span when tracing is off); the
 * span records an exception and error status when `fn` throws, and `attributes` set by `fn` as it goes.
 */
export async function inSpan<T>(name: string, attributes: otel.Attributes, fn: (span: otel.Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: otel.SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}
