// A real SMTP server (aiosmtpd, installed by scripts/setup-smtp.sh) on a free loopback port, keeping
// every message it accepts; the tests parse what arrived with mailparser.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { until } from './poll';

const ROOT = join(__dirname, '..', '..');

export interface Received {
  envelope: { from: string; to: string[]; tls: boolean };
  mail: ParsedMail;
  raw: string;
}

export interface SmtpServer {
  port: number;
  /** Every message accepted so far, in order. */
  received(): Promise<Received[]>;
  stop(): Promise<void>;
}

export interface SmtpOptions {
  /** Offer and require STARTTLS with this certificate. */
  tls?: { certFile: string; keyFile: string };
  /** Require AUTH with these. */
  auth?: { user: string; password: string };
}

export async function startSmtp(dir: string, opts: SmtpOptions = {}): Promise<SmtpServer> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: join(ROOT, '.tools', 'smtp') };
  if (opts.tls) Object.assign(env, { SMTP_CERT: opts.tls.certFile, SMTP_KEY: opts.tls.keyFile });
  if (opts.auth) Object.assign(env, { SMTP_USER: opts.auth.user, SMTP_PASSWORD: opts.auth.password });
  const child: ChildProcess = spawn('python3', [join(__dirname, 'smtp-server.py'), dir, String(port)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`the SMTP server exited: ${out} (run bash scripts/setup.sh)`);
      return out.includes(`listening ${port}`);
    },
    'the SMTP server to listen',
    20_000,
    50,
  );
  return {
    port,
    async received() {
      const numbers = readdirSync(dir)
        .filter((f) => f.endsWith('.eml'))
        .map((f) => Number(f.slice(0, -4)))
        .sort((a, b) => a - b);
      return Promise.all(
        numbers.map(async (n) => {
          const raw = readFileSync(join(dir, `${n}.eml`), 'utf8');
          return { envelope: JSON.parse(readFileSync(join(dir, `${n}.json`), 'utf8')), mail: await simpleParser(raw), raw };
        }),
      );
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
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
