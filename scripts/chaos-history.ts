// Prints the event timeline of a watch (every run) or an incident from a chaos run kept with
// CHAOS_KEEP=1, on the watch's clock, to see what a flagged deadline was waiting for.
//
//   npx tsx scripts/chaos-history.ts <kept dir> <workflow id> [--hour-ms 2500] [--from 0] [--to 48]
//
// Example, after `CHAOS_KEEP=1 CHAOS_SEED=30965365 npm run chaos:long` printed "kept /tmp/rw-chaos-abc":
//   npx tsx scripts/chaos-history.ts /tmp/rw-chaos-abc watch-symphony-v6.chaos.30965365 --from 0.8 --to 1.6
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import { startDevServer } from '../client/devserver';
import { decode, Ev, fetchRuns } from '../test/chaos/ledger';

function hours(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`"${v}" is not a number`);
  return n;
}

/** The part of an event worth a line: what was scheduled, by whom, how it ended. */
function describe(e: Ev): string {
  const a = e.a;
  const secs = (d?: { seconds?: unknown; nanos?: number }) => Number(d?.seconds ?? 0) + (d?.nanos ?? 0) / 1e9;
  switch (e.kind) {
    case 'workflowExecutionSignaled':
      return a.signalName;
    case 'timerStarted':
      return `timer ${a.timerId} for ${secs(a.startToFireTimeout)} s`;
    case 'timerFired':
      return `timer ${a.timerId}`;
    case 'activityTaskScheduled':
      return `${a.activityType?.name} ${JSON.stringify(decode(a.input?.payloads?.[0])).slice(0, 100)}`;
    case 'activityTaskCompleted':
      return `of #${a.scheduledEventId} by ${a.identity ?? '?'}: ${JSON.stringify(decode(a.result?.payloads?.[0]) ?? null).slice(0, 120)}`;
    default:
      if (e.kind.startsWith('workflowTask')) return [a.identity, a.timeoutType, a.taskQueue?.name].filter(Boolean).join(' ');
      if (e.kind.startsWith('activityTask'))
        return `of #${a.scheduledEventId} ${[a.identity, a.attempt && `attempt ${a.attempt}`, a.timeoutType].filter(Boolean).join(' ')}`;
      return '';
  }
}

async function main() {
  const program = new Command('chaos-history')
    .argument('<dir>', 'the folder a chaos run kept (holds temporal.sqlite)')
    .argument('<workflowId>', 'the watch or incident workflow id')
    .option('--hour-ms <ms>', 'wall milliseconds per watch hour in that run', hours, 2500)
    .option('--from <hour>', 'first watch hour to print', hours, 0)
    .option('--to <hour>', 'last watch hour to print', hours, Infinity)
    .parse();
  const [dir, workflowId] = program.args;
  const { hourMs, from, to } = program.opts<{ hourMs: number; from: number; to: number }>();
  const server = await startDevServer({ dbFile: join(dir, 'temporal.sqlite'), ui: false });
  try {
    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    const runs = await fetchRuns(client, workflowId);
    const startedAt = runs[0].events[0].t;
    for (const [i, run] of runs.entries())
      for (const e of run.events) {
        const hour = (e.t - startedAt) / hourMs;
        if (hour >= from && hour <= to) console.log(`run ${i} hour ${hour.toFixed(3).padStart(7)} #${e.id} ${e.kind} ${describe(e)}`);
      }
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
