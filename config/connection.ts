// Where the Temporal service is, in Temporal's own environment conventions.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from '@temporalio/client';

export interface TemporalTarget {
  address: string;
  namespace: string;
  tls?: ConnectionOptions['tls'];
  apiKey?: string;
}

/** TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_CLIENT_CERT_PATH / _KEY_PATH. */
export function temporalTarget(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  const cert = env.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const key = env.TEMPORAL_TLS_CLIENT_KEY_PATH;
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  let tls: ConnectionOptions['tls'];
  if (cert && key) tls = { clientCertPair: { crt: readFileSync(cert), key: readFileSync(key) } };
  else if (apiKey || env.TEMPORAL_TLS === 'true') tls = true;
  return { address: env.TEMPORAL_ADDRESS || 'localhost:7233', namespace: env.TEMPORAL_NAMESPACE || 'default', tls, apiKey };
}

/** Web UI link of a workflow, when the UI address is known (TEMPORAL_UI_URL; the dev server's is the gRPC port + 1000). */
export function webUiLink(target: TemporalTarget, workflowId: string, env: NodeJS.ProcessEnv = process.env): string {
  let base = env.TEMPORAL_UI_URL;
  if (!base) {
    const m = /^(.*):(\d+)$/.exec(target.address);
    base = m ? `http://${m[1]}:${Number(m[2]) + 1000}` : `http://${target.address}`;
  }
  return `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(target.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
