// A stand-in for a careless edit to the watch: every activity is now preceded by a short timer, with
// no patched() guard. Bundled as a workflow interceptor so the replay test can show it is caught.
import { sleep, WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      async scheduleActivity(input, next) {
        await sleep(1);
        return next(input);
      },
    },
  ],
});
