// How the workflow code is bundled: the same for the worker, the tests, the bench and the replays.
import type { BundleOptions } from '@temporalio/worker';

export const workflowsPath = require.resolve('../workflows');

/**
 * Modules loaded once per worker and shared by every workflow it caches rather than evaluated again for
 * each one (with the Ed25519 tables, which are per module): the pure domain and the workflows' own
 * code. They keep no per-workflow state, read no clock at load and call no workflow API then but to
 * make activity proxies and message definitions (which bind to no workflow), so sharing them cannot
 * leak one watch into another; the SDK freezes what they export, and `test/unit/bundle.test.ts` holds
 * them to the rest. Three keep a cache of what they derive from a workflow's input alone: core/ed25519
 * (signers' public keys' tables, in its WebAssembly instance's memory), core/shared-plans (one frozen copy of each plan)
 * and plan/duration (what each duration string is in milliseconds).
 */
export const preloadModules = [
  '../core/checkpoints',
  '../core/ed25519',
  '../core/ed25519-wasm',
  '../core/hours',
  '../core/incidents',
  '../core/levers',
  '../core/notices',
  '../core/rotation',
  '../core/schedule',
  '../core/shared-plans',
  '../core/signatures',
  '../core/state',
  '../core/status',
  '../plan/duration',
  // The workflows themselves: their functions, classes and activity proxies. Each watch evaluating its
  // own copy was a fifth of its heap (docs/benchmark.md); their per-run state lives in the objects a run
  // makes (WatchRun, IncidentRun), never at module level.
  '../workflows/clock',
  '../workflows/definitions',
  '../workflows/options',
  '../workflows/metrics',
  '../workflows/interceptors',
  '../workflows/watch/run',
  '../workflows/watch/publish',
  '../workflows/watch/checks',
  '../workflows/watch/checkpoints',
  '../workflows/watch/levers',
  '../workflows/watch/incidents',
  '../workflows/watch/reports',
  '../workflows/watch/tiers',
  '../workflows/incident/run',
  '../workflows/incident/report',
  '../workflows/incident',
  '../workflows/watch',
  '../workflows',
].map((m) => require.resolve(m));

/** Interceptors every workflow runs with (the stale-clock guard); a replay needs them as well. */
export const workflowInterceptorModules = [require.resolve('../workflows/interceptors')];

export const bundleOptions: Pick<BundleOptions, 'workflowsPath' | 'preloadModules' | 'workflowInterceptorModules'> = {
  workflowsPath,
  preloadModules,
  workflowInterceptorModules,
};

/**
 * The same code with OpenTelemetry's workflow interceptors (worker/tracing.ts), for a worker that traces.
 * They add spans and trace headers, never a command, so a traced worker runs the same version as an
 * untraced one (worker/code.ts gives both the untraced code's build ID). Not preloaded: they keep the
 * workflow's tracer in module scope.
 */
export const tracedBundleOptions: typeof bundleOptions = {
  ...bundleOptions,
  workflowInterceptorModules: [
    ...workflowInterceptorModules,
    require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
  ],
};
