// What the SDK 1.24 bug does to an update (docs/sdk-query-bug.md), made to happen every time: the first
// delivery of each update is taken out of its activation, so the worker completes the task without
// answering it and the server rejects it as "not processed by worker". A second delivery of the same
// update ID goes through. Bundled as a workflow interceptor by the test that shows clients send again.
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

const seen = new Set<string>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  internals: [
    {
      activate(input, next) {
        const jobs = input.activation.jobs ?? [];
        const first = jobs.filter((j) => j.doUpdate?.id && !seen.has(j.doUpdate.id));
        for (const j of first) seen.add(j.doUpdate!.id!);
        if (first.length) input.activation.jobs = jobs.filter((j) => !first.includes(j));
        next(input);
      },
    },
  ],
});
