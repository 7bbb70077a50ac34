// One long-running process of the cluster (a Temporal service, or PostgreSQL): started again after
// a kill with the same command, its output appended to one log file, its CPU time and memory read
// from /proc, summed over its children (PostgreSQL's backends) and over earlier incarnations.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { until } from './poll';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  /** Run as this user (PostgreSQL refuses root). */
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return clockTicks;
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces): [0] is field 3 (state). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The pids whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields && Number(fields[1]) === pid) out.push(Number(entry));
  }
  return out;
}

/** utime + stime, and with `reaped` the children it has waited for (PostgreSQL's closed backends). */
function cpuTicks(pid: number, reaped = false): number {
  const f = statFields(pid);
  if (!f) return 0;
  return Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0);
}

/** CPU seconds a live process has used so far (user + system). */
export function processCpuSeconds(pid: number): number {
  return cpuTicks(pid) / ticksPerSecond();
}

/** Proportional set size: shared pages (PostgreSQL's shared buffers) are split among their users, not counted once per process. */
function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function alive(pid: number): boolean {
  const f = statFields(pid);
  return f !== undefined && f[0] !== 'Z';
}

export class ClusterProcess {
  private child?: ChildProcess;
  private exit?: Promise<void>;
  private earlierTicks = 0;

  constructor(readonly spec: ProcessSpec) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  /** The running process's pid; 0 while it is down. */
  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** Spawns the process; `start` in the cluster then waits until it is ready. */
  spawn(): void {
    if (this.child) throw new Error(`${this.spec.name} is already running (pid ${this.child.pid})`);
    const log = openSync(this.spec.logFile, 'a');
    let child: ChildProcess;
    try {
      // setpriv sets a parent-death signal and then execs the command (same pid): when the test
      // process dies, even by SIGKILL or without stopping its cluster, the cluster dies with it.
      child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', this.spec.command, ...this.spec.args], {
        stdio: ['ignore', log, log],
        // Its own process group: a Ctrl-C at the terminal reaches the test or script, which stops
        // the cluster in order, not every process at once.
        detached: true,
        uid: this.spec.uid,
        gid: this.spec.gid,
        env: this.spec.env ?? process.env,
      });
    } finally {
      closeSync(log); // the child has its own copy
    }
    child.on('error', () => undefined); // a spawn failure: no pid, reported just below
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${this.spec.name} did not start (setpriv ${this.spec.command}); see ${this.spec.logFile}`);
    // A test that never stops its cluster must not keep Node running (the parent-death signal ends the cluster).
    child.unref();
    this.child = child;
    this.exit = new Promise((resolve) => {
      child.once('exit', () => {
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
  }

  /** Rejects if the process exits before `ready` resolves, with the end of its log. */
  async whileRunning<T>(ready: Promise<T>): Promise<T> {
    const exit = this.exit;
    if (!exit) throw new Error(`${this.spec.name} is not running`);
    const died = exit.then(() => {
      throw new Error(`${this.spec.name} exited while starting; last lines of ${this.spec.logFile}:\n${this.logTail()}`);
    });
    return Promise.race([ready, died]);
  }

  /**
   * Sends `signal` and waits until the process has exited. With SIGKILL its children die too, the
   * way they would in a crash of the host, and the wait covers them (PostgreSQL's backends hold its
   * shared memory until they go).
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL', graceMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    const pid = child.pid;
    child.ref(); // Node waits for its exit now
    const children = childrenOf(pid);
    this.earlierTicks += this.ownTicks(pid, children);
    const exit = this.exit;
    process.kill(pid, signal);
    if (signal === 'SIGKILL') for (const c of children) trySignal(c, 'SIGKILL');
    const gone = await Promise.race([exit?.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), graceMs).unref())]);
    if (!gone) {
      process.kill(pid, 'SIGKILL');
      for (const c of children) trySignal(c, 'SIGKILL');
      await exit;
    }
    await until(() => children.every((c) => !alive(c)), `${this.spec.name}'s child processes to exit`, 30_000, 50);
  }

  /** CPU seconds used by this process and its children, over every incarnation so far. */
  cpuSeconds(): number {
    const pid = this.pid;
    const now = pid ? this.ownTicks(pid, childrenOf(pid)) : 0;
    return (this.earlierTicks + now) / ticksPerSecond();
  }

  /** Memory now (proportional set size, with its children), in MB; 0 while down. */
  memoryMegabytes(): number {
    const pid = this.pid;
    if (!pid) return 0;
    return [pid, ...childrenOf(pid)].reduce((sum, p) => sum + pssKb(p), 0) / 1024;
  }

  logTail(lines = 30): string {
    if (!existsSync(this.spec.logFile)) return '(no log)';
    return readFileSync(this.spec.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  private ownTicks(pid: number, children: number[]): number {
    return children.reduce((sum, p) => sum + cpuTicks(p), cpuTicks(pid, true));
  }
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
