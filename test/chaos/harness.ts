// The chaos suite's world: a Temporal dev server on its SQLite file that is stopped and started
// again on the same port, worker processes that are SIGKILLed and replaced, the notification
// receiver, the simulator, and a schedule of faults drawn from a seeded random generator (the
// seed is printed, so a failing run can be repeated with CHAOS_SEED).
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DevServer, freePort, startDevServer } from '../../client/devserver';
import type { Plan, SinkSpec } from '../../plan/schema';
import { Receiver, startReceiver } from '../helpers/receiver';
import { workflowBundle } from '../helpers/servers';
import { startWorkerProcess, WorkerProcess, writeBundle } from '../helpers/worker-process';
import { startWorld, World } from '../helpers/world';

// ---- configuration ------------------------------------------------------------------------------

export interface ChaosConfig {
  long: boolean;
  seed: number;
  /** SIGKILLs of the worker. */
  kills: number;
  /** Length of the watch in watch hours. */
  hours: number;
  /** Real length of a watch hour: the tick every deadline must fire within. */
  hourMs: number;
}

/** The bounded form by default; CHAOS_LONG=1 the longer one; CHAOS_SEED / _KILLS / _HOURS / _HOUR_MS override. */
export function chaosConfig(env: NodeJS.ProcessEnv = process.env): ChaosConfig {
  const long = env.CHAOS_LONG === '1';
  const num = (name: string, fallback: number, min: number): number => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer of at least ${min} (got ${JSON.stringify(text)})`);
    return n;
  };
  return {
    long,
    seed: num('CHAOS_SEED', randomInt(1, 2 ** 31 - 1), 1),
    kills: num('CHAOS_KILLS', long ? 60 : 20, 6),
    // 47 h keeps the 12 h and 24 h checkpoints and leaves out the 48 h one (a release there is gated on
    // an all-green watch, which a hung tier run is not).
    hours: num('CHAOS_HOURS', long ? 47 : 24, 16),
    hourMs: num('CHAOS_HOUR_MS', long ? 4000 : 2500, 1000),
  };
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// ---- the schedule of faults ---------------------------------------------------------------------

/**
 * Where a kill is aimed. `random`: a moment drawn from the seed. `probe-record`: just after the
 * simulator answered a fast-pulse probe, before the watch can have recorded it. `notification`:
 * while a webhook delivery is held at the receiver, unanswered. `checkpoint`: as a checkpoint's
 * slot comes due. `continue-as-new`: just after the continueAsNow signal. `new-run`: as soon as the
 * server shows the run that continue-as-new started.
 */
export type KillTarget = 'random' | 'probe-record' | 'notification' | 'checkpoint' | 'continue-as-new' | 'new-run';

export interface PlannedKill {
  /** Watch hour from which the kill is prepared. */
  at: number;
  target: KillTarget;
  /** Extra delay after the target moment, in ms (from the seed). */
  delayMs: number;
}

export interface ChaosSchedule {
  kills: PlannedKill[];
  /** Watch hours at which the dev server is stopped and started again from its file. */
  serverRestarts: number[];
  /** Whole watch hours the receiver is down for (its port closed). */
  receiverDown: Array<{ from: number; to: number }>;
  /** Hourly-only slots during which the simulator hangs every probe. */
  hangs: number[];
  /** Watch hours at which the fast pulse starts failing (six-word-fail) until the watch has recorded it: an incident under chaos. */
  failures: number[];
}

export function drawSchedule(cfg: ChaosConfig): ChaosSchedule {
  const rnd = seededRandom(cfg.seed);
  const between = (lo: number, hi: number) => lo + (hi - lo) * rnd();
  const round2 = (x: number) => Math.round(x * 100) / 100;
  const kills: PlannedKill[] = [];
  const add = (at: number, target: KillTarget, maxDelayMs = 0) =>
    kills.push({ at: round2(at), target, delayMs: Math.round(rnd() * maxDelayMs) });

  // One hung hourly run (two in the long form), away from the 4-hourly deep runs so only the pulse hangs.
  const hangs = [5 + Math.floor(rnd() * 3)];
  if (cfg.long) hangs.push(29 + Math.floor(rnd() * 3));
  // The server restart comes before the first hang; the long form restarts it once more on day two.
  const serverRestarts = [round2(between(3.5, 4.5))];
  if (cfg.long) serverRestarts.push(round2(between(26.5, 28.5)));
  // Down across the 12 h checkpoint's opening and its notification; in the long form also across the
  // second hang's incident page.
  const receiverDown = [{ from: round2(between(11.4, 11.8)), to: 0 }];
  if (cfg.long) receiverDown.push({ from: round2(hangs[1] + between(0.2, 0.5)), to: 0 });
  for (const d of receiverDown) d.to = round2(d.from + 1);

  // Aimed kills first, the rest at random moments; all in the first two thirds of the watch, so that
  // every kill lands while the watch runs (each takes a worker restart, 1-2 s, one after another).
  const last = (cfg.hours * 2) / 3;
  for (const h of hangs) add(h - 0.4, 'notification');
  add(12 + between(0, 0.1), 'checkpoint');
  if (cfg.long) add(24 + between(0, 0.1), 'checkpoint');
  // Continue-as-new needs a quiet moment (no run, notification or lever in flight): the first kills,
  // aimed at it, come before any other chaos, while the watch is on time; the long form aims at it
  // again later (and the watch continues-as-new on its own every 6 watch hours when quiet).
  add(between(0.8, 1.2), 'new-run');
  add(between(1.8, 2.4), 'continue-as-new', 60);
  for (let i = 1; i < (cfg.long ? 3 : 1); i++) {
    add(between(8, last), 'continue-as-new', 60);
    add(between(8, last), 'new-run');
  }
  const probes = cfg.long ? 6 : 2;
  for (let i = 0; i < probes; i++) add(between(3, last), 'probe-record', 150);
  while (kills.length < cfg.kills) add(between(3, last), 'random');
  kills.sort((a, b) => a.at - b.at);
  const failures = [round2(between(8.5, 9.5))];
  if (cfg.long) failures.push(round2(between(20.5, 21.5)));
  return { kills: kills.slice(0, cfg.kills), serverRestarts, receiverDown, hangs, failures };
}

// ---- the world ----------------------------------------------------------------------------------

export const PATHS = { webhook: '/webhook', slack: '/slack', trigger: '/pagerduty/v2/enqueue', change: '/pagerduty/v2/change/enqueue' };

export interface KillRecord {
  n: number;
  target: KillTarget;
  /** Wall time of the SIGKILL. */
  at: number;
  pid: number;
  /** The Temporal identity of the killed worker (pid@host), as workflow task events record it. */
  identity: string;
  /** When the replacement polled its task queue. */
  replacedAt: number;
  /** What the aim waited for, e.g. "webhook request held". */
  aimed?: string;
}

export interface ServerRestart {
  stoppedAt: number;
  /** The new server answers (the same SQLite file, the same port). */
  servingAt: number;
}

export interface ReceiverOutage {
  from: number;
  to: number;
  /** Requests refused while it was down (connections refused are not seen: counted by the retries). */
}

/** Serialises the operations that take the cluster apart, so a kill never lands in a server restart. */
class Lock {
  private tail: Promise<void> = Promise.resolve();
  run<T>(f: () => Promise<T>): Promise<T> {
    const result = this.tail.then(f);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export class ChaosWorld {
  readonly dir: string;
  readonly dbFile: string;
  readonly taskQueue = 'release-watch-chaos';
  readonly sinkEnv: Record<string, string> = {};
  readonly sinks: SinkSpec[] = [];
  readonly notificationsFile: string;
  server!: DevServer;
  port = 0;
  client!: Client;
  world!: World;
  rx!: Receiver;
  readonly kills: KillRecord[] = [];
  readonly serverRestarts: ServerRestart[] = [];
  readonly receiverOutages: ReceiverOutage[] = [];
  /** Workers that exited without being killed by us (each is replaced). */
  readonly unexpectedExits: string[] = [];
  private readonly workers: WorkerProcess[] = [];
  private current?: WorkerProcess;
  private bundlePath = '';
  private connection?: Connection;
  private readonly lock = new Lock();
  private stopping = false;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'rw-chaos-'));
    this.dbFile = join(this.dir, 'temporal.sqlite');
    this.notificationsFile = join(this.dir, 'notifications.jsonl');
  }

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = await startDevServer({ dbFile: this.dbFile, port: this.port, ui: false });
    this.connection = await Connection.connect({ address: this.server.address });
    this.client = new Client({ connection: this.connection });
    this.world = await startWorld();
    this.rx = await startReceiver();
    const routingKey = `chaos-routing-${randomInt(1e9)}`;
    Object.assign(this.sinkEnv, {
      RW_CHAOS_WEBHOOK_URL: `${this.rx.url}${PATHS.webhook}`,
      RW_CHAOS_SLACK_URL: `${this.rx.url}${PATHS.slack}`,
      RW_CHAOS_PD_ROUTING_KEY: routingKey,
      RW_CHAOS_PD_URL: `${this.rx.url}/pagerduty`,
    });
    this.sinks.push(
      { kind: 'file', path: this.notificationsFile },
      { kind: 'webhook', urlEnv: 'RW_CHAOS_WEBHOOK_URL' },
      { kind: 'slack', urlEnv: 'RW_CHAOS_SLACK_URL' },
      { kind: 'pagerduty', routingKeyEnv: 'RW_CHAOS_PD_ROUTING_KEY', urlEnv: 'RW_CHAOS_PD_URL' },
    );
    this.bundlePath = writeBundle((await workflowBundle()).code, this.dir);
    await this.startWorker();
  }

  /** The watch plan with this world's sinks and reports folder. */
  withSinks(plan: Plan): Plan {
    return { ...plan, notify: { sinks: this.sinks, reportsDir: join(this.dir, 'reports') } };
  }

  get address(): string {
    return this.server.address;
  }

  private async startWorker(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const w = startWorkerProcess({
        address: this.server.address,
        taskQueue: this.taskQueue,
        bundlePath: this.bundlePath,
        env: this.sinkEnv,
      });
      this.workers.push(w);
      try {
        await w.ready;
      } catch (err) {
        if (attempt >= 3 || this.stopping) throw err;
        this.unexpectedExits.push(`pid ${w.pid} exited before it was ready: ${(err as Error).message.slice(0, 300)}`);
        continue;
      }
      this.current = w;
      // A worker that dies on its own (not by our SIGKILL) is noted and replaced.
      void w.exited.then(({ code, signal }) => {
        if (this.stopping || this.current !== w || signal === 'SIGKILL') return;
        this.unexpectedExits.push(`pid ${w.pid} exited (${signal ?? code}): ${w.output().slice(-500)}`);
        void this.lock.run(() => this.startWorker()).catch(() => undefined);
      });
      return;
    }
  }

  /**
   * SIGKILLs the worker at the moment `aim` resolves (inside the lock) and starts a replacement;
   * `whileDown` runs between the two (the worker dead, its replacement not yet started).
   */
  kill(
    target: KillTarget,
    aim: () => Promise<string | undefined> = async () => undefined,
    whileDown: () => void = () => undefined,
  ): Promise<KillRecord> {
    return this.lock.run(async () => {
      const aimed = await aim();
      const victim = this.current!;
      const at = Date.now();
      await victim.kill();
      whileDown();
      await this.startWorker();
      const rec: KillRecord = {
        n: this.kills.length + 1,
        target,
        at,
        pid: victim.pid,
        identity: `${victim.pid}@${hostname()}`,
        replacedAt: Date.now(),
        aimed,
      };
      this.kills.push(rec);
      return rec;
    });
  }

  /** Stops the dev server (SIGTERM) and starts it again from its SQLite file on the same port. */
  restartServer(): Promise<ServerRestart> {
    return this.lock.run(async () => {
      const stoppedAt = Date.now();
      await this.server.stop();
      this.server = await startDevServer({ dbFile: this.dbFile, port: this.port, ui: false });
      const r = { stoppedAt, servingAt: Date.now() };
      this.serverRestarts.push(r);
      return r;
    });
  }

  async receiverDown(): Promise<void> {
    await this.rx.down('closed');
    this.receiverOutages.push({ from: Date.now(), to: Infinity });
  }

  async receiverUp(): Promise<void> {
    await this.rx.up();
    this.receiverOutages[this.receiverOutages.length - 1].to = Date.now();
  }

  /** The last output of the running worker (its stderr carries workflow task failures). */
  workerOutput(): string {
    return this.current?.output() ?? '';
  }

  workerIdentities(): string[] {
    return this.workers.map((w) => `${w.pid}@${hostname()}`);
  }

  /** Set while a run has not passed: close() then keeps its files for a look. */
  keepOnClose = false;

  /** Stops everything this world started; safe to call twice and after a failed start. */
  async close(): Promise<void> {
    this.stopping = true;
    for (const w of this.workers) await w.kill().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
    await this.server?.stop().catch(() => undefined);
    await this.rx?.close().catch(() => undefined);
    await this.world?.close().catch(() => undefined);
    // CHAOS_KEEP=1, or a failed run, keeps the SQLite file, the bundle and the notification file to look
    // at (`npx tsx scripts/chaos-history.ts <dir> <workflow id>`, or `temporal server start-dev --db-filename`).
    if (process.env.CHAOS_KEEP === '1' || this.keepOnClose)
      console.log(`chaos: kept ${this.dir}${this.keepOnClose ? ' (the run failed)' : ''}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---- waiting without sleeping as synchronisation ----------------------------------------------

export { Over, until } from '../helpers/poll';

/** Resolves at a wall time, or at once when `signal` aborts: the chaos schedule's clock (faults are injected on it, nothing waits on it for state). */
export function at(wallMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, wallMs - Date.now()));
    signal?.addEventListener('abort', done, { once: true });
  });
}
