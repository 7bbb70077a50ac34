// Shows the Temporal SDK bug of docs/sdk-query-bug.md with a small workflow, on a dev server of its own,
// what the watch's stale-clock guard does about it, and that release-watch's clients send a dropped
// answer again (applied once). The scenario is in query-replay-bug/scenario.ts. When the new worker
// answers the query first, it applies the timer's event to do so and keeps the activity that schedules
// for the task; the update is then accepted after it, which a replay does not reproduce. With the guard
// (workflows/interceptors.ts), the query is refused when its clock is stale. Which the new worker takes
// first (the query or the task, or both at once) varies, so rounds differ: some replay, some do not, and
// in some the SDK drops the update.
// Usage: npx tsx scripts/query-replay-bug.ts [rounds per mode, default 4]
import { bundleWorkflowCode, Runtime } from '@temporalio/worker';
import { devServerEnv } from '../test/helpers/servers';
import { playRound } from './query-replay-bug/scenario';

const noop = () => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
Runtime.install({ logger: quiet });

async function main() {
  const rounds = Number(process.argv[2] ?? 4);
  const env = await devServerEnv();
  try {
    for (const [guarded, retry] of [
      [false, false],
      [true, false],
      [true, true],
    ]) {
      const workflowBundle = await bundleWorkflowCode({
        workflowsPath: require.resolve('./query-replay-bug/workflow'),
        workflowInterceptorModules: guarded ? [require.resolve('../workflows/interceptors')] : [],
        logger: quiet,
      });
      const mode = `${guarded ? 'with the guard' : 'without the guard'}${retry ? ', dropped answers sent again' : ''}`;
      for (let n = 1; n <= rounds; n++) {
        const r = await playRound(env, workflowBundle, `query-bug-${guarded ? 'guarded' : 'bare'}-${retry ? 'retry' : 'once'}-${n}`, retry);
        const dropped = r.dropped ? ` (dropped ${r.dropped}× and sent again)` : '';
        console.log(
          `${mode} round ${n}: query ${r.query}, update ${r.update}${dropped}; count ${r.count}, ${r.accepted} accepted; the history ${r.replay}`,
        );
      }
    }
  } finally {
    await env.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
