// The command probe: argv run without a shell (unless the plan opts in), in its own process
// group so a timeout kills everything it started, output capped but always drained.
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { formatDuration } from '../../plan/duration';
import { cancellationSignal, CappedBuffer, errorCode, isResourceExhaustion, parseJson, startHeartbeats } from '../runtime';

export interface CommandSpec {
  argv: string[];
  shell: boolean;
  cwd?: string;
  env: Record<string, string>;
  timeoutMs: number;
  json: boolean;
  maxOutputBytes: number;
}

export interface CommandObservation {
  exitCode?: number;
  /** The signal that ended the process, when one did. */
  signal?: string;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** With `json: true`: stdout parsed, or why it did not parse. */
  stdoutJson?: { ok: true; value: unknown } | { ok: false; error: string };
  durationMs: number;
  /** Why the command gave no answer to judge (not found, timed out). */
  failure?: string;
}

export async function runCommand(spec: CommandSpec): Promise<CommandObservation> {
  const started = performance.now();
  const cwdProblem = spec.cwd === undefined ? undefined : await workingDirectoryProblem(spec.cwd);
  if (cwdProblem) return notRun(cwdProblem, performance.now() - started);
  const run = await runProcess(spec);
  const durationMs = performance.now() - started;
  const stdout = run.stdout.text();
  return {
    exitCode: run.exitCode,
    signal: run.signal,
    stdout,
    stderr: run.stderr.text(),
    stdoutTruncated: run.stdout.truncated,
    stderrTruncated: run.stderr.truncated,
    ...(spec.json && run.failure === undefined ? { stdoutJson: parseJson(stdout) } : {}),
    durationMs,
    ...(run.failure ? { failure: run.failure } : {}),
  };
}

/** The program as spawned: argv[0] itself, or with `shell`, argv[0] as a /bin/sh script whose $1.. are the other items. */
function programAndArgs(spec: CommandSpec): [string, string[]] {
  if (spec.shell) return ['/bin/sh', ['-c', spec.argv[0], 'sh', ...spec.argv.slice(1)]];
  return [spec.argv[0], spec.argv.slice(1)];
}

async function workingDirectoryProblem(cwd: string): Promise<string | undefined> {
  try {
    const info = await stat(cwd);
    return info.isDirectory() ? undefined : `working directory is not a folder: ${cwd}`;
  } catch (err) {
    if (isResourceExhaustion(err)) throw err;
    return errorCode(err) === 'ENOENT' ? `working directory not found: ${cwd}` : `working directory unusable: ${cwd} (${errorCode(err)})`;
  }
}

interface ProcessRun {
  exitCode?: number;
  signal?: string;
  stdout: CappedBuffer;
  stderr: CappedBuffer;
  failure?: string;
}

function runProcess(spec: CommandSpec): Promise<ProcessRun> {
  const [program, args] = programAndArgs(spec);
  const run: ProcessRun = { stdout: new CappedBuffer(spec.maxOutputBytes), stderr: new CappedBuffer(spec.maxOutputBytes) };
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(program, args, {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      settleSpawnError(err, program, run, resolve, reject);
      return;
    }
    let timedOut = false;
    let settled = false;
    const cancelled = cancellationSignal();
    const stopHeartbeats = startHeartbeats(() => ({ program, outputBytes: run.stdout.seen + run.stderr.seen }));
    const end = () => {
      settled = true;
      clearTimeout(timer);
      cancelled?.removeEventListener('abort', onCancel);
      stopHeartbeats();
    };
    const onCancel = () => killGroup(child);
    cancelled?.addEventListener('abort', onCancel);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
      if (hasExited(child)) closeOutput(child);
    }, spec.timeoutMs);

    child.stdout!.on('data', (chunk: Buffer) => run.stdout.add(chunk));
    child.stderr!.on('data', (chunk: Buffer) => run.stderr.add(chunk));
    child.once('exit', () => {
      // A background child may hold the pipes open after the timeout killed the group's leader.
      if (timedOut) closeOutput(child);
    });
    child.on('error', (err) => {
      if (settled || child.pid !== undefined) return;
      end();
      settleSpawnError(err, program, run, resolve, reject);
    });
    child.once('close', (code, signal) => {
      if (settled) return;
      end();
      if (cancelled?.aborted) return reject(cancelled.reason);
      run.exitCode = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : undefined);
      if (signal) run.signal = signal;
      if (timedOut) run.failure = `timed out after ${formatDuration(spec.timeoutMs)}`;
      resolve(run);
    });
  });
}

function settleSpawnError(
  err: unknown,
  program: string,
  run: ProcessRun,
  resolve: (run: ProcessRun) => void,
  reject: (err: unknown) => void,
): void {
  if (isResourceExhaustion(err)) return reject(err);
  const code = errorCode(err);
  if (code === 'ENOENT') run.failure = `program not found: ${program}`;
  else if (code === 'EACCES') run.failure = `program not executable: ${program}`;
  else run.failure = `cannot start ${program}: ${(err as Error).message}`;
  resolve(run);
}

/** The whole process group: the command and anything it started. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function closeOutput(child: ChildProcess): void {
  child.stdout?.destroy();
  child.stderr?.destroy();
}

function notRun(failure: string, durationMs: number): CommandObservation {
  return { stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs, failure };
}
