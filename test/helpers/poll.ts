// Waiting for state by polling it, never by sleeping a fixed time.

/** A wait given up because its `signal` aborted (in the chaos suite: the run is over). */
export class Over extends Error {
  constructor() {
    super('the chaos run is over');
  }
}

/** Polls `probe` until it returns a value (not undefined/false); errors count as "not yet" (a server or worker may be restarting) and the last one is in the timeout's message. */
export async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 60_000,
  everyMs = 100,
  signal?: AbortSignal,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (signal?.aborted) throw new Over();
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
