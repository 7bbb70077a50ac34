export { startSimulator, DEFAULT_HMAC_SECRET, type Simulator, type SimulatorOptions } from './server';
export { FAULT_NAMES, type ActiveFault, type FaultName, type FaultParams } from './faults';
export {
  applyStep,
  createTimelineApplier,
  faultsAt,
  playTimeline,
  stepsBetween,
  validateTimeline,
  type FaultControl,
  type FaultSpec,
  type TimelineStep,
} from './timeline';
export { DEMO_TIMELINE } from './scenario';
export { sign as signFederationBody } from './hmac';
