// See v1.ts: the same workflow type, changed after its first timer.
import { condition, setHandler, sleep } from '@temporalio/workflow';
import { bump } from './v1';

export { bump };

export async function repairSubject(): Promise<number> {
  let count = 0;
  setHandler(bump, (n) => (count += n));
  await sleep('100ms');
  await sleep('100ms');
  await condition(() => count >= 2);
  return count;
}
