// The production-shaped cluster's configuration, as pure data: the server's YAML (PostgreSQL for
// persistence and visibility, four services each on its own ports) and its dynamic config.
import { stringify } from 'yaml';

export const SERVICE_NAMES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface ServicePorts {
  grpc: number;
  membership: number;
}

export interface ServerConfigInput {
  postgresPort: number;
  /** The PostgreSQL role the services log in as (trust authentication on 127.0.0.1). */
  postgresUser: string;
  ports: Record<ServiceName, ServicePorts>;
  dynamicConfigFile: string;
  historyShards: number;
  logLevel: string;
}

export const DATABASES = { default: 'temporal', visibility: 'temporal_visibility' } as const;

/**
 * What every test cluster runs with. Timers on time (the dev server does the same here: the default
 * lets a timer fire up to a second late); Update and worker-versioning APIs on; one task queue
 * partition so two cores stay calm; a fast namespace cache so a namespace registered at start-up is
 * known everywhere quickly.
 */
export const DEFAULT_DYNAMIC_CONFIG: Record<string, unknown> = {
  'history.timerProcessorMaxTimeShift': '10ms',
  'frontend.enableUpdateWorkflowExecution': true,
  'system.enableDeploymentVersions': true,
  'frontend.workerVersioningWorkflowAPIs': true,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  'system.namespaceCacheRefreshInterval': '1s',
};

function sqlStore(database: string, port: number, user: string, maxConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `127.0.0.1:${port}`,
      connectProtocol: 'tcp',
      user,
      password: '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

export function serverConfigYaml(input: ServerConfigInput): string {
  const { ports } = input;
  const services = Object.fromEntries(
    SERVICE_NAMES.map((name) => [
      name,
      { rpc: { grpcPort: ports[name].grpc, membershipPort: ports[name].membership, bindOnLocalHost: true } },
    ]),
  );
  const disabled = { state: 'disabled' };
  const config = {
    log: { stdout: true, level: input.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: input.historyShards,
      datastores: {
        'postgres-default': sqlStore(DATABASES.default, input.postgresPort, input.postgresUser, 20),
        'postgres-visibility': sqlStore(DATABASES.visibility, input.postgresPort, input.postgresUser, 10),
      },
    },
    // No metrics listener and no pprof port: nothing binds a fixed port.
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services,
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend.grpc}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: disabled, visibility: disabled },
    namespaceDefaults: { archival: { history: disabled, visibility: disabled } },
    dynamicConfigClient: { filepath: input.dynamicConfigFile, pollInterval: '10s' },
  };
  return stringify(config);
}

/** A value as the file-based dynamic config wants it: a list of constrained values (an unconstrained one here, unless given as such). */
function constrained(value: unknown): unknown[] {
  const isList = Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'object' && v !== null && 'value' in v);
  return isList ? (value as unknown[]) : [{ value }];
}

export function dynamicConfigYaml(extra: Record<string, unknown> = {}): string {
  const all = { ...DEFAULT_DYNAMIC_CONFIG, ...extra };
  return stringify(Object.fromEntries(Object.entries(all).map(([key, value]) => [key, constrained(value)])));
}
