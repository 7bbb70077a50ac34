// What every command shares: the connection, printing (text or JSON), option parsers, and the modules
// a command loads only when it runs (`validate` and `--help` never load the Temporal client).
import type { Client, WorkflowClientInterceptor } from '@temporalio/client';
import { temporalTarget } from '../../config/connection';

/** A usage mistake on the command line: exit 2 with the reason. */
export class Usage extends Error {}

export const watches = () => import('../watches');
export const plans = () => import('../../plan/validate');
export const keys = () => import('../keys');

export async function connect(): Promise<Client> {
  const target = temporalTarget();
  const { Client, Connection } = await import('@temporalio/client');
  const interceptors = { workflow: await clientTracing('release-watch-cli') };
  try {
    const connection = await Connection.connect({
      address: target.address,
      tls: target.tls,
      apiKey: target.apiKey,
      metadata: target.metadata,
      connectTimeout: '5s',
    });
    return new Client({ connection, namespace: target.namespace, interceptors });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${target.address} (TEMPORAL_ADDRESS, or a profile in the temporal CLI's config file): ${(err as Error).message}`,
    );
  }
}

let tracing = false;

/**
 * The client's trace interceptor when OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set: the
 * watch a command starts or answers joins the trace of the command (worker/tracing.ts). None otherwise.
 */
export async function clientTracing(service: string): Promise<WorkflowClientInterceptor[]> {
  // The OpenTelemetry modules load only when tracing is asked for.
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT && !process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return [];
  const { startTracing, tracesUrl, TracingError } = await import('../../worker/tracing');
  let url: string | undefined;
  try {
    url = tracesUrl(undefined);
  } catch (err) {
    if (err instanceof TracingError) throw new Usage(err.message);
    throw err;
  }
  if (!url) return [];
  startTracing(url, service);
  tracing = true;
  const { OpenTelemetryWorkflowClientInterceptor } = await import('@temporalio/interceptors-opentelemetry');
  return [new OpenTelemetryWorkflowClientInterceptor()];
}

/** Sends the command's spans before the process exits (nothing to do when tracing is off). */
export async function flushTracing(): Promise<void> {
  if (tracing) await (await import('../../worker/tracing')).stopTracing();
}

export function print(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text() + '\n');
}

export function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Usage(`${flag} must be a positive whole number (got "${v}")`);
  return n;
}

export const KEY_OPTION_HELP =
  'secret key file to sign with (else $RELEASE_WATCH_KEY, $RELEASE_WATCH_KEY_FILE, or <by>.key in $RELEASE_WATCH_KEYS)';
