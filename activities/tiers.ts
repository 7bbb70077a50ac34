// A tier run as one activity: the slot's checks side by side, each bounded by its own probe timeout,
// every result (outcome, reason, conditions, timing, evidence) returned in one payload that the Web UI
// shows as the activity's result. One activity per slot instead of one per check: a third of the
// server's round trips per watch hour (docs/benchmark.md). A worker lost mid-run stops heartbeating,
// and the whole run is retried after the heartbeat timeout: probes only observe, so running one again
// is safe, and the log cursors it reads from are the watch's, unchanged until the result is recorded.
import type { CheckRequest, CheckResult, TierCheck, TierRequest, TierResult } from '../core/messages';
import { formatDuration, parseDuration } from '../plan/duration';
import { activityContext, cancellationSignal } from '../probes/runtime';
import { HUNG_GRACE_MS } from '../workflows/options';

/** Attempts of a check whose probe threw (the worker out of processes, files or memory), as its own activity had. */
const ATTEMPTS = 3;

export type CheckRunner = (req: CheckRequest) => Promise<CheckResult>;

export interface TierTiming {
  /** How long after its own timeout a probe that has not returned is given up (HUNG_GRACE_MS). */
  graceMs: number;
  /** Pause before a thrown probe's next attempt, times the attempt. */
  retryMs: number;
}

export function createRunTier(runCheck: CheckRunner, timing: TierTiming = { graceMs: HUNG_GRACE_MS, retryMs: 1_000 }) {
  return async function runTier(req: TierRequest): Promise<TierResult> {
    const done: string[] = [];
    const stopHeartbeats = heartbeat(() => ({ hour: req.hour, done, of: req.checks.length }));
    try {
      const results = await Promise.all(
        req.checks.map(async (c) => {
          const r = await bounded(runCheck, checkRequest(req, c), c, timing);
          done.push(c.checkId);
          return r;
        }),
      );
      return { hour: req.hour, results };
    } finally {
      stopHeartbeats();
    }
  };
}

/** The request one check of the tier runs with: what `runCheck` took as its own activity. */
export function checkRequest(req: TierRequest, c: TierCheck): CheckRequest {
  return {
    watchId: req.watchId,
    checkId: c.checkId,
    hour: req.hour,
    check: c.check,
    vars: req.vars,
    release: req.release,
    severities: req.severities,
    triggers: c.triggers,
    cursor: c.cursor,
    first: c.first,
  };
}

/**
 * One check within the tier: its probe stops itself at its timeout; one that does not (a read stuck on
 * a dead mount) is given up HUNG_GRACE_MS later as a failed check, so it cannot hold the others'
 * results. A probe that threw (our own infrastructure, never the service) is tried again, and after its
 * last attempt is a failed check as before; a cancelled run (the activity given up) throws.
 */
async function bounded(runCheck: CheckRunner, req: CheckRequest, c: TierCheck, { graceMs, retryMs }: TierTiming): Promise<CheckResult> {
  const timeoutMs = parseDuration(c.check.probe.timeout);
  for (let attempt = 1; ; attempt++) {
    const startedAt = new Date().toISOString();
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => {
      timer = setTimeout(() => resolve('hung'), timeoutMs + graceMs);
    });
    try {
      const r = await Promise.race([runCheck(req), hung]);
      if (r !== 'hung') return r;
      const reason = `probe timed out after ${formatDuration(timeoutMs)} and did not stop (given up ${formatDuration(graceMs)} later)`;
      return failed(req, c, reason, startedAt, timeoutMs + graceMs);
    } catch (err) {
      // The activity was given up (cancelled, or its worker shutting down): the run is retried whole.
      if (cancellationSignal()?.aborted) throw err;
      if (attempt >= ATTEMPTS)
        return failed(req, c, `probe could not run: ${(err as Error)?.message ?? String(err)}`.slice(0, 500), startedAt, 0);
      await new Promise((r) => setTimeout(r, retryMs * attempt));
    } finally {
      clearTimeout(timer);
    }
  }
}

function failed(req: CheckRequest, c: TierCheck, reason: string, startedAt: string, durationMs: number): CheckResult {
  return {
    checkId: req.checkId,
    hour: req.hour,
    outcome: 'fail',
    severity: c.check.severity,
    reason,
    conditions: [],
    durationMs,
    triggers: [],
    evidence: reason,
    startedAt,
  };
}

/** Heartbeats for the whole run (what is done so far), inside an activity only. */
function heartbeat(progress: () => unknown): () => void {
  const context = activityContext();
  if (!context) return () => undefined;
  const every = Math.max(500, Math.floor((context.info.heartbeatTimeoutMs ?? 30_000) / 3));
  const timer = setInterval(() => context.heartbeat(progress()), every);
  timer.unref();
  return () => clearInterval(timer);
}
