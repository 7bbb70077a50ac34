// Activity options, named, for every activity the workflows run. Retries are for our own
// infrastructure; a probe that answers badly is a result, not a failure. Durations are milliseconds:
// the SDK parses a duration string again on every activity it schedules.
import type { ActivityOptions } from '@temporalio/workflow';

/** How long a running probe may go without a heartbeat before its attempt is given up as lost. */
export const PROBE_HEARTBEAT_MS = 10_000;

/** Notifications, reports and incident documents: retried with backoff for several minutes. */
export const DELIVERY: ActivityOptions = {
  startToCloseTimeout: 60_000,
  heartbeatTimeout: 15_000,
  retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumInterval: 60_000, maximumAttempts: 8 },
};

/**
 * One run of a check's probe. It heartbeats while it runs: a probe lost with a crashed worker is retried
 * after PROBE_HEARTBEAT_MS, not after its whole timeout, while the next slot waits.
 */
export function probeRun(timeoutMs: number, summary: string): ActivityOptions {
  return {
    startToCloseTimeout: timeoutMs + 30_000,
    heartbeatTimeout: PROBE_HEARTBEAT_MS,
    retry: { initialInterval: 1_000, maximumAttempts: 3 },
    summary,
  };
}

/** A probe that has not returned this long after its own timeout is given up as hung (activities/tiers.ts). */
export const HUNG_GRACE_MS = 5_000;

/**
 * A tier run: the slot's checks in one activity, each bounded by its own timeout inside it, so the
 * activity's own timeout is the longest probe's. It heartbeats while it runs: a run lost with a crashed
 * worker is retried whole after PROBE_HEARTBEAT_MS.
 */
export function tierRun(longestTimeoutMs: number, summary: string): ActivityOptions {
  return {
    startToCloseTimeout: longestTimeoutMs + HUNG_GRACE_MS + 30_000,
    heartbeatTimeout: PROBE_HEARTBEAT_MS,
    retry: { initialInterval: 1_000, maximumAttempts: 3 },
    summary,
  };
}

/** The probes an incident runs for evidence when it opens. */
export function investigation(seq: number): ActivityOptions {
  return {
    startToCloseTimeout: 120_000,
    heartbeatTimeout: PROBE_HEARTBEAT_MS,
    retry: { maximumAttempts: 2 },
    summary: `investigate incident ${seq}`,
  };
}

/** A lever is never pulled twice by a retry: one attempt, and an unknown outcome is recorded as failed. */
export function leverPull(timeoutMs: number, summary: string): ActivityOptions {
  return { startToCloseTimeout: timeoutMs, retry: { maximumAttempts: 1 }, summary };
}
