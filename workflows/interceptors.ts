// The workflow interceptors bundled with the workflows (worker/bundle.ts): one per workflow run.
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { ClockGuard } from './clock';

export const interceptors: WorkflowInterceptorsFactory = () => {
  const clock = new ClockGuard();
  return {
    internals: [
      {
        activate(input, next) {
          // The SDK has set the activation's time and history length by now; its jobs have not run.
          // A query activation carries no new time (and changes nothing), so it is not observed.
          const isQuery = input.activation.jobs?.some((j) => j.queryWorkflow != null) ?? false;
          if (input.batchIndex === 0 && !isQuery) clock.observe();
          next(input);
        },
      },
    ],
  };
};
