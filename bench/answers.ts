// The answers phase of `npm run bench`: the round trip of every answer a person gives (a checkpoint
// decision, an incident's acknowledgement, a lever's approval), each the first of its workflow and a
// later one, against a bare echo update in the same run, sent in turn with them.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { startWatch } from '../client/watches';
import type { Ack } from '../core/incidents';
import type { Approve, Emergency } from '../core/levers';
import type { Decide } from '../core/messages';
import { sign, type SignedKind, type Signable } from '../core/signatures';
import type { Plan } from '../plan/schema';
import { approveUpdate, decideUpdate, emergencyUpdate, incidentAckUpdate, incidentQuery, statusQuery } from '../workflows/definitions';
import { echoUpdate, type BaselineInput } from './baseline-workflows';
import { collectGarbage, latency, log, mapLimit, r3, release, sleep, terminateAll, type Ctx, type Latency } from './common';
import { eventName, quantile } from './history';
import { signing, symphonyPlan } from './plans';
import { FAILING_CHECK, FAILING_RELEASE } from './stubs';
import { recordPauses, type BenchWorker } from './worker';

export type AnswerKind = 'decision' | 'ack' | 'approval';

export interface AnswerLatencies {
  first: Latency;
  later: Latency;
  /** p99 of the answer / p99 of the echo. */
  firstRatio: number;
  laterRatio: number;
  /** p50 of the answer / p50 of the echo (steadier than the tail; information). */
  firstP50Ratio: number;
  laterP50Ratio: number;
  /** p99 of the answer / p99 of the echoes sent in the same pass (information; older results have none). */
  firstSamePassRatio?: number;
  laterSamePassRatio?: number;
  what: { first: string; later: string };
}

export interface AnswersResult {
  watches: number;
  /** Watches answered first, unmeasured (older results have none). */
  warmup?: number;
  signed: boolean;
  echo: Latency;
  /** The echoes of each pass (the first answers, then the later ones); older results have none. */
  echoByPass?: { first: Latency; later: Latency };
  answers: Record<AnswerKind, AnswerLatencies>;
  /** The lever request before each approval (information). */
  emergency: Latency;
  refused: Latency;
  refusedRatio: number;
  refusal: string;
  method: string;
}

const LEVER = 'kill-switch';
const REQUESTER = 'policy-steward';
const APPROVER = 'release-captain';
const DECIDER = 'release-captain';
/** The second acknowledgement: another person takes the incident over. */
const SECOND_ACK = 'policy-steward';

/** A request as its person sends it: signed when the plan asks for signatures. */
function signed<T extends Signable>(plan: Plan, ctx: Ctx, watchId: string, kind: SignedKind, body: T): T {
  if (!signing(plan)) return body;
  return { ...body, signature: sign(watchId, kind, body, ctx.keys[body.by], randomBytes(16).toString('hex')) };
}

export async function answersPhase(
  ctx: Ctx,
  settings: { hour: string; watches: number; warmup: number; gapMs: number },
  worker: BenchWorker,
  baseWorker: BenchWorker,
): Promise<AnswersResult> {
  // Both checkpoints open at hour 0, and the first check fails then: each watch waits for two decisions
  // and has an incident open. Watch hours are long, so nothing else happens meanwhile: the first deadline
  // (the incident's acknowledgement, 15 watch minutes) falls after the last first acknowledgement, about
  // 20 minutes into the full run (two-hour watch hours) and 2 into the quick one (one-hour). With
  // 5-minute hours it fell in the middle, the 150 incidents escalated within seconds of each other, and
  // the answers sent then (not the echo, on its own worker) were the tail of every kind.
  const { hour, watches: measured, warmup, gapMs } = settings;
  // The first `warmup` watches get every answer as the rest do, unmeasured: the first answers a fresh
  // watch worker takes run its validators and handlers cold (in a run measured from watch 0, watches 0
  // and 3 gave the slowest first decisions and acknowledgements of all), where the echo's worker is
  // warmed by echoes of its own.
  const n = measured + warmup;
  const plan = symphonyPlan(hour, ctx.keys, (raw) => {
    raw.checkpoints[0].at = '0h';
    raw.checkpoints[1].at = '0h';
  });
  const [first, second] = plan.checkpoints;
  log(
    `answers: ${measured} watches and ${warmup} to warm the worker up (${plan.clock.hour} watch hours) with checkpoints ${first.name} and ${second.name} open and an incident (${FAILING_CHECK} failed at hour 0), ` +
      `and ${n} idle baseline workflows for the echo`,
  );
  const watches = await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    10,
    async (i) => {
      const rel = release(ctx, `ans${i}${FAILING_RELEASE}`);
      return (await startWatch(ctx.client, { plan, release: rel, startedBy: 'bench', taskQueue: worker.taskQueue })).workflowId;
    },
  );
  const incidentOf = (id: string) => `${id}/incident-1`;
  const baselines = await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    10,
    async (i) => {
      const workflowId = `baseline-echo-${ctx.stamp}-${i}`;
      await ctx.client.workflow.start('baselineWorkflow', {
        taskQueue: baseWorker.taskQueue,
        workflowId,
        args: [{ ticks: 1, tickMs: 3_600_000 } satisfies BaselineInput],
      });
      return workflowId;
    },
  );
  // Every watch settled: both checkpoints pending, hour 0's tiers run, its incident open and investigated,
  // the automatic lever it pulled done.
  await settle(watches, 120_000, async (id) => {
    const s = await ctx.client.workflow.getHandle(id).query(statusQuery, 0);
    if (s.checkpoints.filter((c) => c.state === 'pending').length !== 2) return false;
    if (!(s.tiers.hourly?.runs >= 1 && s.tiers.deep?.runs >= 1)) return false;
    if (s.incidents[0]?.state !== 'open' || s.levers.some((l) => l.state === 'running')) return false;
    const rec = await ctx.client.workflow.getHandle(incidentOf(id)).query(incidentQuery);
    return rec.investigation !== undefined;
  });
  await sleep(2000);

  const time = async (run: () => Promise<unknown>) => {
    const t = performance.now();
    await run();
    return performance.now() - t;
  };
  const outsider = Object.keys(plan.people).find((p) => !first.deciders.includes(p))!;
  const refusal = `a ${first.name} decision by ${outsider}, who may not decide it (refused by the validator before any signature check)`;
  const decision = (id: string, checkpoint: string, by: string): Decide =>
    signed<Decide>(plan, ctx, id, 'decide', { checkpoint, decision: 'continue', by });
  const echoOf = (i: number) =>
    time(() =>
      ctx.client.workflow.getHandle(baselines[i]).executeUpdate(echoUpdate, { args: [decision(watches[i], first.name, DECIDER)] }),
    );
  const decide = (i: number, checkpoint: string) =>
    time(() =>
      ctx.client.workflow.getHandle(watches[i]).executeUpdate(decideUpdate, { args: [decision(watches[i], checkpoint, DECIDER)] }),
    );
  const refused = (i: number) =>
    time(async () => {
      try {
        await ctx.client.workflow.getHandle(watches[i]).executeUpdate(decideUpdate, { args: [decision(watches[i], first.name, outsider)] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) return;
        throw err;
      }
      throw new Error(`answers: a decision by ${outsider} was accepted by ${watches[i]}`);
    });
  const ack = (i: number, by: string) =>
    time(() =>
      ctx.client.workflow
        .getHandle(incidentOf(watches[i]))
        .executeUpdate(incidentAckUpdate, { args: [signed<Ack>(plan, ctx, watches[i], 'ack', { incident: '1', by })] }),
    );
  const requestOf: string[] = [];
  const emergency = (i: number) =>
    time(async () => {
      const req = await ctx.client.workflow.getHandle(watches[i]).executeUpdate(emergencyUpdate, {
        args: [signed<Emergency>(plan, ctx, watches[i], 'emergency', { lever: LEVER, by: REQUESTER, reason: 'bench' })],
      });
      requestOf[i] = String(req.seq);
    });
  const approve = (i: number) =>
    time(() =>
      ctx.client.workflow.getHandle(watches[i]).executeUpdate(approveUpdate, {
        args: [signed<Approve>(plan, ctx, watches[i], 'approve', { request: requestOf[i], by: APPROVER })],
      }),
    );

  const phaseStart = Date.now();
  const client = recordPauses();
  const clientPauses = client.pauses;
  // Warm-up: connections and the baseline worker's code paths (the watches are measured from their first answer).
  for (let i = 0; i < 5; i++) await echoOf(i);
  const echo: number[] = [];
  const out: Record<'refused' | 'emergency' | `${AnswerKind}:${'first' | 'later'}`, number[]> = {
    refused: [],
    emergency: [],
    'decision:first': [],
    'decision:later': [],
    'ack:first': [],
    'ack:later': [],
    'approval:first': [],
    'approval:later': [],
  };
  /** A watch's answers in order, with one echo among them at a place that moves from watch to watch. */
  // The client collects its own garbage in the gap: the slowest samples of earlier runs had the bench
  // client paused 31–37 ms in a major collection (and its helper threads on both cores) while they ran.
  const gap = async () => {
    const t = Date.now();
    collectGarbage();
    const left = gapMs - (Date.now() - t);
    if (left > 0) await sleep(left);
  };
  // When each kept sample was sent (epoch ms), beside it: the slowest are set beside the GC pauses then.
  const sentAt = new Map<number[], Array<{ at: number; workflowId: string }>>();
  const echoByPass = { first: [] as number[], later: [] as number[] };
  const pass = async (i: number, which: 'first' | 'later', steps: Array<[keyof typeof out, () => Promise<number>]>) => {
    const at = i % (steps.length + 1);
    const measure = async (xs: number[], workflowId: string, run: () => Promise<number>) => {
      const sent = Date.now();
      const ms = await run();
      if (i < warmup) return;
      xs.push(ms);
      if (xs === echo) echoByPass[which].push(ms);
      if (!sentAt.has(xs)) sentAt.set(xs, []);
      sentAt.get(xs)!.push({ at: sent, workflowId });
    };
    const target = (name: keyof typeof out) => (name.startsWith('ack') ? incidentOf(watches[i]) : watches[i]);
    const sends = steps.map(([name, run]): [number[], string, () => Promise<number>] => [out[name], target(name), run]);
    sends.splice(at, 0, [echo, baselines[i], () => echoOf(i)]);
    for (const [xs, workflowId, run] of sends) {
      await measure(xs, workflowId, run);
      await gap();
    }
  };
  // The two passes interleaved: watch i's first answers, then watch i-LAG's later ones. Sent one pass
  // after the other (runs 1-12), the passes were minutes apart, and the machine and the server's growing
  // store drifted between them: in run 12 every leg of the later pass was slower, even the way to the
  // server where no workflow code runs, and in run 10 the first. Interleaved, both passes and the echoes
  // among them meet the same moments, so drift cannot decide the first-against-later comparison.
  const LAG = 10;
  for (let i = 0; i < n + LAG; i++) {
    if (i < n)
      await pass(i, 'first', [
        ['refused', () => refused(i)],
        ['decision:first', () => decide(i, first.name)],
        ['ack:first', () => ack(i, plan.rotation.windows[0].primary)],
        ['emergency', () => emergency(i)],
        ['approval:first', () => approve(i)],
      ]);
    const j = i - LAG;
    if (j < 0) continue;
    // The approved pull finishes (a stub step and the verify check) before the lever may be asked for
    // again; it ran while the next watches were answered, so this rarely waits.
    await settle([watches[j]], 60_000, async (id) =>
      (await ctx.client.workflow.getHandle(id).query(statusQuery, 0)).levers.every((l) => l.state !== 'running'),
    );
    await gap();
    await pass(j, 'later', [
      ['decision:later', () => decide(j, second.name)],
      ['ack:later', () => ack(j, SECOND_ACK)],
      ['emergency', () => emergency(j)],
      ['approval:later', () => approve(j)],
    ]);
  }
  await terminateAll(ctx, [...watches, ...watches.map(incidentOf), ...baselines]);

  const p99echo = quantile(echo, 0.99);
  const p50echo = quantile(echo, 0.5);
  // Each pass against the echoes sent among its own answers as well (information).
  const passEchoes = { first: latency(echoByPass.first), later: latency(echoByPass.later) };
  const kind = (k: AnswerKind, what: { first: string; later: string }): AnswerLatencies => ({
    first: latency(out[`${k}:first`]),
    later: latency(out[`${k}:later`]),
    firstRatio: r3(quantile(out[`${k}:first`], 0.99) / p99echo),
    laterRatio: r3(quantile(out[`${k}:later`], 0.99) / p99echo),
    firstP50Ratio: r3(quantile(out[`${k}:first`], 0.5) / p50echo),
    laterP50Ratio: r3(quantile(out[`${k}:later`], 0.5) / p50echo),
    firstSamePassRatio: r3(quantile(out[`${k}:first`], 0.99) / quantile(echoByPass.first, 0.99)),
    laterSamePassRatio: r3(quantile(out[`${k}:later`], 0.99) / quantile(echoByPass.later, 0.99)),
    what,
  });
  const result: AnswersResult = {
    watches: measured,
    warmup,
    signed: signing(plan),
    echo: latency(echo),
    echoByPass: passEchoes,
    answers: {
      decision: kind('decision', {
        first: `decide ${first.name} "continue" by ${DECIDER}: the watch's first answer`,
        later: `decide ${second.name} "continue" by ${DECIDER}: its last open checkpoint, after an acknowledgement and an approval`,
      }),
      ack: kind('ack', {
        first: `acknowledge incident 1 by the on-call (${plan.rotation.windows[0].primary}): the incident's first answer`,
        later: `acknowledge it again by ${SECOND_ACK} (a hand-over): its second answer`,
      }),
      approval: kind('approval', {
        first: `approve ${LEVER} request 1 (asked for by ${REQUESTER}) by ${APPROVER}: the pull starts`,
        later: `approve request 2, asked for after request 1 was pulled`,
      }),
    },
    emergency: latency(out.emergency),
    refused: latency(out.refused),
    refusedRatio: r3(quantile(out.refused, 0.99) / p99echo),
    refusal,
    method:
      "client executeUpdate wall time, sequential, signed with the person's key where the plan asks for it; per watch its answers in order with one echo among them " +
      '(a bare update, no validator, on an idle baseline workflow on its own worker, with a decision as its payload) at a place that moves from watch to watch, ' +
      `so drift on a shared machine hits all alike; ${gapMs} ms between requests, as people answer seconds apart: an answer's own follow-up ` +
      "(its notification, a lever's pull) is then done before the next request, which would otherwise wait for it in the same workflow. " +
      'Decisions and approvals go to the watch, acknowledgements to its incident workflow. ' +
      `The first ${warmup} watches get the same answers unmeasured, to warm the watch worker up as echoes warm the echo's. ` +
      `The two passes are interleaved (a watch's later answers follow the first answers of the watch ${LAG} after it), so drift over the phase meets both alike. ` +
      'The bench client collects its own garbage in each gap, so its pauses do not land in a timed request.',
  };
  // Where the tail is: the slowest samples of each kind with the watch they came from (in the order sent,
  // after the warm-up ones), and the GC pauses of 5 ms or more that overlapped them in the bench client
  // (c), the watch worker's main thread (w) and the echo's worker (e).
  client.stop();
  const pauses = { c: clientPauses, w: await worker.pauses(), e: await baseWorker.pauses() };
  const during = (from: number, ms: number) =>
    Object.entries(pauses)
      .flatMap(([who, ps]) => ps.filter((p) => p.at < from + ms && p.at + p.ms > from).map((p) => `${who} ${r3(p.ms)}`))
      .join(' ');
  for (const [k, xs] of Object.entries({ echo, ...out })) {
    const sent = sentAt.get(xs) ?? [];
    const slowest = xs
      .map((ms, i) => ({ ms, i }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5);
    const described = await Promise.all(
      slowest.map(async (x) => {
        const s = sent[x.i];
        if (!s) return `${r3(x.ms)} ms (#${x.i})`;
        const split = await taskSplit(ctx, s.workflowId, s.at, x.ms);
        return `${r3(x.ms)} ms (#${x.i}; GC: ${during(s.at, x.ms) || 'none'}${split ? `; ${describeSplit(split)}` : ''})`;
      }),
    );
    log(`answers: slowest ${k}: ${described.join(', ')}`);
  }
  // Where the typical round trip went, per kind: the median of each part over up to 100 samples spread
  // through the phase (the p50 gap between an answer and the echo is in one of these parts).
  for (const [k, xs] of Object.entries({ echo, ...out })) {
    const sent = sentAt.get(xs) ?? [];
    const every = Math.max(1, Math.floor(xs.length / 100));
    const picked = xs.map((ms, i) => ({ ms, s: sent[i] })).filter((x, i) => i % every === 0 && x.s !== undefined);
    const splits = (await mapLimit(picked, 5, (x) => taskSplit(ctx, x.s!.workflowId, x.s!.at, x.ms))).filter(
      (x): x is Split => x !== undefined,
    );
    if (splits.length === 0) continue;
    const median = (part: Exclude<keyof Split, 'wrote'>) =>
      quantile(
        splits.map((x) => x[part]),
        0.5,
      );
    const wrote = new Map<string, number>();
    for (const x of splits) wrote.set(x.wrote.join(' '), (wrote.get(x.wrote.join(' ')) ?? 0) + 1);
    const typical = { toServer: median('toServer'), toWorker: median('toWorker'), onWorker: median('onWorker'), back: median('back') };
    log(
      `answers: median split of ${k} (${splits.length} samples): ${describeSplit(typical)}; the task wrote ${[...wrote]
        .sort((x, y) => y[1] - x[1])
        .map(([events, n]) => `${n}× [${events}]`)
        .join(', ')}`,
    );
  }
  const slow = (xs: number[]) => {
    const sent = sentAt.get(xs) ?? [];
    const p50 = quantile(xs, 0.5);
    const tail = xs.map((ms, i) => ({ ms, s: sent[i] })).filter((x) => x.ms > 2 * p50 && x.s !== undefined);
    return `${tail.length} over 2× p50, ${tail.filter((x) => during(x.s!.at, x.ms)).length} of them with a GC pause`;
  };
  log(
    `answers: the tail: ${Object.entries({ echo, ...out })
      .map(([k, xs]) => `${k} ${slow(xs)}`)
      .join('; ')}`,
  );
  log(
    `answers: GC pauses ≥ 5 ms in the phase: client ${clientPauses.length}, watch worker ${pauses.w.filter((p) => p.at >= phaseStart).length}, echo worker ${pauses.e.filter((p) => p.at >= phaseStart).length}`,
  );
  for (const [k, v] of Object.entries(result.answers))
    log(
      `answers: ${k}: first p50 ${v.first.p50} p99 ${v.first.p99} ms (${v.firstRatio}× echo p99, ${v.firstSamePassRatio}× its pass's); later p50 ${v.later.p50} p99 ${v.later.p99} ms (${v.laterRatio}×, ${v.laterSamePassRatio}×)`,
    );
  log(
    `answers: echo by pass: first p50 ${passEchoes.first.p50} p99 ${passEchoes.first.p99} ms (${passEchoes.first.n}), later p50 ${passEchoes.later.p50} p99 ${passEchoes.later.p99} ms (${passEchoes.later.n})`,
  );
  log(
    `answers: echo p50 ${result.echo.p50} p99 ${result.echo.p99} ms (${result.echo.n}); refused p50 ${result.refused.p50} p99 ${result.refused.p99}; emergency p50 ${result.emergency.p50} p99 ${result.emergency.p99}`,
  );
  return result;
}

/**
 * Where an answer's round trip went, from the workflow task that took it (its events' server times):
 * to the server (sent → task scheduled), to a worker (scheduled → started), on the worker (started →
 * completed), and back (completed → the client had its answer). Undefined for an answer that left no
 * task in the history (a refusal's speculative task is dropped).
 */
async function taskSplit(ctx: Ctx, workflowId: string, sent: number, ms: number): Promise<Split | undefined> {
  const history = await ctx.client.workflow.getHandle(workflowId).fetchHistory();
  const time = (e: NonNullable<typeof history.events>[number]) =>
    Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
  const events = history.events ?? [];
  const k = events.findIndex((e) => e.workflowTaskScheduledEventAttributes && time(e) >= sent - 1);
  const started = events.slice(k + 1).find((e) => e.workflowTaskStartedEventAttributes);
  const completed = events.slice(k + 1).find((e) => e.workflowTaskCompletedEventAttributes);
  // A task scheduled after the answer came back is the next request's: this one left none.
  if (k < 0 || !started || !completed || time(events[k]) > sent + ms) return undefined;
  const [a, b, c] = [time(events[k]), time(started), time(completed)];
  // What the task's completion wrote: its commands' events and the update's own (not the activity's
  // start and completion, which the server adds later before the next task).
  const from = events.indexOf(completed) + 1;
  const next = events.slice(from).findIndex((e) => e.workflowTaskScheduledEventAttributes);
  const byTask = (e: (typeof events)[number]) =>
    e.workflowExecutionUpdateAcceptedEventAttributes ||
    e.workflowExecutionUpdateCompletedEventAttributes ||
    Object.values(e).some(
      (v: unknown) =>
        typeof v === 'object' &&
        v !== null &&
        'workflowTaskCompletedEventId' in v &&
        Number(v.workflowTaskCompletedEventId) === Number(completed.eventId),
    );
  const wrote = events
    .slice(from, next < 0 ? undefined : from + next)
    .filter(byTask)
    .map(eventName);
  return { toServer: a - sent, toWorker: b - a, onWorker: c - b, back: sent + ms - c, wrote };
}

interface Split {
  toServer: number;
  toWorker: number;
  onWorker: number;
  back: number;
  wrote: string[];
}

const describeSplit = (s: Omit<Split, 'wrote'>) =>
  `to server ${r3(s.toServer)}, to worker ${r3(s.toWorker)}, on worker ${r3(s.onWorker)}, back ${r3(s.back)}`;

/** Polls each workflow until `ready` holds for it, or fails after `timeoutMs` naming the one that did not. */
async function settle(ids: string[], timeoutMs: number, ready: (id: string) => Promise<boolean>): Promise<void> {
  const until = Date.now() + timeoutMs;
  await mapLimit(ids, 5, async (id) => {
    for (;;) {
      if (await ready(id).catch(() => false)) return;
      if (Date.now() > until) throw new Error(`answers: ${id} did not settle within ${timeoutMs / 1000} s`);
      await sleep(200);
    }
  });
}
