// Holds requests while the `hang` fault is active; clearing the fault lets them through.

export class HangGate {
  private readonly waiters = new Set<() => void>();

  get count(): number {
    return this.waiters.size;
  }

  /** Resolves on release(); rejects when the signal aborts (client gone, simulator closing). */
  wait(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.waiters.delete(done);
        reject(signal.reason);
      };
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    for (const done of [...this.waiters]) done();
  }
}
