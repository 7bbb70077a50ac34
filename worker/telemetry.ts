// The worker's telemetry: Prometheus metrics on an address (the SDK's own and release-watch's, one
// endpoint), and logs either as one JSON object per line for machines or as quiet text for people.
// The SDK's Runtime takes these once per process, before the first connection.
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

export type LogFormat = 'text' | 'json';

export interface TelemetryOptions {
  /** host:port to serve /metrics on, e.g. 0.0.0.0:9464. */
  metrics?: string;
  logFormat?: LogFormat;
  /** Default: WARN for text (the SDK's state changes are chatter to a person), INFO for JSON. */
  logLevel?: LogLevel;
}

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** `host:port` with a port, or why not. */
export function metricsAddressError(address: string): string | undefined {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  if (!m) return `--metrics needs host:port, e.g. 0.0.0.0:9464 (got "${address}")`;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return `--metrics: port ${port} is out of range (1-65535)`;
  return undefined;
}

export function parseLogLevel(level: string): LogLevel | undefined {
  const upper = level.toUpperCase() as LogLevel;
  return LEVELS.includes(upper) ? upper : undefined;
}

/** One line per log entry: JSON with time, level, message and the entry's fields. */
export function jsonLine(entry: LogEntry): string {
  const { sdkComponent, ...meta } = entry.meta ?? {};
  return JSON.stringify({
    time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
    level: entry.level.toLowerCase(),
    message: entry.message,
    ...(sdkComponent ? { component: sdkComponent } : {}),
    ...meta,
  });
}

function textLine(entry: LogEntry): string {
  const meta = entry.meta && Object.keys(entry.meta).length ? ` ${JSON.stringify(entry.meta)}` : '';
  return `${entry.level.toLowerCase()}: ${entry.message}${meta}`;
}

/** Installs the Runtime with these options; call before the first connection. */
export function installTelemetry(o: TelemetryOptions): void {
  const format = o.logFormat ?? 'text';
  const level = o.logLevel ?? (format === 'json' ? 'INFO' : 'WARN');
  const logger = new DefaultLogger(level, (entry) => process.stderr.write(`${format === 'json' ? jsonLine(entry) : textLine(entry)}\n`));
  Runtime.install({
    logger,
    ...(o.metrics
      ? {
          telemetryOptions: {
            metrics: { prometheus: { bindAddress: o.metrics, countersTotalSuffix: true, useSecondsForDurations: true } },
          },
        }
      : {}),
  });
}
