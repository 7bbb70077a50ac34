// The service endpoints the watch probes: status, policy, routing, fast health, dashboard.

import type { Route } from '../context';
import { renderDashboard } from '../dashboard';
import { html, HttpError, json, jsonBody } from '../http';
import { logRoute } from '../log-events';
import { addSpend } from '../state';
import { cardsView, decide, healthView, killSwitchOn, policyView, statusView } from '../views';

export const serviceRoutes: Route[] = [
  {
    method: 'GET',
    path: '/orchestrator/status',
    probe: true,
    slow: true,
    handler: (ctx) => json(200, statusView(ctx.faults)),
  },
  {
    method: 'GET',
    path: '/policy',
    probe: true,
    handler: (ctx) => json(200, policyView(ctx.state, ctx.faults)),
  },
  {
    method: 'POST',
    path: '/route/decide',
    probe: true,
    traffic: true,
    handler: (ctx, req) => {
      const body = jsonBody(req);
      const { task, loa } = body;
      if (typeof task !== 'string' || !/^[\w-]{1,64}$/.test(task)) {
        throw new HttpError(400, { error: 'task must be a word of letters, digits, - or _' });
      }
      if (typeof loa !== 'number' || !Number.isInteger(loa) || loa < 0 || loa > 5) {
        throw new HttpError(400, { error: 'loa must be an integer from 0 to 5' });
      }
      const d = decide({ task, loa }, ctx.state, ctx.faults);
      addSpend(ctx.state, d.cost);
      logRoute(ctx.log, d, killSwitchOn(ctx.state, ctx.faults));
      ctx.metrics.decisions.inc({ decision: d.decision });
      return json(200, d);
    },
  },
  {
    method: 'GET',
    path: '/health/fast',
    probe: true,
    slow: true,
    traffic: true,
    handler: (ctx, req) => json(200, healthView(ctx.faults, Date.now() - req.startedAt)),
  },
  {
    method: 'GET',
    path: '/',
    probe: true,
    handler: (ctx) => html(200, renderDashboard(cardsView(ctx.state, ctx.faults).cards, ctx.faults.list())),
  },
  {
    method: 'GET',
    path: '/api/cards',
    probe: true,
    handler: (ctx) => json(200, cardsView(ctx.state, ctx.faults)),
  },
  {
    method: 'POST',
    path: '/dash/refresh',
    probe: true,
    handler: (ctx) => {
      ctx.state.refreshes++;
      return json(200, { refreshed: true });
    },
  },
];
