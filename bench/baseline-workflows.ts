// The bench's baseline: the least a durable ticking workflow can do. Each tick is one timer and one
// no-op activity, and it answers a bare echo update (no validator). Bundled with the watch workflows
// (bench/workflows.ts) so both run on the same worker and replay with the same bundle.
import { defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { BenchActivities } from './stubs';

export interface BaselineInput {
  /** Ticks to run before returning. */
  ticks: number;
  /** Timer length of each tick (ms). */
  tickMs: number;
}

/** Returns its argument: the floor of an update round trip. */
export const echoUpdate = defineUpdate<unknown, [unknown]>('echo');

const { noop } = proxyActivities<BenchActivities>({ startToCloseTimeout: '1 minute' });

export async function baselineWorkflow(input: BaselineInput): Promise<number> {
  setHandler(echoUpdate, (x: unknown) => x);
  for (let tick = 0; tick < input.ticks; tick++) {
    await sleep(input.tickMs);
    await noop(tick);
  }
  return input.ticks;
}
