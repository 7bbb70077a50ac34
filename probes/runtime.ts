// What the probes share: the activity context when there is one (tests call probes
// directly), heartbeats, cancellation, and telling our own faults from the service's.
import { Context } from '@temporalio/activity';

const DEFAULT_HEARTBEAT_MS = 10_000;

export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats while a long probe runs, inside an activity only; returns the function that stops them. */
export function startHeartbeats(progress: () => unknown = () => undefined): () => void {
  const context = activityContext();
  if (!context) return () => undefined;
  const timeout = context.info.heartbeatTimeoutMs;
  const every = timeout ? Math.max(500, Math.floor(timeout / 3)) : DEFAULT_HEARTBEAT_MS;
  const timer = setInterval(() => context.heartbeat(progress()), every);
  timer.unref();
  return () => clearInterval(timer);
}

/** Aborts when the activity is cancelled; undefined outside an activity. */
export function cancellationSignal(): AbortSignal | undefined {
  return activityContext()?.cancellationSignal;
}

/** The machine running the probe is out of processes, files or memory: Temporal should retry elsewhere or later. */
const RESOURCE_EXHAUSTION = new Set(['EMFILE', 'ENFILE', 'ENOMEM', 'EAGAIN', 'ENOSPC']);

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isResourceExhaustion(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = errorCode(e);
    if (code && RESOURCE_EXHAUSTION.has(code)) return true;
  }
  return false;
}

/** Keeps the first `max` bytes of a stream and counts (but drops) the rest. */
export class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  dropped = 0;

  constructor(private readonly max: number) {}

  add(chunk: Buffer): void {
    const room = this.max - this.kept;
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(part);
      this.kept += part.length;
    }
    this.dropped += Math.max(0, chunk.length - Math.max(room, 0));
  }

  /** Bytes received, kept or not. */
  get seen(): number {
    return this.kept + this.dropped;
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Output or a response body as JSON, when it is JSON. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
