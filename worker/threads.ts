/**
 * Workflow threads per worker (the SDK's default is one). Each thread has its own V8 heap with about half
 * the cached watches, and the two run on two cores while the main thread polls. In the bench it kept the
 * answers' p99 tail nearer the echo's for 10–40% more worker CPU per task (docs/benchmark.md). A module of
 * its own so the CLI's help and the bench worker read it without loading the worker.
 */
export const WORKFLOW_THREADS = 2;
