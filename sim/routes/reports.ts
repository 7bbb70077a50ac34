// Daily report endpoints: the budget summary and the simple report file.

import type { Route } from '../context';
import { json } from '../http';
import { writeReport } from '../report';
import { budget } from '../state';
import { policyView, statusView } from '../views';

export const reportRoutes: Route[] = [
  {
    method: 'GET',
    path: '/reports/budget',
    probe: true,
    handler: (ctx) => json(200, budget(ctx.state)),
  },
  {
    method: 'POST',
    path: '/reports/simple',
    probe: true,
    handler: (ctx) => {
      const n = ++ctx.state.reports;
      const rel = writeReport(ctx.dir, {
        n,
        at: new Date().toISOString(),
        status: statusView(ctx.faults),
        policy: policyView(ctx.state, ctx.faults),
        budget: budget(ctx.state),
        requests: ctx.state.requests,
      });
      return json(200, { written: true, path: rel });
    },
  },
];
