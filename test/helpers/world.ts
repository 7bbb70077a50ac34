// The real parts an end-to-end test stands on: the simulator, the worker's environment, a worker
// with the real activities, and waiting on the watch's own status rather than on the clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { watchStatusOf } from '../../client/watches';
import type { WatchStatus } from '../../core/status';
import type { Plan } from '../../plan/schema';
import { startSimulator, Simulator } from '../../sim';
import { workflowBundle } from './servers';

export interface World {
  sim: Simulator;
  dir: string;
  close(): Promise<void>;
}

/** Starts the simulator in a temp folder and points the worker's environment (this process) at it. */
export async function startWorld(timeScale = 1 / 30): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'rw-world-'));
  const secret = 'test-federation-secret';
  const sim = await startSimulator({ dir: join(dir, 'sim'), timeScale, hmacSecret: secret });
  Object.assign(process.env, {
    SYMPHONY_URL: sim.url,
    SYMPHONY_DASHBOARD_URL: sim.url,
    SYMPHONY_LOGS: join(dir, 'sim', 'logs'),
    LITELLM_LOG: join(dir, 'sim', 'logs', 'litellm.log'),
    FEDERATION_HMAC_SECRET: secret,
    RELEASE_WATCH_REPORTS: join(dir, 'reports'),
  });
  return {
    sim,
    dir,
    async close() {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function realWorker(env: TestWorkflowEnvironment, taskQueue: string): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ env: process.env }),
  });
}

/** Polls the watch's status until `ready` holds; fails with the last status when it does not in time. */
export async function waitForStatus(
  client: Client,
  id: string,
  ready: (s: WatchStatus) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<WatchStatus> {
  const until = Date.now() + timeoutMs;
  let last: WatchStatus | undefined;
  for (;;) {
    last = await watchStatusOf(client, id, 50);
    if (ready(last)) return last;
    if (Date.now() > until)
      throw new Error(
        `timed out waiting for ${what}; last status: ${JSON.stringify({ hour: last.hour, phase: last.phase, checks: last.checks }).slice(0, 3000)}`,
      );
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A short watch of the demo plan for tests: `hours` long, a faster clock, checkpoints within it only. */
export function shortPlan(plan: Plan, hours: number, clockHour: string): Plan {
  const tiers = Object.fromEntries(
    Object.entries(plan.tiers).map(([name, t]) => [
      name,
      t.at ? { ...t, at: t.at.filter((h) => parseInt(h) <= hours) } : { ...t, to: `${hours}h` },
    ]),
  );
  return {
    ...plan,
    clock: { hour: clockHour, duration: `${hours}h` },
    tiers: Object.fromEntries(Object.entries(tiers).filter(([, t]) => !t.at || t.at.length > 0)),
    checkpoints: plan.checkpoints.filter((c) => parseInt(c.at) <= hours),
  };
}
