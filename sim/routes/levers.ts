// The emergency levers: restart services (ai-up, reading ORCHESTRA_KILL / ORCHESTRA_ENV) and
// neo4j-down. They are actions, not probes: `hang` and `garbage` leave them alone.

import type { Route } from '../context';
import { HttpError, json, jsonBody } from '../http';
import { policyView, statusView } from '../views';

function envOf(body: Record<string, unknown>): Record<string, string> {
  const env = body.env ?? {};
  if (env === null || typeof env !== 'object' || Array.isArray(env)) {
    throw new HttpError(400, { error: 'env must be an object of strings' });
  }
  for (const [k, v] of Object.entries(env)) {
    if (typeof v !== 'string') throw new HttpError(400, { error: `env.${k} must be a string` });
  }
  const profile = (env as Record<string, unknown>).ORCHESTRA_ENV;
  if (typeof profile === 'string' && !/^[a-z][\w-]{0,31}$/.test(profile)) {
    throw new HttpError(400, { error: 'ORCHESTRA_ENV must be a profile name' });
  }
  return env as Record<string, string>;
}

export const leverRoutes: Route[] = [
  {
    method: 'POST',
    path: '/services/up',
    handler: (ctx, req) => {
      const env = envOf(jsonBody(req));
      const { state, faults, log } = ctx;
      state.restarts++;
      faults.clear('service-offline');
      log.trigger('restart', { services: ['ollama', 'litellm'], restarts: state.restarts });
      // Variables not passed keep their previous effect.
      if (env.ORCHESTRA_KILL !== undefined) {
        state.killSwitch = env.ORCHESTRA_KILL === '1' ? 1 : 0;
        if (state.killSwitch) log.trigger('policy', { kill_switch: 1, source: 'ORCHESTRA_KILL' });
      }
      if (env.ORCHESTRA_ENV !== undefined) {
        state.profile = env.ORCHESTRA_ENV;
        state.loaCap = env.ORCHESTRA_ENV === 'prod' ? 1 : null;
        faults.clear('profile-drift');
        log.trigger('policy', { profile: state.profile, loa_cap: state.loaCap });
      }
      return json(200, {
        restarted: true,
        restarts: state.restarts,
        ...statusView(faults),
        policy: policyView(state, faults),
      });
    },
  },
  {
    method: 'POST',
    path: '/db/down',
    handler: (ctx) => {
      ctx.state.neo4j = 'down';
      ctx.log.trigger('db', { neo4j: 'down' });
      return json(200, { neo4j: 'down' });
    },
  },
];
