// A small workflow in two versions for the repair test: v2 changes what happens after the first
// timer (another timer where v1 ran an activity), so v1's history does not replay with v2.
import { condition, defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

export const bump = defineUpdate<number, [number]>('bump');
const { ping } = proxyActivities<{ ping(): Promise<void> }>({ startToCloseTimeout: '10s' });

export async function repairSubject(): Promise<number> {
  let count = 0;
  setHandler(bump, (n) => (count += n));
  await sleep('100ms');
  await ping();
  await condition(() => count >= 2);
  return count;
}
