// Who is on call at a watch hour. Windows are in watch hours from the deploy, so there are no
// time zones or daylight-saving shifts to get wrong.
import { watchHours } from '../plan/duration';
import type { Plan } from '../plan/schema';

export interface OnCall {
  window: string;
  primary: string;
  backup: string;
  escalation: string;
}

export function onCallAt(plan: Plan, hour: number): OnCall {
  const windows = [...plan.rotation.windows].sort((a, b) => watchHours(a.from) - watchHours(b.from));
  // Past the last window (an extended watch) the last window's people stay on call.
  const w = windows.find((x) => hour >= watchHours(x.from) && hour < watchHours(x.to)) ?? windows[windows.length - 1];
  return { window: w.name, primary: w.primary, backup: w.backup, escalation: w.escalation };
}

/** The paging order for an unacknowledged incident: primary, backup, escalation, repeated `loops` times. */
export function escalationChain(plan: Plan, hour: number): string[] {
  const who = onCallAt(plan, hour);
  const chain: string[] = [];
  for (let i = 0; i < plan.rotation.loops; i++) chain.push(who.primary, who.backup, who.escalation);
  return chain;
}

export function personLabel(plan: Plan, id: string): string {
  const p = plan.people[id];
  return p?.handle ? `${p.name} (${p.handle})` : (p?.name ?? id);
}
