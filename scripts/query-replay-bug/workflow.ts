// The smallest workflow that shows the SDK bug of test/replay/upstream.test.ts: a timer whose firing
// schedules an activity, an update whose handler schedules one too, and a query.
import { defineQuery, defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

export const countQuery = defineQuery<number>('count');
export const bumpUpdate = defineUpdate<number, []>('bump');
const { ping } = proxyActivities<{ ping(what: string): Promise<void> }>({ startToCloseTimeout: '10s' });

export async function tickWorkflow(): Promise<void> {
  let count = 0;
  setHandler(countQuery, () => count);
  setHandler(bumpUpdate, () => {
    void ping('bump');
    return ++count;
  });
  for (let tick = 0; tick < 20; tick++) {
    await sleep('3s');
    void ping(`tick ${tick}`);
  }
}
