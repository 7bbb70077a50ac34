// The bench's baselines. The bare one: the least a durable ticking workflow can do, each tick one timer
// and one no-op activity, answering a bare echo update (no validator). The same-shape one: the floor of
// a watch's own shape, per slot as many no-op activities (side by side) as the watch runs checks then,
// on the watch's timers. Bundled on their own: a bare workflow carries none of the watch's modules.
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

/** A watch's shape: its slots (watch hours with something due) and how many checks each runs. */
export interface ShapeInput {
  slots: Array<{ hour: number; checks: number }>;
  hourMs: number;
}

/** Per slot: a timer until its hour (none when it is already due, as the watch), then its no-ops together. */
export async function shapeWorkflow(input: ShapeInput): Promise<number> {
  setHandler(echoUpdate, (x: unknown) => x);
  const startedAt = Date.now();
  let activities = 0;
  for (const slot of input.slots) {
    const due = startedAt + slot.hour * input.hourMs;
    if (due > Date.now()) await sleep(due - Date.now());
    await Promise.all(Array.from({ length: slot.checks }, () => noop(slot.hour)));
    activities += slot.checks;
  }
  return activities;
}
