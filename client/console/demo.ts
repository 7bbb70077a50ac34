// The console beside the demo's Web UI: on a free loopback port, with the token from
// $RELEASE_WATCH_CONSOLE_TOKEN or a fresh one the demo prints.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { webUiLink } from '../../config/connection';
import { createServeServer, listen, planIn, stop } from '../serve';
import { TOKEN_ENV } from './auth';

export interface DemoConsole {
  url: string;
  token: string;
  stop(): Promise<void>;
}

export async function startDemoConsole(
  client: Client,
  o: { address: string; uiUrl: string; plansDir: string; port?: number },
): Promise<DemoConsole> {
  const token = process.env[TOKEN_ENV] ?? randomBytes(16).toString('hex');
  const target = { address: o.address, namespace: client.options.namespace };
  const link = (id: string) => webUiLink(target, id, { TEMPORAL_UI_URL: o.uiUrl });
  const server = createServeServer({
    backend: {
      start: () => Promise.reject(new Error('the demo console starts no watches')),
      health: async () => ({ reachable: true, ...target }),
      link,
    },
    plansDir: o.plansDir,
    console: { client, auth: { token }, link, planByName: planIn(o.plansDir) },
  });
  const { port } = await listen(server, o.port ?? 0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}/`, token, stop: () => stop(server) };
}
