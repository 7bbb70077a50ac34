// What the bench's phases share: the run's context, its workers, small numeric helpers, and the
// cleanups that stop everything the bench started (also on Ctrl-C).
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Client } from '@temporalio/client';
import { quantile } from './history';
import type { Keys } from './plans';
import { startBenchWorker, type BenchWorker } from './worker';

export interface Ctx {
  client: Client;
  serverPid: number;
  address: string;
  /** The watch and incident workflows as the project's worker bundles them (workflows/index.ts). */
  watchBundle: string;
  /** The baseline workflows alone: a bare workflow carries none of the watch's modules. */
  baselineBundle: string;
  keys: Keys;
  stamp: string;
}

/** Run in reverse order at the end, on failure and on Ctrl-C. */
export const cleanups: Array<() => Promise<void> | void> = [];

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const r0 = (n: number) => Math.round(n);
export const r1 = (n: number) => Math.round(n * 10) / 10;
export const r2 = (n: number) => Math.round(n * 100) / 100;
export const r3 = (n: number) => Math.round(n * 1000) / 1000;
export const MB = 1024 * 1024;
/**
 * A full collection of the bench process's own heap, whichever way it was started: called between
 * timed requests, so that the client's garbage (signing every answer) is not collected inside one.
 */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();
export const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** CPU time (user + system, ms) a process has used, from /proc (0 where there is none). */
export function procCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(lanes);
  return out;
}

export async function newWorker(ctx: Ctx, name: string, kind: 'watch' | 'baseline', maxCachedWorkflows: number): Promise<BenchWorker> {
  const bundlePath = kind === 'watch' ? ctx.watchBundle : ctx.baselineBundle;
  const worker = await startBenchWorker({ address: ctx.address, taskQueue: `bench-${name}-${ctx.stamp}`, bundlePath, maxCachedWorkflows });
  cleanups.push(() => worker.kill());
  return worker;
}

export function release(ctx: Ctx, tag: string) {
  return { service: 'symphony', version: `b${ctx.stamp}-${tag}`, deployedAt: new Date().toISOString() };
}

export async function terminateAll(ctx: Ctx, ids: string[]): Promise<void> {
  await mapLimit(ids, 20, (id) =>
    ctx.client.workflow
      .getHandle(id)
      .terminate('bench phase over')
      .then(
        () => undefined,
        () => undefined,
      ),
  );
}

export interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export const latency = (xs: number[]): Latency => ({
  n: xs.length,
  p50: r2(quantile(xs, 0.5)),
  p99: r2(quantile(xs, 0.99)),
  max: r2(Math.max(...xs)),
});
