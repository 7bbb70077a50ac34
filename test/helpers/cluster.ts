// The real Temporal server in its production shape, started on this machine for tests and people:
// PostgreSQL 15 for persistence and visibility, and the frontend, history, matching and worker
// services as four processes, each of which (and PostgreSQL) can be killed and started again.
// Built by `bash scripts/cluster/setup.sh`; `npx tsx scripts/cluster.ts up` starts one by hand.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal, grpc as grpcProto } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../workflows/definitions';
import { dynamicConfigYaml, SERVICE_NAMES, ServiceName, ServicePorts, serverConfigYaml } from './cluster-config';
import { PG_ROLE, PostgresServer, preparePostgres } from './cluster-postgres';
import { ClusterProcess } from './cluster-process';
import { setUpSchemas } from './cluster-schema';
import { until } from './poll';

const run = promisify(execFile);
const SERVER_DIR = join(__dirname, '..', '..', '.tools', 'temporal-server');
const SERVER_BIN = join(SERVER_DIR, 'bin', 'server');
const SQL_TOOL = join(SERVER_DIR, 'bin', 'sql');

export interface ClusterService {
  name: ServiceName;
  /** The running process's pid; 0 while it is down. */
  readonly pid: number;
  /** `host:port` of its gRPC server. */
  address: string;
  /** Sends `signal` (SIGKILL by default) and waits until the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again with the same config and ports; resolves once it reports SERVING. */
  start(): Promise<void>;
  /** A graceful stop (SIGTERM), then start. */
  restart(): Promise<void>;
}

export interface Cluster {
  /** The frontend's gRPC `host:port`. */
  address: string;
  /** A namespace registered with the release-watch search attributes (retention 1 day). */
  namespace: string;
  /** The folder with the config, PostgreSQL's data and every process's log. */
  dir: string;
  services: Record<ServiceName, ClusterService>;
  postgres: {
    port: number;
    readonly pid: number;
    /** A fast shutdown (SIGINT: connections ended, clean stop), then start. */
    restart(): Promise<void>;
    /** SIGKILL (default) takes its backends down too, like a crash; resolves once all are gone. */
    kill(signal?: NodeJS.Signals): Promise<void>;
    start(): Promise<void>;
  };
  /** CPU seconds used so far by each process (PostgreSQL with its backends), earlier incarnations included. */
  cpuSeconds(): Record<string, number>;
  /** Memory in use now by each process (proportional set size, MB). */
  memoryMegabytes(): Record<string, number>;
  /**
   * Runs `body`; when it throws, the cluster's folder is kept at `stop()` and its path is added to
   * the error, so a failed test leaves the logs to read.
   */
  keepOnFailure<T>(body: () => Promise<T>): Promise<T>;
  /** Stops every process it started; removes the folder unless `keep` (or a failure kept it). */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Where to put everything (created if missing, kept at `stop()`); a new temporary folder by default. */
  dir?: string;
  /** Keep the (temporary) folder at `stop()`. */
  keep?: boolean;
  /** More dynamic config (or overrides of the defaults in cluster-config.ts): key to value. */
  dynamicConfig?: Record<string, unknown>;
  namespace?: string;
  /** The services' log level (default `info`). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Fixed for the cluster's life (default 4). */
  historyShards?: number;
}

// The names each service gives itself in the standard gRPC health service.
const HEALTH_NAMES: Record<ServiceName, string> = {
  frontend: 'temporal.api.workflowservice.v1.WorkflowService',
  history: 'temporal.api.workflowservice.v1.HistoryService',
  matching: 'temporal.api.workflowservice.v1.MatchingService',
  worker: 'temporal.api.workflowservice.v1.WorkerService',
};
const SERVING = grpcProto.health.v1.HealthCheckResponse.ServingStatus.SERVING;
const START_TIMEOUT_MS = 120_000;

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  for (const path of [SERVER_BIN, SQL_TOOL, join(SERVER_DIR, 'schema', 'postgresql')]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`bash scripts/cluster/setup.sh\` (npm run test:cluster does it)`);
  }
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'rw-cluster-'));
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755); // PostgreSQL runs as another user and keeps its data and socket in here
  const where = `(cluster folder: ${dir})`;

  const dynamicConfigFile = join(dir, 'dynamic-config.yaml');
  writeFileSync(dynamicConfigFile, dynamicConfigYaml(opts.dynamicConfig));
  try {
    await validateDynamicConfig(dynamicConfigFile);
  } catch (err) {
    if (!opts.dir) rmSync(dir, { recursive: true, force: true }); // nothing ran: nothing to read
    throw err;
  }

  const [pgPort, ...servicePorts] = await freePorts(1 + 2 * SERVICE_NAMES.length);
  const ports = Object.fromEntries(
    SERVICE_NAMES.map((name, i) => [name, { grpc: servicePorts[2 * i], membership: servicePorts[2 * i + 1] }]),
  ) as Record<ServiceName, ServicePorts>;
  const configFile = join(dir, 'temporal.yaml');
  writeFileSync(
    configFile,
    serverConfigYaml({
      postgresPort: pgPort,
      postgresUser: PG_ROLE,
      ports,
      dynamicConfigFile,
      historyShards: opts.historyShards ?? 4,
      logLevel: opts.logLevel ?? 'info',
    }),
  );

  const processes = Object.fromEntries(
    SERVICE_NAMES.map((name) => [
      name,
      new ClusterProcess({
        name,
        command: SERVER_BIN,
        args: ['--config-file', configFile, '--allow-no-auth', 'start', '--service', name],
        logFile: join(dir, `${name}.log`),
      }),
    ]),
  ) as Record<ServiceName, ClusterProcess>;
  const namespace = opts.namespace ?? 'release-watch';
  const address = `127.0.0.1:${ports.frontend.grpc}`;

  let postgres: PostgresServer | undefined;
  let connection: Connection | undefined;
  // A folder the caller named is the caller's: it stays.
  let keep = opts.keep ?? opts.dir !== undefined;
  let stopped = false;
  // Ends the readiness polls still running when a start fails or the cluster is stopped.
  const stopping = new AbortController();
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    stopping.abort();
    await connection?.close().catch(() => undefined);
    await Promise.all(Object.values(processes).map((p) => p.kill('SIGTERM', 10_000)));
    await postgres?.process.kill('SIGINT');
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };

  const services = Object.fromEntries(
    SERVICE_NAMES.map((name) => {
      const proc = processes[name];
      const serviceAddress = `127.0.0.1:${ports[name].grpc}`;
      const start = async () => {
        proc.spawn();
        await proc.whileRunning(untilServing(name, serviceAddress, proc, stopping.signal));
      };
      const service: ClusterService = {
        name,
        get pid() {
          return proc.pid;
        },
        address: serviceAddress,
        kill: (signal: NodeJS.Signals = 'SIGKILL') => proc.kill(signal),
        start,
        restart: async () => {
          await proc.kill('SIGTERM');
          await start();
        },
      };
      return [name, service];
    }),
  ) as Record<ServiceName, ClusterService>;

  try {
    postgres = await preparePostgres(dir, pgPort, stopping.signal);
    await postgres.start();
    await setUpSchemas({ sqlTool: SQL_TOOL, schemaDir: join(SERVER_DIR, 'schema'), port: pgPort, user: PG_ROLE });
    await Promise.all(SERVICE_NAMES.map((name) => services[name].start()));
    connection = await Connection.connect({ address });
    await registerNamespace(connection, namespace);
    await untilNamespaceServes(new Client({ connection, namespace }));
  } catch (err) {
    keep = true;
    await stop();
    throw new Error(`the cluster did not start: ${(err as Error).message} ${where}`, { cause: err });
  }

  const pg = postgres;
  const all = (): Record<string, ClusterProcess> => ({ ...processes, postgres: pg.process });
  return {
    address,
    namespace,
    dir,
    services,
    postgres: {
      port: pg.port,
      get pid() {
        return pg.process.pid;
      },
      restart: pg.restart,
      kill: pg.kill,
      start: pg.start,
    },
    cpuSeconds: () => Object.fromEntries(Object.entries(all()).map(([name, p]) => [name, p.cpuSeconds()])),
    memoryMegabytes: () => Object.fromEntries(Object.entries(all()).map(([name, p]) => [name, p.memoryMegabytes()])),
    keepOnFailure: async <T>(body: () => Promise<T>): Promise<T> => {
      try {
        return await body();
      } catch (err) {
        keep = true;
        if (err instanceof Error) err.message += `\n${where}`;
        throw err;
      }
    },
    stop,
  };
}

/** Polls the service's gRPC health until it reports SERVING (history does once it owns its shards). */
async function untilServing(name: ServiceName, address: string, proc: ClusterProcess, signal: AbortSignal): Promise<void> {
  const connection = Connection.lazy({ address });
  try {
    await until(
      async () => {
        const res = await connection.withDeadline(Date.now() + 2_000, () =>
          connection.healthService.check({ service: HEALTH_NAMES[name] }),
        );
        return res.status === SERVING;
      },
      `${name} on ${address} to serve (log: ${proc.spec.logFile})`,
      START_TIMEOUT_MS,
      200,
      signal,
    );
  } finally {
    await connection.close();
  }
}

async function registerNamespace(connection: Connection, namespace: string): Promise<void> {
  await until(
    async () => {
      try {
        await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
      } catch (err) {
        // A retry after an attempt that went through.
        if (!(isGrpcServiceError(err) && err.code === 6 /* ALREADY_EXISTS */)) throw err;
      }
      return true;
    },
    `namespace ${namespace} to be registered`,
    START_TIMEOUT_MS,
  );
  const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
  const wanted = Object.fromEntries(
    SEARCH_ATTRIBUTES.map((k) => [
      k.name,
      k.type === 'INT' ? IndexedValueType.INDEXED_VALUE_TYPE_INT : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    ]),
  );
  await until(
    async () => {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = Object.entries(wanted).filter(([name]) => customAttributes?.[name] === undefined);
      if (missing.length === 0) return true;
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing) });
      return false; // listed again before it counts
    },
    `search attributes ${Object.keys(wanted).join(', ')} in namespace ${namespace}`,
    START_TIMEOUT_MS,
    200,
  );
}

/**
 * The namespace is known where a workflow needs it once one can be started in it (frontend and
 * history; matching reads a namespace it does not know yet). The probe workflow, on a task queue
 * of its own, is then terminated and deleted.
 */
async function untilNamespaceServes(client: Client): Promise<void> {
  const workflowId = `cluster-ready-probe-${Date.now()}`;
  const handle = await until(
    () => client.workflow.start('clusterReadyProbe', { taskQueue: 'cluster-ready-probe', workflowId }),
    `a workflow to start in namespace ${client.options.namespace}`,
    START_TIMEOUT_MS,
    200,
  );
  await handle.terminate('the cluster is ready');
  await client.workflowService.deleteWorkflowExecution({ namespace: client.options.namespace, workflowExecution: { workflowId } });
}

/** The server's own check of the dynamic config: an unknown key or a value of the wrong type is refused here, not ignored. */
async function validateDynamicConfig(file: string): Promise<void> {
  const { stdout, stderr } = await run(SERVER_BIN, ['validate-dynamic-config', file]);
  const problems = `${stdout}\n${stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('warning:') || l.startsWith('error:'));
  if (problems.length > 0) throw new Error(`the cluster's dynamic config was refused by the server:\n${problems.join('\n')}`);
}

/**
 * `count` distinct ports that were free a moment ago. Below the OS's ephemeral range: the membership
 * table stores a port as SMALLINT (at most 32767), and no outgoing connection takes one of these meanwhile.
 */
async function freePorts(count: number): Promise<number[]> {
  const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const low = 10_000;
  const high = Math.min(32_767, (ephemeralLow || 32_768) - 1);
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count; tries++) {
    if (tries > 1000) throw new Error(`no ${count} free ports between ${low} and ${high}`);
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (!ports.has(port) && (await isFree(port))) ports.add(port);
  }
  return [...ports];
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
