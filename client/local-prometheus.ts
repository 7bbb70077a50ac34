// A local Prometheus for the demo and the tests: its own config, storage in a folder of its own, a free
// loopback port, ready when /-/ready says so, stopped by whoever started it. The package's system
// service is never used.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { stringify } from 'yaml';

export interface PrometheusOptions {
  /** host:port of each service to scrape (one job, `stand-in`). */
  targets: string[];
  /** Default '1s'. */
  scrapeInterval?: string;
  /** Where the config and the data go (default: a temporary folder, removed on stop). */
  dir?: string;
}

/** One series of an instant query, as the tests read it. */
export interface SeenSeries {
  labels: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly dir: string;
  /** Polls an instant query until it gives at least one series (and `accept` them), or fails after `timeoutMs`. */
  waitForSeries(query: string, accept?: (series: SeenSeries[]) => boolean, timeoutMs?: number): Promise<SeenSeries[]>;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  "Prometheus is not installed: run `bash scripts/setup.sh` (it installs Debian's prometheus package), or " +
  '`apt-get install --no-install-recommends prometheus`, or set PROMETHEUS_BIN to a prometheus binary';

/** The prometheus binary: $PROMETHEUS_BIN, else the one on PATH; throws saying how to install it. */
export function prometheusBinary(): string {
  const named = process.env.PROMETHEUS_BIN;
  if (named) {
    if (!isExecutable(named)) throw new Error(`PROMETHEUS_BIN=${named} is not an executable file. ${INSTALL_HINT}`);
    return named;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'prometheus');
    if (dir && isExecutable(candidate)) return candidate;
  }
  throw new Error(INSTALL_HINT);
}

/** promtool, from the same package as the prometheus binary. */
export function promtoolBinary(): string {
  const beside = join(dirname(prometheusBinary()), 'promtool');
  if (!isExecutable(beside)) throw new Error(`no promtool beside ${prometheusBinary()}. ${INSTALL_HINT}`);
  return beside;
}

export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusServer> {
  const binary = prometheusBinary();
  const ownDir = !opts.dir;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'rw-prometheus-'));
  mkdirSync(dir, { recursive: true });
  const interval = opts.scrapeInterval ?? '1s';
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(
    configFile,
    stringify({
      global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
      scrape_configs: [{ job_name: 'stand-in', static_configs: [{ targets: opts.targets }] }],
    }),
  );

  // A free port can be taken between our probe and Prometheus binding it: try again on another.
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
        '--storage.tsdb.retention.time=1h',
        // Debian's defaults point at /etc/prometheus for these; the tests need neither.
        `--web.console.templates=${dir}`,
        `--web.console.libraries=${dir}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    const url = `http://127.0.0.1:${port}`;
    try {
      await ready(url, child, () => stderr);
      return server(url, dir, child, ownDir);
    } catch (err) {
      await stopProcess(child);
      lastError = err as Error;
      if (!/address already in use/.test(stderr)) break;
    }
  }
  if (ownDir) rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

async function ready(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`prometheus exited (${code ?? signal}) before it was ready: ${stderr().trim()}`)),
    ),
  );
  exited.catch(() => undefined);
  await Promise.race([until(async () => (await fetch(`${url}/-/ready`)).ok, `prometheus at ${url} to be ready`, 30_000, 50), exited]);
}

function server(url: string, dir: string, child: ChildProcess, ownDir: boolean): PrometheusServer {
  let stopped: Promise<void> | undefined;
  return {
    url,
    dir,
    waitForSeries: (query, accept = () => true, timeoutMs = 30_000) =>
      until(
        async () => {
          const series = await instant(url, query);
          return series.length > 0 && accept(series) ? series : undefined;
        },
        `the query ${JSON.stringify(query)} to give series`,
        timeoutMs,
        200,
      ),
    stop() {
      stopped ??= (async () => {
        await stopProcess(child);
        if (ownDir) rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

async function instant(url: string, query: string): Promise<SeenSeries[]> {
  const res = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query }) });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: any[] } };
  if (body.status !== 'success') throw new Error(body.error ?? `HTTP ${res.status}`);
  if (body.data!.resultType !== 'vector') throw new Error(`expected a vector, got ${body.data!.resultType}`);
  return body.data!.result.map((r) => ({
    labels: r.metric,
    value: r.value[1] === '+Inf' ? Infinity : r.value[1] === '-Inf' ? -Infinity : Number(r.value[1]),
  }));
}

/** SIGTERM, then SIGKILL if it has not exited within 10 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Polls `probe` until it gives a value (errors count as not yet), or throws after `timeoutMs`. */
async function until<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs: number, everyMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
