// A stand-in for a queue worker that is not the Symphony simulator: the queue's stats (a state file a
// command prints) and the worker's text log of jobs done and failed.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BillingQueue {
  /** The command for the plan's `queue_stats` var (BILLING_QUEUE_STATS). */
  statsCommand: string;
  logFile: string;
  set(stats: Partial<Stats>): void;
  jobs(done: number, failed: number): void;
}

interface Stats {
  depth: number;
  oldestSeconds: number;
  consumers: number;
}

export function billingQueue(dir: string): BillingQueue {
  mkdirSync(dir, { recursive: true });
  const stateFile = join(dir, 'queue.json');
  const logFile = join(dir, 'worker.log');
  const stats: Stats = { depth: 3, oldestSeconds: 2, consumers: 4 };
  writeFileSync(stateFile, JSON.stringify(stats));
  writeFileSync(logFile, '');
  let job = 0;
  return {
    statsCommand: `${process.execPath} ${join(__dirname, 'queue-stats.mjs')} ${stateFile}`,
    logFile,
    set(s) {
      Object.assign(stats, s);
      writeFileSync(stateFile, JSON.stringify(stats));
    },
    jobs(done, failed) {
      const lines = [
        ...Array.from({ length: done }, () => `${new Date().toISOString()} INFO job ${++job} done in 120ms`),
        ...Array.from({ length: failed }, () => `${new Date().toISOString()} ERROR job ${++job} failed: card declined by the gateway`),
      ];
      appendFileSync(logFile, lines.map((l) => `${l}\n`).join(''));
    },
  };
}
