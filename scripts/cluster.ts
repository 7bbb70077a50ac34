// The production-shaped Temporal cluster by hand: PostgreSQL and the four services as separate
// processes (test/helpers/cluster.ts), kept running until Ctrl-C, then stopped.
//
//   bash scripts/cluster/setup.sh        # once: PostgreSQL 15 and the server built from source
//   npx tsx scripts/cluster.ts up        # prints the address and the folder with every log
//   npx tsx scripts/cluster.ts up --keep # keeps the folder after Ctrl-C
import { startCluster } from '../test/helpers/cluster';

const USAGE = 'usage: npx tsx scripts/cluster.ts up [--keep]';

async function up(keep: boolean): Promise<void> {
  const started = Date.now();
  const cluster = await startCluster({ keep });
  const pids = Object.values(cluster.services)
    .map((s) => `${s.name} ${s.pid}`)
    .join(', ');
  console.log(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`  address    ${cluster.address}   (TEMPORAL_ADDRESS=${cluster.address} TEMPORAL_NAMESPACE=${cluster.namespace})`);
  console.log(`  namespace  ${cluster.namespace}`);
  console.log(`  folder     ${cluster.dir}   (config, logs, PostgreSQL data)`);
  console.log(`  processes  ${pids}, postgres ${cluster.postgres.pid} on port ${cluster.postgres.port}`);
  console.log('Ctrl-C stops everything.');
  // Signal listeners alone do not keep Node running (nor do the cluster's processes, by design).
  const alive = setInterval(() => undefined, 60_000);
  // npx and tsx pass the terminal's Ctrl-C on once more: signals after the first one must not end
  // Node in the middle of stopping (the cluster's processes would then die by their parent-death signal).
  await new Promise<void>((resolve) => {
    process.on('SIGINT', resolve);
    process.on('SIGTERM', resolve);
  });
  console.log('\nstopping');
  await cluster.stop();
  clearInterval(alive);
  if (keep) console.log(`kept ${cluster.dir}`);
}

const [command, ...rest] = process.argv.slice(2);
const unknown = rest.filter((a) => a !== '--keep');
if (command !== 'up' || unknown.length > 0) {
  console.error(
    command && command !== 'up'
      ? `unknown command '${command}'\n${USAGE}`
      : unknown.length
        ? `unknown option ${unknown[0]}\n${USAGE}`
        : USAGE,
  );
  process.exit(2);
}
up(rest.includes('--keep')).catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
