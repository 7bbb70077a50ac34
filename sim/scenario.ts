// A sample 48-hour story for the demo: a few incidents that open, get handled and resolve.
// Not used by the simulator itself; the demo may play it or write its own.

import type { TimelineStep } from './timeline';

export const DEMO_TIMELINE: TimelineStep[] = [
  { hour: 3, set: [{ name: 'slow', params: { seconds: 45 } }] },
  { hour: 4, clear: ['slow'] },
  // Cleared by the automatic restart lever (ai-up), not by the timeline.
  { hour: 7, set: [{ name: 'service-offline', params: { service: 'ollama' } }] },
  { hour: 9, set: [{ name: 'overrides' }, { name: 'elevated-loa', params: { loa: 2 } }] },
  { hour: 11, clear: ['overrides', 'elevated-loa'] },
  { hour: 17, set: [{ name: 'peers-offline', params: { count: 2 } }] },
  { hour: 19, clear: ['peers-offline'] },
  { hour: 21, set: [{ name: 'cost-over-budget', params: { cost: 2.5 } }] },
  { hour: 22, clear: ['cost-over-budget'] },
  { hour: 30, set: [{ name: 'dashboard-red', params: { card: 'litellm' } }] },
  { hour: 31, clear: ['dashboard-red'] },
];
