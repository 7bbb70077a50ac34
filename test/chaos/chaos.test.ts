// The chaos suite (issue 6, section 1): a compressed watch of the demo plan against the simulator,
// on the real dev server with its SQLite file and real worker processes, while the worker is
// SIGKILLed at seeded random and aimed moments and replaced, the dev server is stopped and started
// again from its file, the notification receiver is down for a whole watch hour and the simulator
// hangs for a tier run. Then, from the workflows' own histories and the receiver's records: tier
// runs lost 0 and doubled 0, notifications duplicated 0 and undelivered 0, incidents lost 0, and
// every deadline fired within one tick (one watch hour) of its due time, not counting the time the
// watch could not act (see ledger.ts). Bounded form in `npm test`; `npm run chaos` (CHAOS_LONG=1)
// runs the longer one. CHAOS_SEED repeats a run.
import { join } from 'node:path';
import { applyRepair, planRepair } from '../../client/repair';
import { acknowledge, decide, Refused, resolveIncident, startWatch, watchStatusOf } from '../../client/watches';
import type { WatchStatus } from '../../core/status';
import { continueAsNewSignal } from '../../workflows/definitions';
import { demoPlan, PLANS } from '../helpers/plans';
import { workflowBundle } from '../helpers/servers';
import { shortPlan } from '../helpers/world';
import { at, chaosConfig, ChaosWorld, drawSchedule, KillTarget, Over, PATHS, PlannedKill, until } from './harness';
import { buildLedger, checkResults, DeadlineFire, fetchRuns, Ledger } from './ledger';

let cfg = chaosConfig();
let schedule = drawSchedule(cfg);
// Room for a second run (a known upstream bug in the first, below): a bounded run takes 1.5 to 3 minutes.
jest.setTimeout(cfg.long ? 90 * 60_000 : 16 * 60_000);

let chaos: ChaosWorld | undefined;
const keysBefore = process.env.RELEASE_WATCH_KEYS;

beforeAll(async () => {
  // People answer with the demo's committed keys: the demo plan signs approvals.
  process.env.RELEASE_WATCH_KEYS = join(PLANS, 'keys');
  chaos = new ChaosWorld();
  await chaos.start();
}, 180_000);

afterAll(async () => {
  await chaos?.close();
  if (keysBefore === undefined) delete process.env.RELEASE_WATCH_KEYS;
  else process.env.RELEASE_WATCH_KEYS = keysBefore;
}, 120_000);

test(`chaos (${cfg.long ? 'long' : 'bounded'}, seed ${cfg.seed}): nothing lost, nothing doubled, every deadline on time`, async () => {
  try {
    await chaosRun();
  } catch (err) {
    // A run that met the SDK's update-ordering bug (test/replay/upstream.test.ts) proves nothing about
    // this code either way: say so, repair it as the README says (a repair that fails fails the test),
    // keep its folder, and prove it again on another seed. A seed asked for by CHAOS_SEED is never swapped,
    // unless CHAOS_SWAP=1 asks to see that repair on it.
    const upstream = process.env.CHAOS_SEED && process.env.CHAOS_SWAP !== '1' ? undefined : await upstreamBugIn(err);
    if (!upstream) throw err;
    const first = cfg.seed;
    console.log(`chaos seed ${first} met the known SDK bug (${upstream.where}). Failure:\n${String((err as Error)?.message ?? err)}`);
    // The recovery the README gives, on the real thing: `release-watch repair` brings it back.
    console.log(`chaos: ${await repairOnce(upstream.id)}; the run is kept, and the suite runs again on another seed`);
    await chaos?.close();
    cfg = { ...cfg, seed: (first % (2 ** 31 - 2)) + 1 };
    schedule = drawSchedule(cfg);
    chaos = new ChaosWorld();
    await chaos.start();
    await chaosRun();
    console.log(`chaos: seed ${first} met the known SDK bug; seed ${cfg.seed} then passed`);
  }
});

/** Where a failed run met the upstream bug: in the error itself, or as a workflow task failure in a watch or incident history. */
async function upstreamBugIn(err: unknown): Promise<{ id: string; where: string } | undefined> {
  const signature = /Update machine does not handle this event/;
  if (!current) return undefined;
  if (err instanceof Error && signature.test(err.message)) return { id: current.workflowId, where: 'a replay of the watch failed on it' };
  const eventsOf = async (id: string) => (await fetchRuns(current!.client, id).catch(() => [])).flatMap((r) => r.events);
  const watchEvents = await eventsOf(current.workflowId);
  // The incidents the watch started, read from its histories (its status query may be what fails).
  const incidentIds = [
    ...new Set(watchEvents.filter((e) => e.kind === 'startChildWorkflowExecutionInitiated').map((e) => String(e.a.workflowId))),
  ];
  for (const id of [current.workflowId, ...incidentIds]) {
    const events = id === current.workflowId ? watchEvents : await eventsOf(id);
    const hit = events.find((e) => e.kind === 'workflowTaskFailed' && signature.test(String(e.a.failure?.message ?? '')));
    if (hit) return { id, where: `${id} event ${hit.id}: a workflow task failed on it` };
    const late = await lateEventsFace(id);
    if (late) return { id, where: late };
  }
  return undefined;
}

/**
 * The same bug's other face (docs/sdk-query-bug.md): a query that waited on a killed worker's sticky
 * queue reaches a fresh worker after a workflow task was started elsewhere; the SDK core runs that task's
 * events for the query, and the worker's next real task sends the commands they made ahead of its own.
 * A replay runs those events in one task, so the commands come in another order: a nondeterminism error
 * on the task that followed a timed-out one.
 */
async function lateEventsFace(id: string): Promise<string | undefined> {
  // The latest run only: it is the one repair replays (event IDs start again in each run).
  const events = (await fetchRuns(current!.client, id).catch(() => [])).at(-1)?.events ?? [];
  const failed = events.find((e) => e.kind === 'workflowTaskFailed' && /\[TMPRL1100\]/.test(String(e.a.failure?.message ?? '')));
  if (!failed) return undefined;
  const plan = await planRepair(current!.client, id, await workflowBundle()).catch(() => undefined);
  if (!plan?.resetTo) return undefined;
  const before = events.filter((e) => e.id < plan.resetTo!);
  const lastCompleted = [...before].reverse().find((e) => e.kind === 'workflowTaskCompleted')?.id ?? 0;
  const timedOut = before.find((e) => e.id > lastCompleted && e.kind === 'workflowTaskTimedOut');
  if (!timedOut) return undefined;
  return `${id} event ${failed.id}: the commands of the task that completed at event ${plan.resetTo}, after the task that timed out at event ${timedOut.id}, do not replay`;
}

/** Repairs the workflow that met the bug and waits until a query, which replays it, is answered; a repair that fails fails the test. */
async function repairOnce(id: string): Promise<string> {
  const { client } = current!;
  const plan = await planRepair(client, id, await workflowBundle());
  if (plan.replays) throw new Error(`${id} met the known SDK bug, yet release-watch repair finds that it replays`);
  // A watch that has ended is reset with --force: it then runs again from that task to its end.
  const runId = await applyRepair(client, plan, 'chaos-suite', true);
  await until(() => client.workflow.getHandle(id).query<string>('__stack_trace'), `${id} to replay after its repair`, 120_000, 500);
  return `repaired ${id}: reset to event ${plan.resetTo} (the task before event ${plan.failsAt}), ${plan.reapplied!.updates} updates re-applied; run ${runId.slice(0, 8)} replays and answers queries`;
}

/** The watch under chaos: what the current run is, for upstreamBugIn(). */
let current: { client: ChaosWorld['client']; workflowId: string } | undefined;

async function chaosRun(): Promise<void> {
  const w = chaos!;
  w.keepOnClose = true; // until every assertion has held
  const { client } = w;
  const t0 = Date.now();
  console.log(
    `chaos seed ${cfg.seed} (${cfg.long ? 'long' : 'bounded'} form; repeat with CHAOS_SEED=${cfg.seed}${cfg.long ? ' CHAOS_LONG=1' : ''}): ` +
      `${cfg.hours} watch hours of ${cfg.hourMs} ms, ${cfg.kills} kills at hours ${schedule.kills.map((k) => `${k.at}${k.target === 'random' ? '' : ` (${k.target})`}`).join(', ')}; ` +
      `server restart at ${schedule.serverRestarts.join(', ')}; receiver down ${schedule.receiverDown.map((d) => `${d.from}-${d.to}`).join(', ')}; hung slot ${schedule.hangs.join(', ')}; fast pulse failing from hour ${schedule.failures.join(', ')}`,
  );

  const plan = w.withSinks(shortPlan(demoPlan(), cfg.hours, `${cfg.hourMs}ms`));
  const release = { service: 'symphony', version: `v6.chaos.${cfg.seed}`, commit: 'abc1234', deployedAt: new Date().toISOString() };
  // The watch also continues-as-new on its own every few watch hours (at its next quiet moment), besides
  // the continueAsNow signals the aimed kills send.
  const { workflowId } = await startWatch(client, {
    plan,
    release,
    startedBy: 'chaos-suite',
    taskQueue: w.taskQueue,
    continueAsNewAfterHours: 6,
  });
  current = { client, workflowId };
  const handle = client.workflow.getHandle(workflowId);
  const status = (events = 30) => watchStatusOf(client, workflowId, events);
  const first = await until(() => status(), 'the watch to answer its first status query', 60_000);
  const startedAt = Date.parse(first.startedAt);
  const wall = (hour: number) => startedAt + hour * cfg.hourMs;
  const hourNow = () => (Date.now() - startedAt) / cfg.hourMs;
  const log: string[] = [];
  const note = (text: string) => log.push(`${hourNow().toFixed(2).padStart(6)}  ${text}`);

  // ---- the lanes: each plays one kind of fault on the watch's clock ------------------------------

  // Every wait of a lane ends when the run is over (the watch completed, or the test failed).
  // The kill lane has a signal of its own: all its kills happen even if the watch ends first (they then
  // land while its incidents are answered and closed); it ends early only when the test fails.
  const stop = new AbortController();
  const stopKills = new AbortController();
  const wait = <T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs: number, everyMs = 100) =>
    until(probe, what, timeoutMs, everyMs, stop.signal);
  const atL = (wallMs: number) => at(wallMs, stop.signal);
  const waitK = <T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs: number, everyMs = 100) =>
    until(probe, what, timeoutMs, everyMs, stopKills.signal);
  const atK = (wallMs: number) => at(wallMs, stopKills.signal);

  // The failure lane holds its fault at most this many watch hours for a failed run to reach history.
  const FAILURE_WATCH_HOURS = 30;
  // An aimed kill waits for its moment at most this long (wall time: a late watch is still aimed at).
  const AIM_MS = 12_000;
  const aim = (k: PlannedKill) => async (): Promise<string | undefined> => {
    switch (k.target) {
      case 'random':
        return undefined;
      case 'checkpoint': {
        const cp = `${Math.round(k.at)}h`;
        const opened = await waitK(
          async () => (await status()).checkpoints.find((c) => c.name === cp)?.state !== 'upcoming',
          `checkpoint ${cp} to open`,
          AIM_MS,
          40,
        ).catch(() => false);
        await atK(Date.now() + k.delayMs);
        return opened ? `checkpoint ${cp} just opened +${k.delayMs} ms` : `checkpoint ${cp} not open within ${AIM_MS / 1000} s`;
      }
      case 'probe-record': {
        const count = () => w.world.sim.state().requests['GET /health/fast'] ?? 0;
        const before = count();
        const seen = await waitK(() => count() > before, 'a fast-pulse probe at the simulator', AIM_MS, 5).catch(() => false);
        await atK(Date.now() + k.delayMs);
        return `${seen ? 'fast-pulse answered by the simulator' : `no fast-pulse within ${AIM_MS / 1000} s`} +${k.delayMs} ms`;
      }
      case 'notification':
        // handled by kill() below: the hold must be released after the SIGKILL
        return undefined;
      case 'continue-as-new': {
        if (!(await signalContinueAsNew())) return 'the watch has ended';
        await atK(Date.now() + k.delayMs);
        return `continueAsNow signalled +${k.delayMs} ms`;
      }
      case 'new-run': {
        const before = (await waitK(() => handle.describe(), 'describe', AIM_MS)).runId;
        if (!(await signalContinueAsNew())) return 'the watch has ended';
        const next = await waitK(
          async () => {
            const d = await handle.describe();
            return d.runId !== before ? d.runId : undefined;
          },
          'the run continue-as-new starts',
          AIM_MS,
          20,
        ).catch(() => undefined);
        return next ? `new run ${next.slice(0, 8)} seen` : `no new run within ${AIM_MS / 1000} s`;
      }
    }
  };

  /** Sends continueAsNow; false when the watch has already ended. */
  async function signalContinueAsNew(): Promise<boolean> {
    const sent = await waitK<'sent' | 'ended'>(
      () =>
        handle.signal(continueAsNewSignal).then(
          () => 'sent' as const,
          (err: Error) => (/completed|not found/i.test(err.message) ? ('ended' as const) : Promise.reject(err)),
        ),
      'the continueAsNow signal',
      AIM_MS,
    );
    return sent === 'sent';
  }

  async function killLane() {
    for (const k of schedule.kills) {
      if (stopKills.signal.aborted) return;
      await atK(wall(k.at));
      if (stopKills.signal.aborted) return;
      if (k.target === 'notification') {
        const held = w.rx.hold(PATHS.webhook);
        let rec;
        try {
          rec = await w.kill(k.target, async () => {
            const got = await waitK(
              () => Promise.race([held.arrived, atK(Date.now() + 200).then(() => undefined)]),
              'a webhook delivery',
              AIM_MS,
            ).catch(() => undefined);
            return got ? `webhook ${got.key ?? ''} held unanswered` : `no webhook delivery within ${AIM_MS / 1000} s`;
          });
        } finally {
          held.release();
        }
        note(`kill ${rec.n} (${k.target}): ${rec.aimed}`);
        continue;
      }
      const rec = await w.kill(k.target as KillTarget, aim(k));
      note(`kill ${rec.n} (${k.target})${rec.aimed ? `: ${rec.aimed}` : ''}`);
    }
  }

  async function serverLane() {
    for (const h of schedule.serverRestarts) {
      await atL(wall(h));
      if (stop.signal.aborted) return;
      const r = await w.restartServer();
      note(`dev server restarted from its file: down ${((r.servingAt - r.stoppedAt) / 1000).toFixed(1)} s`);
    }
  }

  /** Down (its port closed) for a whole watch hour, and until a delivery has failed on it and is being retried. */
  const failedDeliveries: string[] = [];
  async function receiverLane() {
    for (const d of schedule.receiverDown) {
      await atL(wall(d.from));
      if (stop.signal.aborted) return;
      await w.receiverDown();
      const downAt = Date.now();
      note('receiver down (port closed)');
      try {
        const failed = await wait(
          async () => {
            const pending = await pendingNotifies();
            return pending.find((p) => (p.attempt ?? 0) >= 2 && /ECONNREFUSED/.test(p.lastFailure?.message ?? ''));
          },
          'a notification failing on the closed receiver',
          (cfg.hours + 20) * cfg.hourMs,
          200,
        );
        failedDeliveries.push(`${failed.workflow}: ${failed.lastFailure?.message?.slice(0, 80)} (attempt ${failed.attempt})`);
      } finally {
        await atL(Math.max(downAt + cfg.hourMs, wall(d.to)));
        await w.receiverUp();
        note(`receiver up (${failedDeliveries[failedDeliveries.length - 1] ?? 'no failed delivery seen'})`);
      }
    }
  }

  /** Notify activities pending on the server, in the watch and its incidents. */
  async function pendingNotifies() {
    const ids = [workflowId, ...((await status().catch(() => undefined))?.incidents.map((i) => i.id) ?? [])];
    const out: Array<{ workflow: string; attempt?: number | null; lastFailure?: { message?: string | null } | null }> = [];
    for (const id of ids) {
      const d = await client.workflow
        .getHandle(id)
        .describe()
        .catch(() => undefined);
      for (const p of d?.raw.pendingActivities ?? [])
        if (p.activityType?.name === 'notify')
          out.push({
            workflow: id === workflowId ? 'watch' : id.slice(workflowId.length + 1),
            attempt: p.attempt,
            lastFailure: p.lastFailure,
          });
    }
    return out;
  }

  /**
   * The simulator hangs every probe from just before a planned hourly slot until a tier run's probes
   * have hung on it and given up (their 3 s timeout): watched on the simulator itself, not through the
   * watch (whose queries may be unanswered for seconds after a kill). Which slot it caught is read
   * from the history afterwards.
   */
  const hangs: Array<{ from: number; to: number; hung: number }> = [];
  async function hangLane() {
    for (const h of schedule.hangs) {
      await atL(wall(h - 0.3));
      if (stop.signal.aborted) return;
      const sim = w.world.sim;
      sim.setFault('hang');
      const from = Date.now();
      note(`simulator hangs (planned slot ${h})`);
      let hung = 0;
      try {
        hung = await wait(() => sim.state().hanging || undefined, 'a probe hanging on the simulator', 60_000, 20);
        // A probe of a live worker gives up after its timeout and leaves; one orphaned by a killed worker
        // (its timeout died with the worker) hangs on until the fault is cleared, so "all gone" may never come.
        let peak = hung;
        await wait(
          () => {
            const now = sim.state().hanging;
            peak = Math.max(peak, now);
            return now < peak;
          },
          'a hung probe to give up',
          2 * cfg.hourMs,
          20,
        ).catch(() => undefined);
        hung = peak;
      } finally {
        sim.clearFault('hang');
        hangs.push({ from, to: Date.now(), hung });
        note(`simulator answers again (${hung} probe(s) hung)`);
      }
    }
  }

  /**
   * The fast pulse fails (the simulator's six-word-fail fault) from a planned hour until a failed run
   * of it is in the watch's history, so an incident opens, pages, is acknowledged and resolved under
   * the same chaos as everything else. The history is read from the server: a status query needs a
   * live worker, and the kills can keep it away for several watch hours. Each kill that takes a
   * workflow task with it costs the task's 10 s timeout, so the bound is in watch hours, not seconds.
   */
  const failed: Array<{ at: number; seen: boolean }> = [];
  async function failureLane() {
    for (const h of schedule.failures) {
      await atL(wall(h));
      if (stop.signal.aborted) return;
      const sim = w.world.sim;
      sim.setFault('six-word-fail');
      const at = Date.now();
      note('fast pulse fails (six-word-fail)');
      let seen = false;
      try {
        seen = await wait(
          async () =>
            checkResults(await fetchRuns(client, workflowId), 'fast-pulse').some(
              (r) => r.scheduledAt >= at && r.outcome === 'fail' && /Six-word/.test(r.reason),
            ),
          'a failed fast-pulse run in the watch history',
          FAILURE_WATCH_HOURS * cfg.hourMs,
          500,
        ).catch(() => false);
      } finally {
        sim.clearFault('six-word-fail');
        failed.push({ at, seen });
        note(`fast pulse healthy again (${seen ? 'its failure recorded' : 'no failure recorded'})`);
      }
    }
  }

  /** A person's answer, retried through server restarts with one update id; a refusal ends it. */
  async function answer<T>(what: string, send: (updateId: string) => Promise<T>, signal: AbortSignal | undefined): Promise<T | Refused> {
    const updateId = `chaos-${what.replace(/\W+/g, '-')}-${cfg.seed}`;
    return until(
      () =>
        send(updateId).catch((err: unknown) => {
          if (err instanceof Refused) return err;
          throw err;
        }),
      what,
      60 * cfg.hourMs,
      250,
      signal,
    );
  }

  async function decisionLane() {
    // 12 h: after its first escalation (so the escalation deadline is exercised); 24 h: at once.
    for (const [name, escalations] of [
      ['12h', 1],
      ['24h', 0],
    ] as const) {
      await wait(
        async () => {
          if (stop.signal.aborted) return true;
          const cp = (await status()).checkpoints.find((c) => c.name === name);
          return cp?.state === 'pending' && cp.escalations >= escalations;
        },
        `checkpoint ${name} pending`,
        (cfg.hours + 40) * cfg.hourMs,
        200,
      );
      if (stop.signal.aborted) return;
      const r = await answer(
        `decide ${name}`,
        (updateId) =>
          decide(client, workflowId, { checkpoint: name, decision: 'continue', by: 'release-captain', note: 'chaos suite' }, updateId),
        stop.signal,
      );
      note(`checkpoint ${name}: ${r instanceof Refused ? `refused: ${r.message}` : 'continue'}`);
    }
  }

  /** The on-call: acknowledges an incident after its first escalation page, resolves it once its check recovered. */
  const answering = new Set<string>();
  async function onCallLane() {
    while (!stop.signal.aborted) {
      const s = await status().catch(() => undefined);
      for (const i of s?.incidents ?? []) {
        const seq = i.id.slice(i.id.lastIndexOf('-') + 1);
        const wantsAck = i.state === 'open' && ((i.pages ?? 0) >= 2 || hourNow() - i.openedAtHour > 1);
        const wantsResolve = i.state === 'recovered';
        const key = `${i.id} ${wantsAck ? `ack ${i.pages}` : 'resolve'}`;
        if ((!wantsAck && !wantsResolve) || answering.has(key)) continue;
        answering.add(key);
        const by = i.holder && plan.people[i.holder] ? i.holder : 'release-captain';
        void answer(
          key,
          (updateId) =>
            wantsAck
              ? acknowledge(client, workflowId, { incident: seq, by }, updateId)
              : resolveIncident(
                  client,
                  workflowId,
                  { incident: seq, by, rootCause: 'chaos suite: the simulator hung', resolution: 'the simulator answers again' },
                  updateId,
                ),
          stop.signal,
        )
          .then((r) => note(`${key} by ${by}${r instanceof Refused ? `: refused (${r.message})` : ''}`))
          .catch((err: unknown) => {
            answering.delete(key);
            note(`${key}: ${(err as Error).message}`);
          });
      }
      await atL(Date.now() + 250);
    }
  }

  const lanes = Object.entries({
    kills: killLane,
    server: serverLane,
    receiver: receiverLane,
    hang: hangLane,
    failure: failureLane,
    decisions: decisionLane,
    onCall: onCallLane,
  }).map(([name, lane]) =>
    lane().then(
      () => undefined,
      (err: unknown) => (err instanceof Over ? undefined : `${name} lane: ${(err as Error).message}`),
    ),
  );
  const [killsDone, ...otherLanes] = lanes;

  // Whatever happens below, every lane stops before the test ends (afterAll then stops the processes).
  try {
    // ---- the end of the watch, then every incident answered and closed --------------------------------

    let ended: WatchStatus;
    try {
      const closed = await until(
        async () => {
          const d = await handle.describe();
          return d.status.name === 'RUNNING' ? undefined : d.status.name;
        },
        'the watch to complete',
        (cfg.hours + 60) * cfg.hourMs + 120_000,
        250,
      );
      if (closed !== 'COMPLETED') throw new Error(`the watch ended ${closed}`);
    } catch (err) {
      stop.abort();
      stopKills.abort();
      const laneErrors = (await Promise.all(lanes)).filter((x): x is string => x !== undefined);
      console.log(await diagnosis(client, workflowId, log, laneErrors));
      throw err;
    }
    stop.abort();
    const laneErrors = (await Promise.all(otherLanes)).filter((x): x is string => x !== undefined);
    const killsAfterEnd = w.kills.length;
    // A query on a finished watch replays its whole history: the known SDK bug shows here (see the test above).
    ended = await until(() => status(300), 'the final status', 60_000);
    for (const i of ended.incidents.filter((x) => x.state !== 'resolved')) {
      const seq = i.id.slice(i.id.lastIndexOf('-') + 1);
      const r = await answer(
        `${i.id} resolve after the watch`,
        (updateId) =>
          resolveIncident(
            client,
            workflowId,
            { incident: seq, by: 'release-captain', rootCause: 'chaos suite', resolution: 'closed after the watch' },
            updateId,
          ),
        undefined,
      );
      note(`${i.id} resolved after the watch${r instanceof Refused ? `: refused (${r.message})` : ''}`);
    }
    const killError = await killsDone;
    if (killError) laneErrors.push(killError);
    if (w.kills.length > killsAfterEnd) note(`${w.kills.length - killsAfterEnd} kill(s) after the watch ended, while its incidents closed`);
    for (const i of ended.incidents)
      await until(
        () =>
          client.workflow
            .getHandle(i.id)
            .result()
            .then(() => true),
        `${i.id} to complete`,
        120_000,
        250,
      );
    ended = await status(300);
    const wallS = (Date.now() - t0) / 1000;

    // ---- the ledger -------------------------------------------------------------------------------------

    const ledger = await buildLedger({
      client,
      plan,
      watchId: workflowId,
      status: ended,
      rx: w.rx,
      notificationsFile: w.notificationsFile,
      kills: w.kills,
      serverRestarts: w.serverRestarts,
      hangs,
    });
    console.log(summary(ledger, wallS, log, laneErrors, failedDeliveries));

    // ---- the chaos happened ---------------------------------------------------------------------------
    expect(laneErrors).toEqual([]);
    expect(w.kills.length).toBe(cfg.kills);
    expect(w.serverRestarts.length).toBe(schedule.serverRestarts.length);
    expect(w.receiverOutages.map((o) => o.to - o.from >= cfg.hourMs)).toEqual(schedule.receiverDown.map(() => true));
    // Each outage made a delivery fail and retry, unless nothing was sent while it lasted (a hang whose
    // probe was retried after it and passed opens no incident, and the watch may be quiet then).
    const quietOutages = w.receiverOutages.filter((o) => !ledger.notifyScheduledAt.some((t) => t >= o.from && t <= o.to)).length;
    expect(failedDeliveries.length + quietOutages).toBeGreaterThanOrEqual(schedule.receiverDown.length);
    expect(hangs.map((x) => x.hung > 0)).toEqual(schedule.hangs.map(() => true));
    expect(failed.map((f) => f.seen)).toEqual(schedule.failures.map(() => true));
    expect(ledger.incidents.opened).toBeGreaterThan(0);
    // Each hang held a tier run's probes; a fast-pulse run that failed on it has its incident.
    expect(ledger.incidents.hangCaught.filter((x) => /no incident/.test(x))).toEqual([]);
    expect(ledger.watchRuns).toBeGreaterThan(1); // continue-as-new happened

    // ---- nothing lost, nothing doubled ---------------------------------------------------------------
    expect(ended.phase).toBe('completed');
    expect({ lost: ledger.slots.lost, doubled: ledger.slots.doubled }).toEqual({ lost: [], doubled: [] });
    expect({
      scheduledTwice: ledger.probes.scheduledTwice,
      missing: ledger.probes.missing,
      withoutResult: ledger.probes.withoutResult,
      checks: ledger.probes.checksRecordedWrong,
    }).toEqual({
      scheduledTwice: [],
      missing: [],
      withoutResult: [],
      checks: [],
    });
    expect({ duplicated: ledger.notifications.duplicated, unknown: ledger.notifications.unknown }).toEqual({ duplicated: [], unknown: [] });
    expect({ undelivered: ledger.notifications.undelivered, inStatus: ledger.notifications.statusUndelivered }).toEqual({
      undelivered: [],
      inStatus: [],
    });
    expect(ledger.taskFailures).toEqual([]);
    expect({ lost: ledger.incidents.lost, doubled: ledger.incidents.doubled, notClosed: ledger.incidents.notClosed }).toEqual({
      lost: [],
      doubled: [],
      notClosed: [],
    });

    // ---- every deadline fired, within one tick of when it was due and the watch could act ---------------
    expect(ledger.deadlines.filter((d) => d.fired === undefined).map(describeFire)).toEqual([]);
    expect(ledger.deadlines.filter((d) => (d.effectiveMs ?? 0) > cfg.hourMs).map(describeFire)).toEqual([]);
    w.keepOnClose = false;
  } finally {
    stop.abort();
    stopKills.abort();
    await Promise.all(lanes);
  }
}

/** What a watch that did not finish was doing: its status, what is pending on the server, and the chaos timeline. */
async function diagnosis(client: ChaosWorld['client'], id: string, log: string[], laneErrors: string[]): Promise<string> {
  const lines = ['chaos: the watch did not complete; its state:'];
  const s = await watchStatusOf(client, id, 40).catch((e: Error) => e);
  if (s instanceof Error) lines.push(`  status query failed: ${s.message}`);
  else {
    lines.push(`  phase ${s.phase}, hour ${s.hour}, next slot ${s.nextSlotHour}, generation ${s.generation}`);
    for (const [t, x] of Object.entries(s.tiers)) lines.push(`  ${t} ran at ${x.ranAt.join(',')}`);
    lines.push(
      `  checkpoints: ${s.checkpoints.map((c) => `${c.name} ${c.state}${c.decision ? ` ${c.decision}` : ''} (${c.escalations} escalations)`).join('; ')}`,
    );
    lines.push(
      `  incidents: ${s.incidents.map((i) => `${i.id.slice(id.length + 1)} ${i.check} ${i.state} pages ${i.pages}`).join('; ') || 'none'}`,
    );
    lines.push('  last events:', ...s.events.slice(-15).map((e) => `    ${e.hour} ${e.kind}: ${e.text.slice(0, 160)}`));
  }
  const d = await client.workflow
    .getHandle(id)
    .describe()
    .catch((e: Error) => e);
  if (d instanceof Error) lines.push(`  describe failed: ${d.message}`);
  else {
    lines.push(`  server: ${d.status.name}, run ${d.runId}, history length ${d.historyLength}`);
    for (const p of d.raw.pendingActivities ?? [])
      lines.push(
        `  pending ${p.activityType?.name} ${p.activityId} state ${p.state} attempt ${p.attempt}: ${p.lastFailure?.message?.slice(0, 120) ?? ''}`,
      );
    const wft = d.raw.pendingWorkflowTask;
    if (wft) lines.push(`  pending workflow task: state ${wft.state}, attempt ${wft.attempt}`);
    const history = await client.workflow
      .getHandle(id, d.runId)
      .fetchHistory()
      .catch(() => undefined);
    for (const e of history?.events ?? []) {
      const f = e.workflowTaskFailedEventAttributes;
      if (f)
        lines.push(
          `  workflow task failed (event ${e.eventId}): ${f.cause} ${f.failure?.message}\n${f.failure?.stackTrace?.slice(0, 1500) ?? ''}`,
        );
    }
  }
  lines.push('  worker output (last 3000 characters):', chaos!.workerOutput().slice(-3000));
  if (laneErrors.length) lines.push('  lane errors:', ...laneErrors.map((e) => `    ${e}`));
  lines.push('  timeline (watch hour):', ...log.map((x) => `    ${x}`));
  return lines.join('\n');
}

function describeFire(d: DeadlineFire): string {
  if (d.fired === undefined) return `${d.kind} ${d.what}: never fired`;
  return `${d.kind} ${d.what}: ${(d.lateMs! / 1000).toFixed(2)} s late, ${(d.blockedMs! / 1000).toFixed(2)} s of it blocked, ${(d.effectiveMs! / 1000).toFixed(2)} s effective (tick ${cfg.hourMs / 1000} s)${d.why ? `; ${d.why}` : ''}`;
}

function summary(l: Ledger, wallS: number, log: string[], laneErrors: string[], failedDeliveries: string[]): string {
  const tick = (msv: number) => `${(msv / cfg.hourMs).toFixed(2)} tick`;
  const byKind = (kind: DeadlineFire['kind']) => l.deadlines.filter((d) => d.kind === kind);
  const maxOf = (ds: DeadlineFire[], f: (d: DeadlineFire) => number | undefined) => Math.max(0, ...ds.map((d) => f(d) ?? 0));
  const targets = new Map<string, number>();
  for (const k of l.kills) targets.set(k.target, (targets.get(k.target) ?? 0) + 1);
  const rows = [
    [
      'kills (SIGKILL + restart)',
      `${l.kills.length}: ${[...targets].map(([t, n]) => `${t} ${n}`).join(', ')}; unexpected worker exits ${chaos!.unexpectedExits.length}`,
    ],
    ['dev server restarts', chaos!.serverRestarts.map((r) => `down ${((r.servingAt - r.stoppedAt) / 1000).toFixed(1)} s`).join(', ')],
    [
      'receiver down',
      chaos!.receiverOutages.map((o) => `${((o.to - o.from) / cfg.hourMs).toFixed(2)} watch hours`).join(', ') +
        `; failed on it: ${failedDeliveries.join('; ') || 'nothing'}; notify activities retried ${l.notifications.retried}`,
    ],
    ['simulator hang', l.incidents.hangCaught.join('; ')],
    ['continue-as-new', `${l.watchRuns} runs of the watch`],
    [
      'tier runs',
      `${l.slots.expected} scheduled, ${l.slots.recorded} recorded; lost ${l.slots.lost.length}, doubled ${l.slots.doubled.length}`,
    ],
    [
      'probes',
      `each (check, hour) scheduled once: twice ${l.probes.scheduledTwice.length}, missing ${l.probes.missing.length}, completed without its result ${l.probes.withoutResult.length}; ` +
        `${l.probes.attempts} probe activity attempts, ${l.probes.retried} retried after a lost attempt`,
    ],
    [
      'notifications',
      `${l.notifications.events} events, ${l.notifications.deliveries} (event, sink) deliveries; duplicated ${l.notifications.duplicated.length}, undelivered ${l.notifications.undelivered.length + l.notifications.statusUndelivered.length}; ` +
        `redelivered with the same dedup key ${l.notifications.redelivered.length}${l.notifications.redelivered.length ? ` (${l.notifications.redelivered.map((r) => `${r.sink} ×${r.raw}`).join(', ')})` : ''}`,
    ],
    [
      'incidents',
      `${l.incidents.opened} opened, ${l.incidents.inStatus} in status; lost ${l.incidents.lost.length}, doubled ${l.incidents.doubled.length}, not closed ${l.incidents.notClosed.length}; deadlines skipped after a whole-chain catch-up ${l.incidents.skippedDeadlines}`,
    ],
    ...(['tier slot', 'checkpoint open', 'checkpoint escalation', 'incident page'] as const).map((k) => [
      `deadlines: ${k}`,
      `${byKind(k).length}; late max ${tick(maxOf(byKind(k), (d) => d.lateMs))} (raw), ${tick(maxOf(byKind(k), (d) => d.effectiveMs))} when the watch could act; never fired ${byKind(k).filter((d) => d.fired === undefined).length}`,
    ]),
    ['tasks waiting for a worker > 1 s', `${l.recovery.stalls}, longest ${(l.recovery.maxStallMs / 1000).toFixed(1)} s`],
    [
      'workflow tasks failed',
      `${l.taskFailures.length}${l.taskFailures.length ? `: ${l.taskFailures.join('; ')}` : ''} (and ${l.unhandledCommands} completion(s) refused for new events, retried: routine)`,
    ],
    ['wall time of the test', `${wallS.toFixed(0)} s`],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  const lines = [
    `chaos summary (seed ${cfg.seed}, ${cfg.long ? 'long' : 'bounded'}; tick = 1 watch hour = ${cfg.hourMs} ms)`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
  ];
  lines.push(
    '  kills:',
    ...l.kills.map(
      (k) =>
        `    #${String(k.n).padStart(2)} hour ${k.hour.toFixed(2).padStart(5)} ${k.target.padEnd(15)} ${k.aimed ? `[${k.aimed}] ` : ''}in flight: ${k.inFlight.join(', ') || 'nothing'}`,
    ),
  );
  const worst = [...l.deadlines].sort((a, b) => (b.lateMs ?? Infinity) - (a.lateMs ?? Infinity)).slice(0, 5);
  lines.push('  latest deadlines:', ...worst.map((d) => `    ${describeFire(d)}`));
  if (laneErrors.length) lines.push('  lane errors:', ...laneErrors.map((e) => `    ${e}`));
  if (chaos!.unexpectedExits.length) lines.push('  unexpected worker exits:', ...chaos!.unexpectedExits.map((e) => `    ${e}`));
  lines.push('  timeline (watch hour):', ...log.map((x) => `    ${x}`));
  return lines.join('\n');
}
