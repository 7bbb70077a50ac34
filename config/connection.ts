// Where the Temporal service is, read the way the `temporal` CLI reads it (@temporalio/envconfig): the
// profiles file (TEMPORAL_CONFIG_FILE, or the temporal CLI's default), the profile named by
// TEMPORAL_PROFILE, and TEMPORAL_* variables over it (address, namespace, API key, TLS certificates and
// keys as paths or data, server CA and name, gRPC metadata). The CLI and the worker both use this.
import type { ConnectionOptions } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';

export interface TemporalTarget {
  address: string;
  namespace: string;
  tls?: ConnectionOptions['tls'];
  apiKey?: string;
  metadata?: Record<string, string>;
}

export function temporalTarget(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  const overrideEnvVars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const { connectionOptions: c, namespace } = loadClientConnectConfig({ overrideEnvVars });
  const apiKey = typeof c.apiKey === 'string' && c.apiKey ? c.apiKey : undefined;
  return {
    address: c.address || 'localhost:7233',
    namespace: namespace || 'default',
    tls: (c.tls as ConnectionOptions['tls']) ?? (apiKey ? true : undefined),
    ...(apiKey ? { apiKey } : {}),
    ...(c.metadata && Object.keys(c.metadata).length ? { metadata: c.metadata as Record<string, string> } : {}),
  };
}

/** Web UI link of a workflow, when the UI address is known (TEMPORAL_UI_URL; the dev server's is the gRPC port + 1000). */
export function webUiLink(
  target: Pick<TemporalTarget, 'address' | 'namespace'>,
  workflowId: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  let base = env.TEMPORAL_UI_URL;
  if (!base) {
    const m = /^(.*):(\d+)$/.exec(target.address);
    base = m ? `http://${m[1]}:${Number(m[2]) + 1000}` : `http://${target.address}`;
  }
  return `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(target.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
