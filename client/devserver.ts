// Starting the Temporal dev server (SQLite file, Web UI) for the demo and the chaos tests.
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions';
import { projectRoot } from '../config/paths';

export interface DevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function temporalBinary(root = projectRoot()): string {
  if (process.env.TEMPORAL_CLI) return process.env.TEMPORAL_CLI;
  const paths = join(root, '.tools', 'paths.json');
  if (!existsSync(paths)) throw new Error('the temporal CLI is not installed: run `bash scripts/setup.sh`');
  return JSON.parse(readFileSync(paths, 'utf8')).temporal;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `temporal server start-dev` on free ports with its SQLite file, waits until it answers. */
export async function startDevServer(opts: { dbFile: string; ui?: boolean; port?: number; uiPort?: number }): Promise<DevServer> {
  mkdirSync(dirname(opts.dbFile), { recursive: true });
  const port = opts.port ?? (await freePort());
  const uiPort = opts.uiPort ?? (await freePort());
  const args = ['server', 'start-dev', '--db-filename', opts.dbFile, '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
  // Compressed clocks need timers on time: the default lets a timer fire up to a second late.
  args.push('--dynamic-config-value', 'history.timerProcessorMaxTimeShift="10ms"');
  if (opts.ui === false) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${key.type === 'INT' ? 'Int' : 'Keyword'}`);
  const child = spawn(temporalBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const address = `127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`temporal dev server exited (${code}): ${stderr.trim()}`))),
  );
  await Promise.race([waitUntilServing(address), exited]);
  return {
    address,
    uiUrl: `http://127.0.0.1:${uiPort}`,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    },
  };
}

async function waitUntilServing(address: string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      const c = await Connection.connect({ address, connectTimeout: '1s' });
      await c.workflowService.getSystemInfo({});
      await c.close();
      return;
    } catch (err) {
      if (Date.now() > until) throw new Error(`the dev server at ${address} did not answer within 60 s: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
