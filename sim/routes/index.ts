import type { Route } from '../context';
import { adminRoutes } from './admin';
import { federationRoutes } from './federation';
import { leverRoutes } from './levers';
import { metricsRoutes } from './metrics';
import { reportRoutes } from './reports';
import { serviceRoutes } from './service';

export const ROUTES: Route[] = [...serviceRoutes, ...federationRoutes, ...leverRoutes, ...reportRoutes, ...adminRoutes, ...metricsRoutes];
