// What tracing costs a worker: the same number of Symphony watches started on an untraced worker and on
// a traced one (`worker --otlp`: the traced workflow code, the activity interceptors, spans sent to an
// OTLP receiver the bench runs), one after the other on the same dev server, in the same run. Reported
// as ratios traced / untraced: worker RSS per cached watch (after a GC) and worker CPU per watch for its
// start and first tier run.
// Run: npx tsx bench/tracing.ts [watches]   (prints JSON, writes bench/results-tracing.json; not part of the tests)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { startDevServer } from '../client/devserver';
import { startWatch } from '../client/watches';
import { bundleOptions, tracedBundleOptions } from '../worker/bundle';
import { log, mapLimit, MB, r2, r3, sleep } from './common';
import { makeKeys, symphonyPlan } from './plans';
import { startBenchWorker, type BenchWorker, type WorkerStats } from './worker';

const N = Number(process.argv[2] ?? 300);

interface ModeResult {
  watches: number;
  cached: number;
  rssPerWatchMb: number;
  cpuMsPerWatch: number;
  spans?: number;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-tracing-'));
  const bundles = { untraced: join(dir, 'untraced.js'), traced: join(dir, 'traced.js') };
  const logger = new DefaultLogger('WARN');
  writeFileSync(bundles.untraced, (await bundleWorkflowCode({ ...bundleOptions, logger })).code);
  writeFileSync(bundles.traced, (await bundleWorkflowCode({ ...tracedBundleOptions, logger })).code);

  // The collector: counts the spans it is sent and answers as an OTLP/HTTP receiver does.
  let spans = 0;
  const collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }>;
      };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans += ss.spans.length;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const otlpUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;

  const server = await startDevServer({ dbFile: join(dir, 'temporal.sqlite'), ui: false });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  // Hours of 10 minutes: every watch runs its hour 0 and then waits, cached.
  const plan = symphonyPlan('600s', makeKeys());
  const stamp = Date.now().toString(36);
  const results: Record<string, ModeResult> = {};
  try {
    for (const mode of ['untraced', 'traced'] as const) {
      const worker: BenchWorker = await startBenchWorker({
        address: server.address,
        taskQueue: `tracing-${mode}-${stamp}`,
        bundlePath: bundles[mode],
        maxCachedWorkflows: N + 100,
        ...(mode === 'traced' ? { otlpUrl } : {}),
      });
      await sleep(2000);
      const base = await worker.stats(true);
      const spansBefore = spans;
      const ids = await mapLimit(
        Array.from({ length: N }, (_, i) => i),
        10,
        async (i) =>
          (
            await startWatch(client, {
              plan,
              release: { service: 'symphony', version: `t${stamp}-${mode}-${i}`, deployedAt: new Date().toISOString() },
              startedBy: 'bench',
              taskQueue: worker.taskQueue,
            })
          ).workflowId,
      );
      // Settled: every watch cached and the worker idle for two seconds running.
      let last: WorkerStats = await worker.stats();
      for (let quiet = 0, i = 0; quiet < 2 && i < 300; i++) {
        await sleep(1000);
        const now = await worker.stats();
        quiet = now.cached >= N && now.cpuMs - last.cpuMs < 50 ? quiet + 1 : 0;
        last = now;
      }
      const end = await worker.stats(true);
      results[mode] = {
        watches: N,
        cached: end.cached,
        rssPerWatchMb: r3((end.rss - base.rss) / Math.max(1, end.cached) / MB),
        cpuMsPerWatch: r2((end.cpuMs - base.cpuMs) / N),
        ...(mode === 'traced' ? { spans: spans - spansBefore } : {}),
      };
      log(`${mode}: ${JSON.stringify(results[mode])}`);
      await worker.stop();
      await mapLimit(ids, 20, (id) =>
        client.workflow
          .getHandle(id)
          .terminate('bench over')
          .catch(() => undefined),
      );
    }
  } finally {
    await connection.close();
    await server.stop();
    collector.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const out = {
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, ramGb: Math.round(totalmem() / 1024 ** 3) },
    watches: N,
    untraced: results.untraced,
    traced: results.traced,
    ratio: {
      rssPerWatch: r2(results.traced.rssPerWatchMb / results.untraced.rssPerWatchMb),
      cpuPerWatch: r2(results.traced.cpuMsPerWatch / results.untraced.cpuMsPerWatch),
    },
  };
  console.log(JSON.stringify(out, null, 2));
  writeFileSync(join(__dirname, 'results-tracing.json'), JSON.stringify(out, null, 2) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
