// `release-watch worker`'s tuning flags become the SDK's worker options; a flag left out leaves the
// default of createWorker (worker/worker.ts) or the SDK in place.
import { tuning } from '../../worker/main';

test('each tuning flag sets its SDK option', () => {
  expect(tuning({ cache: 300, workflowSlots: 20, activitySlots: 50, workflowThreads: 1, stickyTimeout: '5s' })).toEqual({
    maxCachedWorkflows: 300,
    maxConcurrentWorkflowTaskExecutions: 20,
    maxConcurrentActivityTaskExecutions: 50,
    workflowThreadPoolSize: 1,
    stickyQueueScheduleToStartTimeout: '5s',
  });
});

test('no flags override nothing', () => {
  expect(tuning({})).toEqual({});
});
