// The simulator's mutable in-memory state (everything that is not a fault).

export const BUDGET_CEILING = 5.0;
export const CURRENCY = 'USD';

export interface SimState {
  readonly startedAt: number;
  readonly timeScale: number;
  restarts: number;
  killSwitch: 0 | 1;
  profile: string;
  /** Set by conservative mode (ORCHESTRA_ENV=prod): autonomy and route LOA are capped to it. */
  loaCap: number | null;
  neo4j: 'up' | 'down';
  refreshes: number;
  reports: number;
  /** Spend per simulated day (YYYY-MM-DD). */
  spent: Record<string, number>;
  requests: Record<string, number>;
}

export function createState(timeScale: number, startedAt = Date.now(), reports = 0): SimState {
  return {
    startedAt,
    timeScale,
    restarts: 0,
    killSwitch: 0,
    profile: 'prod',
    loaCap: null,
    neo4j: 'up',
    refreshes: 0,
    reports,
    spent: {},
    requests: {},
  };
}

const DAY_MS = 86_400_000;

/**
 * The simulated day (YYYY-MM-DD): simulated time runs 1/timeScale as fast as the wall clock,
 * and each day lasts 24 simulated hours from the simulator's start, dated from its start date.
 */
export function simDay(state: SimState, now = Date.now()): string {
  const days = Math.floor((now - state.startedAt) / state.timeScale / DAY_MS);
  return new Date(state.startedAt + days * DAY_MS).toISOString().slice(0, 10);
}

export function addSpend(state: SimState, cost: number, now = Date.now()): void {
  const day = simDay(state, now);
  state.spent[day] = round2((state.spent[day] ?? 0) + cost);
}

export function budget(state: SimState, now = Date.now()) {
  const day = simDay(state, now);
  return { spent: state.spent[day] ?? 0, ceiling: BUDGET_CEILING, currency: CURRENCY, day };
}

export function countRequest(state: SimState, key: string): void {
  state.requests[key] = (state.requests[key] ?? 0) + 1;
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
