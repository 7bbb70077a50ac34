// Watches: start one (and wait for its end), see where it stands (once, or following it live), list
// them, and write a report on demand.
import type { Command } from 'commander';
import { temporalTarget, webUiLink } from '../../config/connection';
import { connect, plans, positiveInt, print, Usage, watches } from './common';

/** How long `status` waits for a worker to answer a running watch's query (Temporal's own limit is 30 s). */
const STATUS_TIMEOUT_S = 10;

/** `start --wait` exits with this when the watch ended in a rollback, so a pipeline can tell. */
export const ROLLED_BACK_EXIT = 4;

function followUntilCtrlC(): AbortSignal {
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  return stop.signal;
}

export function registerWatch(program: Command): void {
  program
    .command('start')
    .description('Start the watch of a release (starting it again returns the same watch)')
    .requiredOption('--plan <file>', 'the watch plan (YAML)')
    .requiredOption('--service <name>', 'the service the plan watches')
    .requiredOption('--release <version>', 'the deployed version, a plain tag such as v1.0')
    .option('--commit <sha>', 'the deployed (merge) commit, hex')
    .option('--deployed-at <iso>', 'when it deployed (default: now)')
    .option('--id <workflowId>', 'workflow ID (default: watch-<service>-<release>)')
    .option('--by <who>', 'who starts it', process.env.USER ?? 'cli')
    .option('--wait', `then follow it until it ends: exit 0 released or completed, ${ROLLED_BACK_EXIT} rolled back`)
    .option('--every <seconds>', 'with --wait: how often to look', (v) => positiveInt(v, '--every'), 2)
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `\nExamples:\n  release-watch start --plan plans/demo.yaml --service symphony --release v1.0 --json\n  release-watch start --plan my-api.yaml --service my-api --release 2024.11.3 --commit 3f2a9c1 --wait   # in a deploy pipeline`,
    )
    .action(
      async (o: {
        plan: string;
        service: string;
        release: string;
        commit?: string;
        deployedAt?: string;
        id?: string;
        by: string;
        wait?: boolean;
        every: number;
        json?: boolean;
      }) => {
        const plan = (await plans()).loadPlan(o.plan);
        const client = await connect();
        const { startWatch } = await watches();
        const started = await startWatch(client, {
          plan,
          release: { service: o.service, version: o.release, commit: o.commit, deployedAt: o.deployedAt ?? new Date().toISOString() },
          startedBy: o.by,
          id: o.id,
        });
        const link = webUiLink(temporalTarget(), started.workflowId);
        print(
          !!o.json,
          { ...started, webUi: link },
          () => `${started.started ? 'started' : 'already watching'}: ${started.workflowId}\n${link}`,
        );
        if (!o.wait) return;
        const { followWatch } = await import('../follow');
        const final = await followWatch(client, started.workflowId, {
          everyMs: o.every * 1000,
          say: (l) => o.json || process.stdout.write(`${l}\n`),
          signal: followUntilCtrlC(),
        });
        print(
          !!o.json,
          { workflowId: started.workflowId, phase: final.phase, health: final.health, incidents: final.incidents.length },
          () => `watch ended: ${final.phase}`,
        );
        if (final.phase === 'rolled-back' || final.phase === 'rollback-requested') process.exitCode = ROLLED_BACK_EXIT;
      },
    );

  program
    .command('status')
    .description('Where a watch stands: phase, hour, tiers, checks, incidents, checkpoints')
    .argument('<id>', 'watch (workflow) ID')
    .option('--json', 'print JSON')
    .option('--events <n>', 'recent audit events to include', (v) => positiveInt(v, '--events'), 15)
    .option('--timeout <seconds>', 'how long to wait for a worker to answer', (v) => positiveInt(v, '--timeout'), STATUS_TIMEOUT_S)
    .option('--follow', 'then print what happens, live, until the watch ends (Ctrl-C stops)')
    .option('--every <seconds>', 'with --follow: how often to look', (v) => positiveInt(v, '--every'), 2)
    .addHelpText(
      'after',
      '\nExamples:\n  release-watch status watch-symphony-v1.0\n  release-watch status watch-symphony-v1.0 --json | jq .checkpoints\n  release-watch status watch-symphony-v1.0 --follow',
    )
    .action(async (id: string, o: { json?: boolean; events: number; timeout: number; follow?: boolean; every: number }) => {
      if (o.follow && o.json) throw new Usage('--follow prints lines as they happen: leave out --json');
      const { watchStatusOf } = await watches();
      const { formatStatus } = await import('../format');
      const client = await connect();
      const status = await watchStatusOf(client, id, o.events, o.timeout * 1000);
      if (!o.follow) return print(!!o.json, status, () => formatStatus(status));
      process.stdout.write(formatStatus(status) + '\n\nfollowing (Ctrl-C stops):\n');
      const { followWatch } = await import('../follow');
      const final = await followWatch(client, id, {
        everyMs: o.every * 1000,
        say: (l) => process.stdout.write(`${l}\n`),
        signal: followUntilCtrlC(),
      });
      process.stdout.write(
        `${final.phase === 'watching' || final.phase === 'awaiting-decision' ? 'stopped following' : `watch ended: ${final.phase}`}\n`,
      );
    });

  program
    .command('list')
    .description('Running and recent watches, from their search attributes (no worker needed)')
    .option('--service <name>')
    .option('--release <version>')
    .option('--phase <phase>', 'watching, awaiting-decision, released, rollback-requested, rolled-back, completed')
    .option('--limit <n>', 'at most this many', (v) => positiveInt(v, '--limit'), 50)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  release-watch list --service symphony --phase awaiting-decision')
    .action(async (o: { service?: string; release?: string; phase?: string; limit: number; json?: boolean }) => {
      const { listWatches, formatList } = await import('../list');
      const rows = await listWatches(await connect(), o);
      print(!!o.json, rows, () => formatList(rows));
    });

  program
    .command('report')
    .description('Write the current report of a watch (Markdown, JSON and HTML with charts) on demand')
    .argument('<id>', 'watch (workflow) ID')
    .option('--out <dir>', 'folder to write into (a subfolder per watch)', 'reports')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  release-watch report watch-symphony-v1.0 --out /tmp/reports')
    .action(async (id: string, o: { out: string; json?: boolean }) => {
      const { writeReportFiles } = await import('../../activities/reports');
      const status = await (await watches()).watchStatusOf(await connect(), id, 0);
      const files = await writeReportFiles({ kind: 'on-demand', hour: status.hour, status, reportsDir: o.out }, o.out);
      print(!!o.json, files, () => `${files.path}\n${files.json}\n${files.html}`);
    });
}
