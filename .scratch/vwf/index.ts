import { condition, defineSignal, setHandler, sleep } from '@temporalio/workflow';
export const go = defineSignal('go');
export async function tiny(): Promise<string> {
  let done = false;
  setHandler(go, () => void (done = true));
  await sleep(100);
  await condition(() => done);
  return 'ok';
}
