// Running a watch on the time-skipping server with stubbed activities: probe outcomes scripted per
// check and hour, notifications recorded.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { startWatch, watchStatusOf } from '../../client/watches';
import type { CheckRequest, CheckResult, Notification } from '../../core/messages';
import type { Outcome, Plan } from '../../plan/schema';
import { createRunTier } from '../../activities/tiers';
import { workflowBundle } from './servers';

export type Scripted = Outcome | { outcome: Outcome; severity?: string; triggers?: string[] };

export interface Stub {
  calls: Array<{ checkId: string; hour: number }>;
  levers: string[];
  notifications: Notification[];
  documents: Array<{ seq: number; markdown: string }>;
  outcome: (checkId: string, hour: number) => Scripted;
  /** Investigation probes (run by an incident) that hang without a heartbeat, as on a lost worker. */
  hangInvestigations?: boolean;
  hung: number;
}

/** A stub with nothing recorded yet: every check passes unless `outcome` says otherwise. */
export function newStub(outcome: Stub['outcome'] = () => 'ok', hangInvestigations?: boolean): Stub {
  return { calls: [], levers: [], notifications: [], documents: [], outcome, hangInvestigations, hung: 0 };
}

export function stubActivities(stub: Stub) {
  const runCheck = async (req: CheckRequest): Promise<CheckResult> => {
    stub.calls.push({ checkId: req.checkId, hour: req.hour });
    if (stub.hangInvestigations && Context.current().info.workflowType === 'incidentWorkflow') {
      stub.hung++;
      await Context.current().cancelled; // until the server gives the attempt up, or the worker stops
    }
    const scripted = stub.outcome(req.checkId, req.hour);
    const { outcome, severity, triggers } =
      typeof scripted === 'string' ? { outcome: scripted, severity: undefined, triggers: [] } : scripted;
    return {
      checkId: req.checkId,
      hour: req.hour,
      outcome,
      ...(outcome === 'ok' ? {} : { severity: severity ?? req.check.severity }),
      reason: outcome === 'ok' ? 'all conditions hold' : `stubbed ${outcome}`,
      conditions: [],
      durationMs: 5,
      metric: 5,
      triggers: triggers ?? [],
      evidence: `evidence of ${req.checkId} at hour ${req.hour}`,
      startedAt: new Date().toISOString(),
    };
  };
  return {
    runCheck,
    // A slot's checks through the real tier runner, each as the stub's runCheck.
    runTier: createRunTier(runCheck),
    async notify(req: { notification: Notification }) {
      stub.notifications.push(req.notification);
      return { delivered: ['console'], failed: [], unconfigured: [] };
    },
    async pullLever(req: { lever: string }) {
      stub.levers.push(req.lever);
      return { ok: true, steps: [{ step: `stub ${req.lever}`, ok: true, detail: 'exit 0', durationMs: 1 }] };
    },
    async writeIncidentDoc(req: { seq: number; markdown: string }) {
      stub.documents.push(req);
      return { path: `reports/test/incidents/incident-${req.seq}.md` };
    },
    async writeReport(req: { kind: string; hour: number }) {
      return { path: `reports/test/${req.kind}-${req.hour}.md` };
    },
  };
}

export function stubbedWatch(env: TestWorkflowEnvironment, defaultPlan: Plan) {
  return async function withWatch(
    opts: { outcome?: Stub['outcome']; continueAsNewAfterHours?: number; plan?: Plan; hangInvestigations?: boolean },
    body: (id: string, stub: Stub) => Promise<void>,
  ): Promise<Stub> {
    const stub = newStub(opts.outcome, opts.hangInvestigations);
    const taskQueue = `tq-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: stubActivities(stub),
    });
    await worker.runUntil(async () => {
      const started = await startWatch(env.client, {
        plan: opts.plan ?? defaultPlan,
        release: { service: 'symphony', version: `v1.${randomUUID().slice(0, 8)}`, deployedAt: new Date().toISOString() },
        startedBy: 'test',
        taskQueue,
        continueAsNewAfterHours: opts.continueAsNewAfterHours,
      });
      try {
        await body(started.workflowId, stub);
      } finally {
        // A watch or incident left running would hold the test server's clock for the next test.
        const incidents = await watchStatusOf(env.client, started.workflowId).then(
          (s) => s.incidents.map((i) => i.id),
          () => [],
        );
        for (const id of [started.workflowId, ...incidents])
          await env.client.workflow
            .getHandle(id)
            .terminate('test over')
            .catch(() => undefined);
      }
    });
    return stub;
  };
}
