// The cluster smoke suite's workflow: the watch's shape in small (it shows itself through the
// release-watch search attributes, waits on a timer, then runs an activity).
import { proxyActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { SA } from '../../workflows/definitions';

export interface SmokeActivities {
  greet(service: string): Promise<string>;
}

const { greet } = proxyActivities<SmokeActivities>({ startToCloseTimeout: '10 seconds' });

export async function timerThenActivity(service: string, timerMs: number): Promise<string> {
  upsertSearchAttributes([
    { key: SA.service, value: service },
    { key: SA.phase, value: 'waiting' },
  ]);
  await sleep(timerMs);
  const greeting = await greet(service);
  upsertSearchAttributes([{ key: SA.phase, value: 'done' }]);
  return greeting;
}
