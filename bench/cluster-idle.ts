// What the production-shaped cluster costs on this machine (issue 18): how long startCluster takes,
// the CPU and memory of the idle cluster per process, and how long a kill-and-start of each service
// and a restart of PostgreSQL take. Not part of the tests.
//
//   npx tsx bench/cluster-idle.ts              # 3 starts, 60 s idle
//   npx tsx bench/cluster-idle.ts --idle 20 --starts 1
//
// Writes bench/results-cluster.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startCluster, type Cluster } from '../test/helpers/cluster';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number, got '${process.argv[i + 1]}'`);
  return value;
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

async function timed(body: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await body();
  return round((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const starts = option('--starts', 3);
  const idleSeconds = option('--idle', 60);
  const startSeconds: number[] = [];
  let cluster: Cluster | undefined;
  try {
    for (let i = 0; i < starts; i++) {
      const t0 = performance.now();
      cluster = await startCluster();
      startSeconds.push(round((performance.now() - t0) / 1000));
      if (i < starts - 1) {
        await cluster.stop();
        cluster = undefined;
      }
    }
    const c = cluster!;
    const cpu0 = c.cpuSeconds();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000)); // the measurement window, not a synchronisation
    const elapsed = (performance.now() - t0) / 1000;
    const cpu1 = c.cpuSeconds();
    const memory = c.memoryMegabytes();
    const idleCpuPercent = Object.fromEntries(Object.keys(cpu1).map((k) => [k, round((100 * (cpu1[k] - cpu0[k])) / elapsed, 1)]));
    const restartSeconds = {
      matchingKillAndStart: await timed(async () => {
        await c.services.matching.kill('SIGKILL');
        await c.services.matching.start();
      }),
      historyKillAndStart: await timed(async () => {
        await c.services.history.kill('SIGKILL');
        await c.services.history.start();
      }),
      frontendKillAndStart: await timed(async () => {
        await c.services.frontend.kill('SIGKILL');
        await c.services.frontend.start();
      }),
      workerRestart: await timed(() => c.services.worker.restart()),
      postgresRestart: await timed(() => c.postgres.restart()),
      postgresKillAndStart: await timed(async () => {
        await c.postgres.kill('SIGKILL');
        await c.postgres.start();
      }),
    };
    const stopSeconds = await timed(() => c.stop());
    cluster = undefined;
    const results = {
      at: new Date().toISOString(),
      startClusterSeconds: startSeconds,
      idle: {
        windowSeconds: round(elapsed, 1),
        cpuPercentOfOneCore: idleCpuPercent,
        totalCpuPercentOfOneCore: round(
          Object.values(idleCpuPercent).reduce((a, b) => a + b, 0),
          1,
        ),
        memoryMegabytesPss: Object.fromEntries(Object.entries(memory).map(([k, v]) => [k, round(v, 1)])),
        totalMemoryMegabytesPss: round(
          Object.values(memory).reduce((a, b) => a + b, 0),
          1,
        ),
      },
      restartSeconds,
      stopSeconds,
    };
    console.log(JSON.stringify(results, null, 2));
    writeFileSync(join(__dirname, 'results-cluster.json'), JSON.stringify(results, null, 2) + '\n');
  } finally {
    await cluster?.stop();
  }
}

main().catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
