// Fault switches and introspection for tests and the demo.

import type { Route, SimContext } from '../context';
import { FAULT_NAMES, FaultError } from '../faults';
import { HttpError, json, jsonBody } from '../http';
import { budget } from '../state';
import { policyView } from '../views';

function guarded<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof FaultError) throw new HttpError(400, { error: err.message });
    throw err;
  }
}

export function adminState(ctx: SimContext) {
  const { state, faults } = ctx;
  return {
    restarts: state.restarts,
    requests: { ...state.requests },
    faults: faults.list(),
    policy: policyView(state, faults),
    loaCap: state.loaCap,
    neo4j: state.neo4j,
    refreshes: state.refreshes,
    reports: state.reports,
    budget: budget(state),
    hanging: ctx.gate.count,
  };
}

export const adminRoutes: Route[] = [
  {
    method: 'GET',
    path: '/admin/faults',
    handler: (ctx) => json(200, { faults: ctx.faults.list(), available: FAULT_NAMES }),
  },
  {
    method: 'POST',
    path: '/admin/faults',
    handler: (ctx, req) => {
      const { name, params } = jsonBody(req);
      return json(200, { fault: guarded(() => ctx.faults.set(name, params ?? {})) });
    },
  },
  {
    method: 'DELETE',
    path: '/admin/faults',
    handler: (ctx) => json(200, { cleared: ctx.faults.clearAll() }),
  },
  {
    method: 'DELETE',
    path: /^\/admin\/faults\/(?<name>[^/]+)$/,
    name: '/admin/faults/:name',
    handler: (ctx, req) => {
      let name: string;
      try {
        name = decodeURIComponent(req.params.name);
      } catch {
        throw new HttpError(400, { error: 'bad fault name' });
      }
      return json(200, { name, cleared: guarded(() => ctx.faults.clear(name)) });
    },
  },
  {
    method: 'GET',
    path: '/admin/state',
    handler: (ctx) => json(200, adminState(ctx)),
  },
];
