// The workflow types the worker registers.
export { watchWorkflow } from './watch';
export { incidentWorkflow } from './incident';
