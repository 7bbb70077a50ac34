import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { runCommand, type CommandObservation, type CommandSpec } from '../../probes/command/process';

const NODE = process.execPath;

function spec(argv: string[], more: Partial<CommandSpec> = {}): CommandSpec {
  return { argv, shell: false, env: {}, timeoutMs: 20_000, json: false, maxOutputBytes: 65_536, ...more };
}

let dir: string;
beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'rw-command-')));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runCommand', () => {
  it('captures stdout, stderr and a zero exit', async () => {
    const run = await runCommand(spec([NODE, '-e', 'console.log("hello"); console.error("note")']));
    expect(run).toMatchObject({ exitCode: 0, stdout: 'hello\n', stderr: 'note\n', stdoutTruncated: false });
    expect(run.failure).toBeUndefined();
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('reports a non-zero exit as a result, not a failure', async () => {
    const run = await runCommand(spec(['sh', '-c', 'echo broken >&2; exit 3']));
    expect(run).toMatchObject({ exitCode: 3, stderr: 'broken\n' });
    expect(run.failure).toBeUndefined();
  });

  it('parses JSON stdout when asked', async () => {
    const run = await runCommand(spec([NODE, '-e', 'console.log(JSON.stringify({ services: { ollama: true } }))'], { json: true }));
    expect(run.stdoutJson).toEqual({ ok: true, value: { services: { ollama: true } } });
  });

  it('keeps garbage stdout as text and says it is not JSON', async () => {
    const run = await runCommand(spec(['sh', '-c', 'printf "Traceback (most recent call last): {"'], { json: true }));
    expect(run.stdout).toBe('Traceback (most recent call last): {');
    expect(run.stdoutJson?.ok).toBe(false);
    expect(run.failure).toBeUndefined();
  });

  it('caps huge output but drains it, so the command finishes', async () => {
    const script = 'process.stdout.write("x".repeat(3_000_000)); process.stderr.write("e".repeat(2_000_000))';
    const run = await runCommand(spec([NODE, '-e', script], { maxOutputBytes: 1_000 }));
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe('x'.repeat(1_000));
    expect(run.stderr).toBe('e'.repeat(1_000));
    expect(run.stdoutTruncated).toBe(true);
    expect(run.stderrTruncated).toBe(true);
  });

  it('kills a hanging command and everything it started when the timeout passes', async () => {
    // The background sleep holds stdout open: only killing the whole group ends the run.
    const run = await runCommand(spec(['sh', '-c', 'echo started; sleep 60 & sleep 60'], { timeoutMs: 300 }));
    expect(run.failure).toBe('timed out after 300ms');
    expect(run.stdout).toBe('started\n');
    expect(run.signal).toBe('SIGKILL');
  }, 10_000);

  it('says which program is missing', async () => {
    const run = await runCommand(spec(['definitely-not-a-program-rw', '--version']));
    expect(run.failure).toBe('program not found: definitely-not-a-program-rw');
    expect(run.exitCode).toBeUndefined();
  });

  it('says when a program is not executable', async () => {
    const file = join(dir, 'not-executable.sh');
    writeFileSync(file, '#!/bin/sh\necho hi\n');
    chmodSync(file, 0o644);
    const run = await runCommand(spec([file]));
    expect(run.failure).toBe(`program not executable: ${file}`);
  });

  it('says when the working directory is missing', async () => {
    const run = await runCommand(spec(['pwd'], { cwd: join(dir, 'nowhere') }));
    expect(run.failure).toBe(`working directory not found: ${join(dir, 'nowhere')}`);
  });

  it('runs in cwd with env merged over the worker environment', async () => {
    const run = await runCommand(
      spec(['sh', '-c', 'pwd; printf "%s %s" "$PROBE_VAR" "${PATH:+has-path}"'], { cwd: dir, env: { PROBE_VAR: 'hello' } }),
    );
    expect(run.stdout).toBe(`${dir}\nhello has-path`);
  });

  it('uses no shell unless asked', async () => {
    const plain = await runCommand(spec(['echo', '$HOME;', 'ls']));
    expect(plain.stdout).toBe('$HOME; ls\n');
    const shell = await runCommand(spec(['echo "$1-$2"', 'a', 'b'], { shell: true }));
    expect(shell.stdout).toBe('a-b\n');
  });

  describe('inside an activity', () => {
    it('heartbeats while the command runs', async () => {
      const flag = join(dir, 'heartbeat-seen');
      const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 1_500 });
      env.once('heartbeat', () => writeFileSync(flag, ''));
      const run: CommandObservation = await env.run(
        runCommand,
        spec(['sh', '-c', `while [ ! -f '${flag}' ]; do sleep 0.02; done; echo done`]),
      );
      expect(run.stdout).toBe('done\n');
    }, 10_000);

    it('kills the command and throws when the activity is cancelled', async () => {
      const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 1_500 });
      env.once('heartbeat', () => env.cancel());
      await expect(env.run(runCommand, spec(['sleep', '60']))).rejects.toBeInstanceOf(CancelledFailure);
    }, 10_000);
  });
});
