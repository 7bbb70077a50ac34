// What 50 open browsers cost a watch: the console's status queries (and describes) per watch per
// minute, with 50 Server-Sent Events clients on one watch of the demo plan (a watch hour per second, so
// its history grows all the time), first with a worker, then with the worker stopped. Set against what
// the same browsers would cost if each asked for the status every 2 s.
//   npx tsx bench/console.ts [clients=50] [seconds=30]      → bench/results-console.json
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { createServeServer, listen, stop, temporalBackend } from '../client/serve';
import { temporalSource } from '../client/console/source';
import { startWatch } from '../client/watches';
import { demoPlan } from '../test/helpers/plans';
import { devServerEnv } from '../test/helpers/servers';
import { realWorker, shortPlan, startWorld } from '../test/helpers/world';

const CLIENTS = Number(process.argv[2] ?? 50);
const SECONDS = Number(process.argv[3] ?? 30);
const TOKEN = `bench-${randomUUID()}`;

interface Sse {
  events: number;
  close(): void;
}

/** One browser's live view: a streamed GET of the watch's events, counting the updates. */
async function openSse(url: string): Promise<Sse> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` }, signal: abort.signal });
  if (!res.ok || !res.body) throw new Error(`SSE ${res.status}`);
  const sse = { events: 0, close: () => abort.abort() };
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
        sse.events += (decoder.decode(chunk, { stream: true }).match(/^event: view$/gm) ?? []).length;
    } catch {
      // aborted
    }
  })();
  return sse;
}

async function main() {
  const env = await devServerEnv();
  const world = await startWorld();
  const taskQueue = `bench-console-${randomUUID()}`;
  const worker = await realWorker(env, taskQueue);
  const running = worker.run();
  const source = temporalSource(env.client);
  const backend = temporalBackend(env.client, { address: env.address, namespace: 'default' }, { taskQueue });
  const server = createServeServer({
    backend,
    plansDir: join(__dirname, '..', 'plans'),
    console: { client: env.client, auth: { token: TOKEN }, link: backend.link, source },
  });
  const { port } = await listen(server, 0, '127.0.0.1');
  const plan = shortPlan(demoPlan(), 48, '1s');
  const { workflowId } = await startWatch(env.client, {
    plan,
    release: { service: 'symphony', version: `v1.${randomUUID().slice(0, 6)}`, deployedAt: new Date().toISOString() },
    startedBy: 'bench',
    taskQueue,
  });
  const url = `http://127.0.0.1:${port}/api/watches/${encodeURIComponent(workflowId)}/events`;
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => openSse(url)));

  const phase = async (name: string, seconds: number) => {
    const before = { ...source.counts };
    const events = clients.reduce((n, c) => n + c.events, 0);
    const history0 = (await env.client.workflow.getHandle(workflowId).describe()).historyLength;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const history1 = (await env.client.workflow.getHandle(workflowId).describe()).historyLength;
    const perMin = (k: keyof typeof before) => Math.round(((source.counts[k] - before[k]) / seconds) * 60 * 10) / 10;
    const row = {
      phase: name,
      seconds,
      clients: CLIENTS,
      historyEventsAdded: history1 - history0,
      statusQueriesPerMinute: perMin('status'),
      describesPerMinute: perMin('describe'),
      pollerLookupsPerMinute: perMin('pollers'),
      updatesPerClientPerMinute: Math.round(((clients.reduce((n, c) => n + c.events, 0) - events) / CLIENTS / seconds) * 60 * 10) / 10,
      naiveStatusQueriesPerMinute: Math.round(CLIENTS * (60 / 2)),
    };
    process.stdout.write(`${JSON.stringify(row)}\n`);
    return row;
  };

  const rows = [];
  rows.push(await phase('worker up, history growing', SECONDS));
  worker.shutdown();
  await running;
  rows.push(await phase('worker stopped', SECONDS));

  for (const c of clients) c.close();
  await env.client.workflow
    .getHandle(workflowId)
    .terminate('bench done')
    .catch(() => undefined);
  server.closeAllConnections();
  await stop(server);
  await env.teardown();
  await world.close();
  const out = { date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, clockHour: '1s', rows };
  writeFileSync(join(__dirname, 'results-console.json'), JSON.stringify(out, null, 2) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
