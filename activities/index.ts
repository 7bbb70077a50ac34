// Everything that touches the world, made from its dependencies (the environment the probes, levers
// and sinks resolve against) and registered on the worker as one set of activities.
import type { Env } from '../core/vars';
import { createRunCheck } from './checks';
import { createPullLever } from './levers';
import { createNotify } from './notify';
import { createReportWriters } from './reports';
import { createRunTier } from './tiers';

export interface ActivityDeps {
  /** The worker's environment: vars overrides, sink URLs and keys, secrets. */
  env: Env;
}

export function createActivities(deps: ActivityDeps = { env: process.env }) {
  const runCheck = createRunCheck(deps.env);
  return {
    runCheck,
    runTier: createRunTier(runCheck),
    notify: createNotify(deps.env),
    pullLever: createPullLever(deps.env),
    ...createReportWriters(deps.env),
  };
}

export type Activities = ReturnType<typeof createActivities>;
