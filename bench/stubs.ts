// Activities for the bench: fast no-ops, so the bench measures the workflow machinery (server,
// worker, histories), not probes. Unlike test/helpers/stubs.ts they record nothing, so a worker
// holding thousands of watches does not grow with their calls. A slot's checks go through the real
// tier runner (activities/tiers.ts), so its own cost is in the worker's CPU.
import { createRunTier } from '../activities/tiers';
import type { CheckRequest, CheckResult } from '../core/messages';

/** A release whose version ends in this fails `FAILING_CHECK` at hour 0: an incident to answer (the answers phase). */
export const FAILING_RELEASE = '-failing';
export const FAILING_CHECK = 'fast-pulse';

export function benchActivities() {
  const runCheck = async (req: CheckRequest): Promise<CheckResult> => {
    const fail = req.hour === 0 && req.checkId === FAILING_CHECK && req.release.version.endsWith(FAILING_RELEASE);
    return {
      checkId: req.checkId,
      hour: req.hour,
      outcome: fail ? 'fail' : 'ok',
      ...(fail ? { severity: req.check.severity } : {}),
      reason: fail ? 'bench: failed on purpose' : 'all conditions hold',
      conditions: [],
      durationMs: 1,
      metric: 1,
      triggers: [],
      evidence: 'stub',
      startedAt: new Date().toISOString(),
    };
  };
  return {
    runCheck,
    runTier: createRunTier(runCheck),
    async notify(_req: unknown) {
      return { delivered: ['console'], failed: [] as Array<{ sink: string; error: string }>, unconfigured: [] as string[] };
    },
    async pullLever(req: { lever: string }) {
      return { ok: true, steps: [{ step: `stub ${req.lever}`, ok: true, detail: 'exit 0', durationMs: 1 }] };
    },
    async writeIncidentDoc(req: { seq: number }) {
      return { path: `reports/bench/incidents/incident-${req.seq}.md` };
    },
    async writeReport(req: { kind: string; hour: number }) {
      const base = `reports/bench/${req.kind}-${req.hour}`;
      return { path: `${base}.md`, json: `${base}.json`, html: `${base}.html` };
    },
    /** The baselines' activity. */
    async noop(tick: number): Promise<number> {
      return tick;
    },
  };
}

export type BenchActivities = ReturnType<typeof benchActivities>;
