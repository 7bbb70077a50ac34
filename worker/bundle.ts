// How the workflow code is bundled: the same for the worker, the tests, the bench and the replays.
import type { BundleOptions } from '@temporalio/worker';

export const workflowsPath = require.resolve('../workflows');

/**
 * Pure modules the workflows use, loaded once per worker and shared by every workflow it caches
 * rather than evaluated again for each one (with the Ed25519 tables, which are per module). They keep
 * no per-workflow state, call no workflow API and read no clock at load, so sharing them cannot leak
 * one watch into another; `test/unit/bundle.test.ts` holds them to that.
 */
export const preloadModules = [
  '../core/checkpoints',
  '../core/hours',
  '../core/incidents',
  '../core/levers',
  '../core/notices',
  '../core/rotation',
  '../core/schedule',
  '../core/signatures',
  '../core/state',
  '../core/status',
  '../plan/duration',
].map((m) => require.resolve(m));

/** Interceptors every workflow runs with (the stale-clock guard); a replay needs them as well. */
export const workflowInterceptorModules = [require.resolve('../workflows/interceptors')];

export const bundleOptions: Pick<BundleOptions, 'workflowsPath' | 'preloadModules' | 'workflowInterceptorModules'> = {
  workflowsPath,
  preloadModules,
  workflowInterceptorModules,
};
