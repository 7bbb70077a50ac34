// PostgreSQL for the cluster: a fresh data folder (initdb) and a server on a free port, its unix
// socket in the cluster's folder. PostgreSQL refuses to run as root, so as root it runs as the
// system user `postgres` (scripts/cluster/setup.sh creates it when missing).
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ClusterProcess } from './cluster-process';
import { until } from './poll';

const run = promisify(execFile);

/** The role Temporal logs in as: the superuser initdb creates, trusted on 127.0.0.1 and the socket. */
export const PG_ROLE = 'temporal';
const PG_SYSTEM_USER = 'postgres';

export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(join(root, '15', 'bin', 'postgres'))) return join(root, '15', 'bin');
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error('PostgreSQL is not installed: run `bash scripts/cluster/setup.sh` (npm run test:cluster does it)');
  return join(root, versions[0], 'bin');
}

function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  try {
    const uid = Number(execFileSync('id', ['-u', PG_SYSTEM_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', PG_SYSTEM_USER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`PostgreSQL cannot run as root and there is no '${PG_SYSTEM_USER}' user: run \`bash scripts/cluster/setup.sh\``);
  }
}

export interface PostgresServer {
  readonly port: number;
  readonly process: ClusterProcess;
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
}

/** Creates the data folder under `dir` (initdb); `start()` then runs the server on `port`. */
export async function preparePostgres(dir: string, port: number, signal?: AbortSignal): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const user = runAs();
  const home = join(dir, 'postgres');
  const data = join(home, 'data');
  const socket = join(home, 'socket');
  mkdirSync(socket, { recursive: true });
  if (user.uid !== undefined) {
    chownSync(home, user.uid, user.gid!);
    chownSync(socket, user.uid, user.gid!);
  }
  const logFile = join(dir, 'postgres.log');
  try {
    // No fsync while setting up: a test database, rebuilt every run.
    await run(
      join(bin, 'initdb'),
      ['-D', data, '-U', PG_ROLE, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      {
        ...user,
        cwd: home,
      },
    );
  } catch (err) {
    throw new Error(`initdb failed in ${data}: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  }
  const server = new ClusterProcess({
    name: 'postgres',
    command: join(bin, 'postgres'),
    args: [
      ...['-D', data, '-p', String(port), '-k', socket],
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
      // Writes still reach the kernel before a commit returns, so a killed server loses nothing;
      // only a crash of the machine would. Spares the shared disk.
      ...['-c', 'fsync=off', '-c', 'full_page_writes=off'],
    ],
    logFile,
    ...user,
    env: { PATH: process.env.PATH, LANG: 'C' },
  });

  const ready = () =>
    until(
      async () => {
        await run(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', PG_ROLE, '-d', 'postgres']);
        return true;
      },
      `PostgreSQL on port ${port} to accept connections (log: ${logFile})`,
      60_000,
      100,
      signal,
    );
  const start = async () => {
    server.spawn();
    await server.whileRunning(ready());
  };
  return {
    port,
    process: server,
    start,
    kill: (signal: NodeJS.Signals = 'SIGKILL') => server.kill(signal),
    // SIGINT is PostgreSQL's fast shutdown: it ends the client connections and stops cleanly.
    restart: async () => {
      await server.kill('SIGINT');
      await start();
    },
  };
}
