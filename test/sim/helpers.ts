import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSimulator, type Simulator } from '../../sim/server';

export const SECRET = 'test-secret';
export const BIN = path.resolve(__dirname, '../../sim/bin');

export async function startTestSim(timeScale = 0.001): Promise<Simulator> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'symphony-sim-'));
  return startSimulator({ dir, timeScale, hmacSecret: SECRET, port: 0 });
}

export async function stopTestSim(sim: Simulator | undefined): Promise<void> {
  if (!sim) return;
  await sim.close();
  fs.rmSync(sim.dir, { recursive: true, force: true });
}

export interface Res {
  status: number;
  raw: Buffer;
  text: string;
  type: string;
  json: any;
}

export function request(
  sim: Simulator,
  method: string,
  urlPath: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Res> {
  const data = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(`${sim.url}${urlPath}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const text = raw.toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, raw, text, type: String(res.headers['content-type']), json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

export const get = (sim: Simulator, p: string) => request(sim, 'GET', p);
export const post = (sim: Simulator, p: string, body?: unknown, headers?: Record<string, string>) => request(sim, 'POST', p, body, headers);

/** New lines of a log file since the reader was made. */
export function logReader(file: string): () => string[] {
  const start = fs.existsSync(file) ? fs.statSync(file).size : 0;
  return () =>
    fs
      .readFileSync(file)
      .subarray(start)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0);
}

export const triggersLog = (sim: Simulator) => path.join(sim.dir, 'logs', 'triggers.log');
export const overridesLog = (sim: Simulator) => path.join(sim.dir, 'logs', 'overrides.jsonl');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(script: string, args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  const fullEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) fullEnv[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(BIN, script), ...args], { env: fullEnv }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export const simEnv = (sim: Simulator, extra: Record<string, string> = {}) => ({
  SYMPHONY_URL: sim.url,
  FEDERATION_HMAC_SECRET: SECRET,
  ...extra,
});
