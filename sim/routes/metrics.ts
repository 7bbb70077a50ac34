// The service's metrics for Prometheus to scrape (not a probe endpoint: hang and garbage leave it alone).

import type { Route } from '../context';
import { EXPOSITION_TYPE } from '../metrics';

export const metricsRoutes: Route[] = [
  {
    method: 'GET',
    path: '/metrics',
    handler: (ctx) => ({ status: 200, type: EXPOSITION_TYPE, body: ctx.metrics.render() }),
  },
];
