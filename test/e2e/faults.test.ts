// Every fault the simulator offers that the plan covers, on the real dev server with the real
// activities: inject it, see the covering check give the outcome and severity the plan says,
// clear it, see the check heal after its success streak. Faults that hit different checks share
// a round. Waits follow the watch's own status (no fixed sleeps, no timed assertions).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { resolveIncident, startWatch } from '../../client/watches';
import type { IncidentRecord } from '../../core/incidents';
import type { WatchStatus } from '../../core/status';
import type { Plan } from '../../plan/schema';
import type { FaultParams } from '../../sim';
import { incidentQuery } from '../../workflows/definitions';
import { demoPlan } from '../helpers/plans';
import { devServerEnv } from '../helpers/servers';
import { realWorker, startWorld, waitForStatus, World } from '../helpers/world';

const HOUR_MS = 2500;
const WAIT_MS = 60_000;

let env: TestWorkflowEnvironment;
let world: World;
let worker: Worker;
let running: Promise<void>;
let plan: Plan;
let watchId: string | undefined;
let startedAt = 0;
const taskQueue = `e2e-faults-${randomUUID()}`;

/**
 * The demo plan as data for this test: every tier hourly (so every check runs each watch hour and
 * each fault is caught within one hour), no checkpoints, a watch far longer than the test,
 * notifications and documents in the test's folder. Checks, conditions and severities are the demo's.
 */
function faultPlan(dir: string): Plan {
  const demo = demoPlan({ hour: `${HOUR_MS}ms`, duration: '1000h' });
  const tiers = Object.fromEntries(
    Object.entries(demo.tiers).map(([name, t]) => [name, { ...t, every: '1h', from: '0h', to: '1000h', at: undefined, report: false }]),
  );
  return {
    ...demo,
    tiers,
    checkpoints: [],
    notify: { sinks: [{ kind: 'file', path: join(dir, 'notifications.jsonl') }], reportsDir: join(dir, 'reports') },
  } as Plan;
}

beforeAll(async () => {
  env = await devServerEnv();
  world = await startWorld();
  plan = faultPlan(world.dir);
  worker = await realWorker(env, taskQueue);
  running = worker.run();
}, 120_000);

afterAll(async () => {
  if (watchId)
    await env.client.workflow
      .getHandle(watchId)
      .terminate('end of the fault test')
      .catch(() => undefined);
  worker?.shutdown();
  await running;
  await env?.teardown();
  await world?.close();
}, 60_000);

// ---- watching the watch -------------------------------------------------------------------------

type Outcome = 'ok' | 'warn' | 'fail';
interface Seen {
  hour: number;
  outcome: Outcome;
  severity?: string;
  reason: string;
}

/** Every check result seen while polling, by check and watch hour (status shows only the last one). */
const seen: Record<string, Map<number, Seen>> = {};
function record(s: WatchStatus): void {
  for (const [id, c] of Object.entries(s.checks)) {
    if (c.last)
      (seen[id] ??= new Map()).set(c.last.hour, {
        hour: c.last.hour,
        outcome: c.last.outcome as Outcome,
        severity: c.last.severity,
        reason: c.last.reason,
      });
  }
}
function seenAfter(check: string, hour: number): Seen[] {
  return [...(seen[check]?.values() ?? [])].filter((r) => r.hour > hour).sort((a, b) => a.hour - b.hour);
}

/** The watch hour now, on the same clock the watch schedules by (its start time). */
function hourNow(): number {
  return (Date.now() - startedAt) / HOUR_MS;
}

function watch(ready: (s: WatchStatus) => boolean, what: string): Promise<WatchStatus> {
  return waitForStatus(
    env.client,
    watchId!,
    (s) => {
      record(s);
      return ready(s);
    },
    what,
    WAIT_MS,
  );
}

async function resolveAll(incidents: WatchStatus['incidents'], rootCause: string): Promise<void> {
  for (const i of incidents.filter((x) => x.state !== 'resolved')) {
    await resolveIncident(env.client, watchId!, { incident: i.id, by: 'release-captain', rootCause, resolution: 'fault cleared' });
  }
}

// ---- the faults and what the plan says of them ---------------------------------------------------

interface Expect {
  outcome: Exclude<Outcome, 'ok'>;
  severity?: string;
  reason?: RegExp;
  /**
   * 'first': the first run after the injection shows it (the probe reads state the fault set).
   * 'some': the log lines come from other probes' traffic in the same hour, so a run reads them
   * when they are there: some run after the injection shows it, and none shows worse.
   */
  when?: 'first' | 'some';
}

interface Round {
  name: string;
  faults: Array<{ name: string; params?: FaultParams }>;
  expect: Record<string, Expect>;
  /** Immediate escalations: an incident with this trigger on this check, critical, category security. */
  triggers?: Array<{ trigger: string; check: string }>;
  /** Checks expected to heal after the fault is cleared (default: all in `expect`). */
  recover?: string[];
  /** More to wait for before the round's assertions. */
  until?: (s: WatchStatus) => boolean;
  also?: (s: WatchStatus) => void;
}

const CHECKS = [
  'fast-pulse',
  'log-watch',
  'orchestrator-status',
  'policy-show',
  'route-decision',
  'dashboard-refresh',
  'dashboard-cards',
  'simple-report',
  'budget-report',
  'federation-ping',
];

const timedOut = /timed out after 3s/;
const notJson = (orElse: RegExp) => new RegExp(`^stdout is not JSON|${orElse.source}`);

/**
 * fast-pulse's [RESPONSE_TIME] is the whole `node sim/bin/just.mjs orchestra-fast` run: starting node
 * takes 0.2-0.9 s on this 2-core machine with ten probes at once, against the demo's 1 s pass band
 * (30 s / 30). A healthy pulse can so land in the warn band; that is not the fault under test.
 */
function startNoise(check: string, r: Seen): boolean {
  return check === 'fast-pulse' && r.outcome === 'warn' && /Response time/.test(r.reason);
}

// Every fault of sim/faults.ts but one: profile-drift (dev) still passes policy-show's `Profile: (dev|prod)`;
// the plan only counts it toward the scheduled config-drift finding of a daily report (none here).
const ROUNDS: Round[] = [
  {
    name: 'service-offline (ollama) + overrides',
    faults: [{ name: 'service-offline', params: { service: 'ollama' } }, { name: 'overrides' }],
    expect: {
      'fast-pulse': { outcome: 'fail', severity: 'critical', reason: /ollama operational/ },
      'orchestrator-status': { outcome: 'fail', severity: 'critical', reason: /ollama true/ },
      'dashboard-cards': { outcome: 'fail', severity: 'high', reason: /All status cards green/ },
      'log-watch': { outcome: 'warn', severity: 'medium', reason: /No warning patterns/ },
    },
    // restart-services is automatic (once) when fast-pulse or orchestrator-status fails critical:
    // the watch restarts the services itself, which brings ollama back before the test clears it.
    until: () => world.sim.state().restarts >= 1,
    also: (s) => {
      expect(world.sim.faults().map((f) => f.name)).not.toContain('service-offline');
      expect(world.sim.state().restarts).toBe(1);
      expect(s.events.filter((e) => e.kind === 'lever').map((e) => e.text)).toContainEqual(
        expect.stringMatching(/^restart-services requested by release-watch \(automatic\)/),
      );
    },
  },
  {
    name: 'six-word-fail + federation-disabled',
    faults: [{ name: 'six-word-fail' }, { name: 'federation-disabled' }],
    expect: {
      'fast-pulse': { outcome: 'fail', severity: 'critical', reason: /Six-word health checks pass/ },
      'orchestrator-status': { outcome: 'fail', severity: 'high', reason: /Federation: enabled true/ },
      'dashboard-cards': { outcome: 'fail', severity: 'high', reason: /All status cards green/ },
      'federation-ping': { outcome: 'fail', severity: 'high', reason: /Peer answers/ },
      // the refused pings log "federation ... error" lines
      'log-watch': { outcome: 'fail', severity: 'high', reason: /No alert patterns/, when: 'some' },
    },
  },
  {
    name: 'slow 30 s + autonomy-zero + routes-denied + peers-offline (1)',
    faults: [
      { name: 'slow', params: { seconds: 30 } },
      { name: 'autonomy-zero' },
      { name: 'routes-denied' },
      { name: 'peers-offline', params: { count: 1 } },
    ],
    expect: {
      // 30 s / 30 = 1 s, plus the 0.2-0.9 s it takes to start the node front: inside the 1-2 s warn band
      // (45 s, 1.5 s, measured up to 2.02 s here: on the band's edge)
      'fast-pulse': { outcome: 'warn', severity: 'medium', reason: /Response time/ },
      'policy-show': { outcome: 'fail', severity: 'high', reason: /Autonomy 1/ },
      'dashboard-cards': { outcome: 'fail', severity: 'high', reason: /All status cards green/ },
      'route-decision': { outcome: 'fail', severity: 'high', reason: /decision allowed/ },
      'log-watch': { outcome: 'fail', severity: 'high', reason: /No alert patterns/, when: 'some' },
      // one peer (peer-c) offline: inside the `< 2` warn band; loopback still answers pings
      'orchestrator-status': { outcome: 'warn', severity: 'high', reason: /Federation peers online/ },
    },
  },
  {
    name: 'slow 60 s + cloud-model + dashboard-red',
    faults: [{ name: 'slow', params: { seconds: 60 } }, { name: 'cloud-model' }, { name: 'dashboard-red', params: { card: 'litellm' } }],
    expect: {
      // 60 s / 30 = 2 s plus the front's start: past the 2 s warn band, under the 3 s probe timeout
      'fast-pulse': { outcome: 'fail', severity: 'medium', reason: /Response time/ },
      'route-decision': { outcome: 'warn', severity: 'high', reason: /Local model/ },
      'log-watch': { outcome: 'warn', severity: 'medium', reason: /No warning patterns/, when: 'some' },
      'dashboard-cards': { outcome: 'fail', severity: 'high', reason: /All status cards green/ },
    },
  },
  {
    name: 'kill-switch + peers-offline (2)',
    faults: [{ name: 'kill-switch' }, { name: 'peers-offline', params: { count: 2 } }],
    expect: {
      'policy-show': { outcome: 'fail', severity: 'critical', reason: /Kill switch off/ },
      'route-decision': { outcome: 'fail', severity: 'high', reason: /decision allowed/ },
      'log-watch': { outcome: 'fail', severity: 'high', reason: /No alert patterns/ },
      'dashboard-cards': { outcome: 'fail', severity: 'high', reason: /All status cards green/ },
      'orchestrator-status': { outcome: 'fail', severity: 'high', reason: /Federation peers online/ },
    },
    triggers: [
      { trigger: 'kill-switch-unapproved', check: 'policy-show' },
      { trigger: 'federation-peers-offline', check: 'orchestrator-status' },
    ],
  },
  {
    name: 'elevated-loa (2)',
    faults: [{ name: 'elevated-loa', params: { loa: 2 } }],
    expect: {
      'policy-show': { outcome: 'fail', severity: 'high', reason: /Autonomy 1/ },
      'route-decision': { outcome: 'warn', severity: 'high', reason: /LOA 1 for normal tasks/ },
      'log-watch': { outcome: 'warn', severity: 'medium', reason: /No warning patterns/, when: 'some' },
      'dashboard-cards': { outcome: 'fail', severity: 'high', reason: /All status cards green/ },
    },
    triggers: [{ trigger: 'unauthorised-loa', check: 'policy-show' }],
  },
  {
    name: 'federation-errors',
    faults: [{ name: 'federation-errors' }],
    expect: { 'log-watch': { outcome: 'fail', severity: 'high', reason: /No alert patterns/ } },
  },
  {
    name: 'log-timeouts (3)',
    faults: [{ name: 'log-timeouts', params: { count: 3 } }],
    expect: { 'log-watch': { outcome: 'fail', severity: 'high', reason: /No alert patterns/ } },
  },
  {
    name: 'hang',
    faults: [{ name: 'hang' }],
    expect: {
      'fast-pulse': { outcome: 'fail', severity: 'critical', reason: timedOut },
      'orchestrator-status': { outcome: 'fail', reason: timedOut },
      'policy-show': { outcome: 'fail', reason: timedOut },
      'route-decision': { outcome: 'fail', reason: timedOut },
      'dashboard-refresh': { outcome: 'fail', reason: timedOut },
      'dashboard-cards': { outcome: 'fail', severity: 'high', reason: timedOut },
      'simple-report': { outcome: 'fail', reason: timedOut },
      'budget-report': { outcome: 'fail', reason: timedOut },
      'federation-ping': { outcome: 'fail', reason: timedOut },
    },
  },
  {
    name: 'garbage',
    faults: [{ name: 'garbage' }],
    expect: {
      // The JSON probes fail on the garbage itself (or, before that rule, on the values they miss).
      'fast-pulse': { outcome: 'fail', severity: 'critical', reason: notJson(/Six-word health checks pass/) },
      'orchestrator-status': { outcome: 'fail', severity: 'critical', reason: notJson(/ollama true/) },
      'policy-show': { outcome: 'fail', severity: 'critical', reason: /Autonomy 1/ },
      'route-decision': { outcome: 'fail', severity: 'high', reason: notJson(/decision allowed/) },
      'dashboard-cards': { outcome: 'fail', severity: 'high', reason: /All status cards green/ },
      'simple-report': { outcome: 'fail', severity: 'low', reason: /Report file in reports/ },
      'budget-report': { outcome: 'fail', severity: 'medium', reason: notJson(/Spend within the ceiling/) },
      'federation-ping': { outcome: 'fail', severity: 'high', reason: notJson(/Peer answers/) },
      // dashboard-refresh only asks for exit 0, which a garbage answer still gives
    },
  },
  {
    // Last: the simulator's spend is per simulated day (48 real minutes here), so budget-report
    // stays failing after the fault is cleared; only log-watch is expected to heal.
    name: 'security-violation + cost-over-budget',
    faults: [{ name: 'security-violation' }, { name: 'cost-over-budget' }],
    expect: {
      'log-watch': { outcome: 'fail', severity: 'high', reason: /No alert patterns/ },
      'budget-report': { outcome: 'fail', severity: 'medium', reason: /Spend within the ceiling/ },
    },
    triggers: [{ trigger: 'security-violation', check: 'log-watch' }],
    recover: ['log-watch'],
    also: (s) => {
      expect(s.budget?.daily).toBe(5);
      expect(Math.max(...Object.values(s.spend))).toBeGreaterThan(s.budget!.daily);
    },
  },
];

// ---- the test ---------------------------------------------------------------------------------------

test('a healthy watch is all green after its first hour', async () => {
  const release = {
    service: 'symphony',
    version: `v1.f${randomUUID().slice(0, 6)}`,
    commit: 'abc1234',
    deployedAt: new Date().toISOString(),
  };
  const started = await startWatch(env.client, { plan, release, startedBy: 'e2e-faults', taskQueue });
  watchId = started.workflowId;
  const s = await watch((x) => CHECKS.every((c) => (x.checks[c]?.runs ?? 0) >= 2), 'two runs of every check');
  startedAt = Date.parse(s.startedAt);
  for (const c of CHECKS)
    expect([c, s.checks[c].status, s.checks[c].last?.outcome, s.checks[c].fails, s.checks[c].warns]).toEqual([c, 'healthy', 'ok', 0, 0]);
  expect(s.health).toBe('healthy');
  expect(s.incidents).toEqual([]);
  expect(Object.keys(s.tiers).sort()).toEqual(['daily', 'deep', 'hourly']);
}, 120_000);

describe.each(ROUNDS.map((r) => [r.name, r] as const))('fault round: %s', (_name, round) => {
  test('caught with the plan’s outcome and severity, then healed', async () => {
    expect(watchId).toBeDefined();
    // Each round starts from a healthy watch with no incident left open, so its failures open incidents of their own.
    const before = await watch((s) => CHECKS.every((c) => s.checks[c].status === 'healthy'), 'a healthy watch');
    await resolveAll(before.incidents, 'left over');
    const incidentsBefore = new Set(before.incidents.map((i) => i.id));
    const isFresh = (i: WatchStatus['incidents'][number]) => !incidentsBefore.has(i.id);
    const checks = Object.keys(round.expect);
    const failing = checks.filter((c) => round.expect[c].outcome === 'fail');
    const others = CHECKS.filter((c) => !checks.includes(c));
    const triggers = round.triggers ?? [];

    // Inject; the first hour that starts after this moment runs under the fault.
    for (const f of round.faults) world.sim.setFault(f.name, f.params);
    const injectedAt = hourNow();
    try {
      const status = await watch(
        (s) =>
          checks.every((c) => {
            const e = round.expect[c];
            const runs = seenAfter(c, injectedAt);
            return e.when === 'some' ? runs.some((r) => r.outcome === e.outcome) : runs.length > 0;
          }) &&
          triggers.every((t) => s.incidents.some((i) => isFresh(i) && i.trigger === t.trigger)) &&
          // a failing check's incident opens in the step that records its result
          failing.every((c) => s.incidents.some((i) => isFresh(i) && i.check === c && !i.trigger)) &&
          (round.until?.(s) ?? true),
        `${round.name}: the checks under the fault`,
      );

      for (const c of checks) {
        const e = round.expect[c];
        const runs = seenAfter(c, injectedAt);
        const shown = e.when === 'some' ? runs.find((r) => r.outcome === e.outcome)! : runs[0];
        expect({ check: c, outcome: shown.outcome }).toEqual({ check: c, outcome: e.outcome });
        if (e.severity) expect({ check: c, severity: shown.severity }).toEqual({ check: c, severity: e.severity });
        if (e.reason) expect({ check: c, reason: shown.reason }).toEqual({ check: c, reason: expect.stringMatching(e.reason) });
        // nothing worse than the plan's outcome (log lines from other probes may also arrive a run late)
        if (e.outcome === 'warn') expect({ check: c, failed: runs.filter((r) => r.outcome === 'fail') }).toEqual({ check: c, failed: [] });
      }
      // The checks the round's faults do not touch stay ok.
      for (const c of others)
        expect({ check: c, notOk: seenAfter(c, injectedAt).filter((r) => r.outcome !== 'ok' && !startNoise(c, r)) }).toEqual({
          check: c,
          notOk: [],
        });

      // One incident for each failing check, at the severity of its failed run; and the immediate escalations.
      const fresh = status.incidents.filter(isFresh);
      for (const c of failing) {
        const inc = fresh.filter((i) => i.check === c && !i.trigger);
        expect({ check: c, incidents: inc.length }).toEqual({ check: c, incidents: 1 });
        if (round.expect[c].severity)
          expect({ check: c, severity: inc[0].severity }).toEqual({ check: c, severity: round.expect[c].severity });
      }
      expect(
        fresh
          .filter((i) => !i.trigger)
          .map((i) => i.check)
          .sort(),
      ).toEqual([...failing].sort());
      for (const t of triggers) {
        // paged at once to the window's escalation contact (the holder then moves along the chain as ack deadlines pass)
        expect(fresh.filter((i) => i.trigger === t.trigger)).toEqual([
          expect.objectContaining({ check: t.check, severity: 'critical', trigger: t.trigger, state: 'open' }),
        ]);
      }
      expect(fresh.filter((i) => i.trigger).length).toBe(triggers.length);
      round.also?.(status);
    } finally {
      for (const f of round.faults) world.sim.clearFault(f.name);
    }

    // Cleared: each check heals after its success streak (recoverAfter ok runs in a row).
    const clearedAt = hourNow();
    const healing = round.recover ?? checks;
    const healed = await watch(
      (s) => healing.every((c) => s.checks[c].status === 'healthy' && (s.checks[c].last?.hour ?? -1) > clearedAt),
      `${round.name}: the checks healed`,
    );
    for (const c of healing) {
      const needed = round.expect[c].outcome === 'fail' ? plan.checks[c].recoverAfter : 1;
      expect({ check: c, okStreak: healed.checks[c].okStreak >= needed }).toEqual({ check: c, okStreak: true });
    }
    // Their incidents recovered with them: in the incident workflows and in the watch's mirror of them.
    const recovering = healed.incidents.filter((i) => isFresh(i) && !i.trigger && healing.includes(i.check));
    expect(recovering.map((i) => i.check).sort()).toEqual(failing.filter((c) => healing.includes(c)).sort());
    await untilIncidents(
      recovering.map((i) => i.id),
      (r) => r.state === 'recovered',
      `${round.name}: the incidents recovered`,
    );
    const ids = new Set(recovering.map((i) => i.id));
    await watch(
      (s) => s.incidents.filter((i) => ids.has(i.id)).every((i) => i.state === 'recovered'),
      `${round.name}: the watch shows them recovered`,
    );

    // A person resolves them all (the immediate escalations too); each incident then writes its document and ends.
    const open = (await watch(() => true, 'status')).incidents.filter((i) => i.state !== 'resolved');
    await resolveAll(open, `injected fault: ${round.name}`);
    const closed = await watch(
      (s) => s.incidents.filter((i) => open.some((o) => o.id === i.id)).every((i) => i.state === 'resolved' && i.document !== undefined),
      `${round.name}: the incidents resolved and written up`,
    );
    for (const i of closed.incidents.filter((x) => open.some((o) => o.id === x.id))) {
      expect(existsSync(i.document!)).toBe(true);
      // The document is reported just before the incident workflow returns: wait for its end, then look.
      await env.client.workflow.getHandle(i.id).result();
      expect((await env.client.workflow.getHandle(i.id).describe()).status.name).toBe('COMPLETED');
    }
  }, 180_000);
});

/** Polls the incident workflows' own records until each satisfies `ready`. */
async function untilIncidents(ids: string[], ready: (r: IncidentRecord) => boolean, what: string): Promise<IncidentRecord[]> {
  const until = Date.now() + WAIT_MS;
  for (;;) {
    const records = await Promise.all(ids.map((id) => env.client.workflow.getHandle(id).query(incidentQuery)));
    if (records.every(ready)) return records;
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(records.map((r) => ({ state: r.state, pages: r.pages.length })))}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
