// Scripted faults by watch hour. The pure part (faultsAt, stepsBetween, validateTimeline)
// computes; the applier and the player change a simulator.

import { normalizeFault, type FaultName, type FaultParams } from './faults';

export interface FaultSpec {
  name: string;
  params?: FaultParams;
}

/** At `hour`: clear the named faults ("*" clears all), then set the listed ones. */
export interface TimelineStep {
  hour: number;
  set?: FaultSpec[];
  clear?: string[];
}

export interface FaultControl {
  setFault(name: string, params?: FaultParams): unknown;
  clearFault(name: string): unknown;
  clearAll(): unknown;
}

/** Steps in hour order; steps of the same hour keep their written order. */
function ordered(steps: readonly TimelineStep[]): TimelineStep[] {
  return steps
    .map((step, i) => ({ step, i }))
    .sort((a, b) => a.step.hour - b.step.hour || a.i - b.i)
    .map((x) => x.step);
}

/** The steps with after < hour <= upTo, in the order they apply. */
export function stepsBetween(steps: readonly TimelineStep[], after: number, upTo: number): TimelineStep[] {
  return ordered(steps).filter((s) => s.hour > after && s.hour <= upTo);
}

/** The faults active at `hour` when every step up to it has applied (parameters normalised). */
export function faultsAt(steps: readonly TimelineStep[], hour: number): { name: FaultName; params: FaultParams }[] {
  const active = new Map<string, { name: FaultName; params: FaultParams }>();
  for (const step of stepsBetween(steps, -Infinity, hour)) {
    for (const name of step.clear ?? []) {
      if (name === '*') active.clear();
      else active.delete(name);
    }
    for (const f of step.set ?? []) active.set(f.name, normalizeFault(f.name, f.params ?? {}));
  }
  return [...active.values()];
}

/** Every problem in a timeline, with its path; empty when it is valid. */
export function validateTimeline(steps: unknown): string[] {
  if (!Array.isArray(steps)) return ['timeline: must be an array of steps'];
  const errors: string[] = [];
  steps.forEach((step: Partial<TimelineStep>, i) => {
    const at = `timeline[${i}]`;
    if (typeof step?.hour !== 'number' || !Number.isFinite(step.hour) || step.hour < 0) {
      errors.push(`${at}.hour: must be a number >= 0`);
    }
    (step?.set ?? []).forEach((f, j) => {
      try {
        normalizeFault(f?.name, f?.params ?? {});
      } catch (err) {
        errors.push(`${at}.set[${j}]: ${(err as Error).message}`);
      }
    });
    (step?.clear ?? []).forEach((name, j) => {
      if (name !== '*') {
        try {
          normalizeFault(name, {});
        } catch (err) {
          errors.push(`${at}.clear[${j}]: ${(err as Error).message}`);
        }
      }
    });
  });
  return errors;
}

export function applyStep(sim: FaultControl, step: TimelineStep): void {
  for (const name of step.clear ?? []) {
    if (name === '*') sim.clearAll();
    else sim.clearFault(name);
  }
  for (const f of step.set ?? []) sim.setFault(f.name, f.params);
}

/**
 * Applies each step once, as watch hours pass: advanceTo(h) runs the steps after the last
 * hour reached, up to h. Faults changed by other hands (a restart lever) stay changed.
 */
export function createTimelineApplier(sim: FaultControl, steps: readonly TimelineStep[]) {
  let reached = -Infinity;
  return {
    get hour(): number {
      return reached;
    },
    advanceTo(hour: number): TimelineStep[] {
      const due = stepsBetween(steps, reached, hour);
      for (const step of due) applyStep(sim, step);
      reached = Math.max(reached, hour);
      return due;
    },
  };
}

/** Plays a timeline on the wall clock: watch hour h starts at startMs + h * hourMs. */
export function playTimeline(sim: FaultControl, steps: readonly TimelineStep[], hourMs: number, startMs = Date.now()): { stop(): void } {
  const applier = createTimelineApplier(sim, steps);
  const hours = [...new Set(ordered(steps).map((s) => s.hour))];
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    const now = (Date.now() - startMs) / hourMs;
    applier.advanceTo(now);
    const next = hours.find((h) => h > now);
    if (next !== undefined) timer = setTimeout(tick, Math.max(0, startMs + next * hourMs - Date.now())).unref();
  };
  tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
