// Everything that touches the world, registered on the worker as one set of activities.
export { runCheck } from './checks';
export { notify } from './notify';
export { pullLever } from './levers';
export { writeIncidentDoc, writeReport } from './reports';
