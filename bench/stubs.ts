// Activities for the bench: fast no-ops, so the bench measures the workflow machinery (server,
// worker, histories), not probes. Unlike test/helpers/stubs.ts they record nothing, so a worker
// holding thousands of watches does not grow with their calls.
import type { CheckRequest, CheckResult } from '../core/messages';

export function benchActivities() {
  return {
    async runCheck(req: CheckRequest): Promise<CheckResult> {
      return {
        checkId: req.checkId,
        hour: req.hour,
        outcome: 'ok',
        reason: 'all conditions hold',
        conditions: [],
        durationMs: 1,
        metric: 1,
        triggers: [],
        evidence: 'stub',
        startedAt: new Date().toISOString(),
      };
    },
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
    /** The baseline's activity. */
    async noop(tick: number): Promise<number> {
      return tick;
    },
  };
}

export type BenchActivities = ReturnType<typeof benchActivities>;
