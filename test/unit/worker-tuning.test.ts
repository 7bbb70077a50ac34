// `release-watch worker`'s tuning flags become the SDK's worker options; a flag left out leaves the
// default of createWorker (worker/worker.ts) or the SDK in place.
import { tuning } from '../../worker/main';
import { runnerOptions } from '../../worker/runners';

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

// One runner per workflow thread (worker/runners.ts): the process-wide limits are shared among them.
test('a runner gets its share of each limit, rounded up, and one workflow thread', () => {
  const total = tuning({ cache: 1001, workflowSlots: 20, activitySlots: 5, workflowThreads: 4, stickyTimeout: '5s' });
  expect(runnerOptions(total, 4)).toEqual({
    maxCachedWorkflows: 251,
    maxConcurrentWorkflowTaskExecutions: 5,
    maxConcurrentActivityTaskExecutions: 2,
    workflowThreadPoolSize: 1,
    stickyQueueScheduleToStartTimeout: '5s',
  });
});

test("a runner's share never falls below what the SDK accepts, and a disabled cache stays disabled", () => {
  expect(
    runnerOptions({ maxCachedWorkflows: 3, maxConcurrentWorkflowTaskExecutions: 2, maxConcurrentActivityTaskExecutions: 1 }, 8),
  ).toEqual({
    maxCachedWorkflows: 2,
    maxConcurrentWorkflowTaskExecutions: 2,
    maxConcurrentActivityTaskExecutions: 1,
    workflowThreadPoolSize: 1,
  });
  expect(runnerOptions({ maxCachedWorkflows: 0 }, 2).maxCachedWorkflows).toBe(0);
  // Limits left to the SDK stay unset: each runner takes the SDK's default.
  expect(runnerOptions({}, 2)).toEqual({ workflowThreadPoolSize: 1 });
});

test('a runner count that is not a whole number of 1 or more is refused', () => {
  expect(() => runnerOptions({}, 0)).toThrow('runners must be a whole number of 1 or more (got 0)');
  expect(() => runnerOptions({}, 1.5)).toThrow('(got 1.5)');
});
