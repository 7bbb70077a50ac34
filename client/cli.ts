// The release-watch command line. Exit codes: 0 ok, 2 refused or invalid input (reason on stderr), 1 anything else
// (and 3 from `repair` without --apply: a repair is needed).
// Commands load what they need when they run: `validate` and `--help` do not load the Temporal client.
import { Command, CommanderError, Option } from 'commander';
import type { Client } from '@temporalio/client';
import { isDuration } from '../plan/duration';
import { DECISIONS, type DecisionName } from '../plan/decisions';
import { temporalTarget, webUiLink } from '../config/connection';
import { KEY_ENV, KEY_FILE_ENV, KeyError, KEYRING_ENV, Refused } from './errors';

class Usage extends Error {}

/** How long `status` waits for a worker to answer a running watch's query (Temporal's own limit is 30 s). */
const STATUS_TIMEOUT_S = 10;

const watches = () => import('./watches');
const plans = () => import('../plan/validate');
const keys = () => import('./keys');

async function connect(): Promise<Client> {
  const target = temporalTarget();
  const { Client, Connection } = await import('@temporalio/client');
  try {
    const connection = await Connection.connect({ address: target.address, tls: target.tls, apiKey: target.apiKey, connectTimeout: '5s' });
    return new Client({ connection, namespace: target.namespace });
  } catch (err) {
    throw new Error(`cannot reach Temporal at ${target.address} (set TEMPORAL_ADDRESS): ${(err as Error).message}`);
  }
}

function print(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text() + '\n');
}

export function buildCli(): Command {
  const program = new Command('release-watch')
    .description('Watch a release for 48 hours after it deploys: tiered checks, on-call incidents, go/no-go checkpoints, on Temporal.')
    .exitOverride()
    .showHelpAfterError('(add --help for usage and examples)')
    .addHelpText(
      'after',
      `
Connection: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default "default"),
TEMPORAL_API_KEY or TEMPORAL_TLS_CLIENT_CERT_PATH/_KEY_PATH for a secured cluster.

Examples:
  release-watch validate plans/symphony-orchestra.yaml
  release-watch start --plan plans/symphony-orchestra.yaml --service symphony --release v1.0 --commit 3f2a9c1
  release-watch status watch-symphony-v1.0
  release-watch decide watch-symphony-v1.0 --checkpoint 12h --decision continue --by release-captain`,
    );

  program
    .command('validate')
    .description('Check plans: exit 0 when valid, else exit 2 and one "path: message" line per error')
    .argument('<plan...>', 'plan files (YAML)')
    .addHelpText('after', '\nExamples:\n  release-watch validate plans/symphony-orchestra.yaml plans/demo.yaml')
    .action(async (files: string[]) => {
      const { formatPlanError, loadPlan, PlanInvalid } = await plans();
      let bad = 0;
      for (const file of files) {
        try {
          const plan = loadPlan(file);
          process.stdout.write(
            `${file}: ok (${plan.name}: ${Object.keys(plan.checks).length} checks, ${Object.keys(plan.tiers).length} tiers, ${plan.checkpoints.length} checkpoints)\n`,
          );
        } catch (err) {
          if (!(err instanceof PlanInvalid)) throw err;
          bad++;
          for (const e of err.errors) process.stderr.write(`${files.length > 1 ? `${file}: ` : ''}${formatPlanError(e)}\n`);
        }
      }
      if (bad) process.exitCode = 2;
    });

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
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  release-watch start --plan plans/demo.yaml --service symphony --release v1.0 --json')
    .action(
      async (o: {
        plan: string;
        service: string;
        release: string;
        commit?: string;
        deployedAt?: string;
        id?: string;
        by: string;
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
      },
    );

  program
    .command('status')
    .description('Where a watch stands: phase, hour, tiers, checks, incidents, checkpoints')
    .argument('<id>', 'watch (workflow) ID')
    .option('--json', 'print JSON')
    .option('--events <n>', 'recent audit events to include', (v) => positiveInt(v, '--events'), 15)
    .option('--timeout <seconds>', 'how long to wait for a worker to answer', (v) => positiveInt(v, '--timeout'), STATUS_TIMEOUT_S)
    .addHelpText(
      'after',
      '\nExamples:\n  release-watch status watch-symphony-v1.0\n  release-watch status watch-symphony-v1.0 --json | jq .checkpoints',
    )
    .action(async (id: string, o: { json?: boolean; events: number; timeout: number }) => {
      const { watchStatusOf } = await watches();
      const { formatStatus } = await import('./format');
      const status = await watchStatusOf(await connect(), id, o.events, o.timeout * 1000);
      print(!!o.json, status, () => formatStatus(status));
    });

  program
    .command('list')
    .description('Running and recent watches, from their search attributes')
    .option('--service <name>')
    .option('--release <version>')
    .option('--phase <phase>', 'watching, awaiting-decision, released, rollback-requested, rolled-back, completed')
    .option('--limit <n>', 'at most this many', (v) => positiveInt(v, '--limit'), 50)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  release-watch list --service symphony --phase awaiting-decision')
    .action(async (o: { service?: string; release?: string; phase?: string; limit: number; json?: boolean }) => {
      const { listWatches } = await import('./list');
      const rows = await listWatches(await connect(), o);
      print(!!o.json, rows, () =>
        rows.length === 0
          ? 'no watches'
          : rows
              .map(
                (r) =>
                  `${r.workflowId.padEnd(40)} ${String(r.service).padEnd(12)} ${String(r.release).padEnd(10)} ${String(r.phase).padEnd(18)} ${String(r.health).padEnd(9)} incidents ${r.openIncidents} ${r.status}`,
              )
              .join('\n'),
      );
    });

  program
    .command('decide')
    .description('Answer a go/no-go checkpoint; the watch checks the decision before accepting it')
    .argument('<id>', 'watch (workflow) ID')
    .requiredOption('--checkpoint <name>', 'checkpoint name, e.g. 12h')
    .addOption(new Option('--decision <decision>', 'the decision').choices([...DECISIONS]).makeOptionMandatory())
    .requiredOption('--by <who>', 'who decides (a person of the plan)')
    .option('--note <text>', 'why; required for some decisions (e.g. lessons learned at 48h)')
    .option('--key <file>', `secret key file to sign with (else $${KEY_ENV}, $${KEY_FILE_ENV}, or <by>.key in $${KEYRING_ENV})`)
    .option('--signal', 'send as a signal (does not wait for a worker; a refusal is recorded in the watch, not returned)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  release-watch decide watch-symphony-v1.0 --checkpoint 12h --decision continue --by release-captain\n  release-watch decide watch-symphony-v1.0 --checkpoint 48h --decision release --by release-captain --note "Lessons: ..."',
    )
    .action(
      async (
        id: string,
        o: { checkpoint: string; decision: DecisionName; by: string; note?: string; key?: string; signal?: boolean; json?: boolean },
      ) => {
        const d = (await keys()).signIfKeyed(
          id,
          'decide',
          { checkpoint: o.checkpoint, decision: o.decision, by: o.by, note: o.note },
          { keyFile: o.key },
        );
        const client = await connect();
        const { decide, decideBySignal } = await watches();
        if (o.signal) {
          await decideBySignal(client, id, d);
          print(!!o.json, { sent: true }, () => `sent; see \`release-watch status ${id}\` for whether it was accepted`);
          return;
        }
        const cp = await decide(client, id, d);
        print(!!o.json, cp, () => `checkpoint ${cp.name}: ${cp.decision} by ${cp.by} at hour ${cp.decidedHour}`);
      },
    );

  program
    .command('report')
    .description('Write the current report of a watch (Markdown, JSON and HTML with charts) on demand')
    .argument('<id>', 'watch (workflow) ID')
    .option('--out <dir>', 'folder to write into (a subfolder per watch)', 'reports')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  release-watch report watch-symphony-v1.0 --out /tmp/reports')
    .action(async (id: string, o: { out: string; json?: boolean }) => {
      const { writeReportFiles } = await import('../activities/reports');
      const status = await (await watches()).watchStatusOf(await connect(), id, 0);
      const files = await writeReportFiles({ kind: 'on-demand', hour: status.hour, status, reportsDir: o.out }, o.out);
      print(!!o.json, files, () => `${files.path}\n${files.json}\n${files.html}`);
    });

  program
    .command('emergency')
    .description(
      'Pull an emergency lever (kill-switch, conservative-mode, restart-services, rollback); some need a second person to approve',
    )
    .argument('<id>', 'watch (workflow) ID')
    .requiredOption('--lever <lever>', 'kill-switch | conservative-mode | restart-services | rollback')
    .requiredOption('--by <who>', 'who asks (a person of the plan)')
    .requiredOption('--reason <text>', 'why')
    .option('--key <file>', `secret key file to sign with (else $${KEY_ENV}, $${KEY_FILE_ENV}, or <by>.key in $${KEYRING_ENV})`)
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  release-watch emergency watch-symphony-v1.0 --lever conservative-mode --by duty-engineer --reason "unstable routing"\n  release-watch emergency watch-symphony-v1.0 --lever kill-switch --by policy-steward --reason "compromised key"',
    )
    .action(async (id: string, o: { lever: string; by: string; reason: string; key?: string; json?: boolean }) => {
      const e = (await keys()).signIfKeyed(id, 'emergency', { lever: o.lever, by: o.by, reason: o.reason }, { keyFile: o.key });
      const r = await (await watches()).emergency(await connect(), id, e);
      print(!!o.json, r, () =>
        r.state === 'awaiting-approval'
          ? `request ${r.seq}: ${r.lever} awaits approval; a second person runs: release-watch approve ${id} ${r.seq} --by <approver>`
          : `request ${r.seq}: ${r.lever} ${r.state}`,
      );
    });

  program
    .command('approve')
    .description('Approve a lever request as the second person; the lever runs at once')
    .argument('<id>', 'watch (workflow) ID')
    .argument('<request>', 'lever request number (as in status)')
    .requiredOption('--by <who>', 'the approver (not the person who asked)')
    .option('--key <file>', `secret key file to sign with (else $${KEY_ENV}, $${KEY_FILE_ENV}, or <by>.key in $${KEYRING_ENV})`)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  release-watch approve watch-symphony-v1.0 2 --by release-captain')
    .action(async (id: string, request: string, o: { by: string; key?: string; json?: boolean }) => {
      const signed = (await keys()).signIfKeyed(id, 'approve', { request, by: o.by }, { keyFile: o.key });
      const r = await (await watches()).approveLever(await connect(), id, signed);
      print(!!o.json, r, () => `request ${r.seq}: ${r.lever} approved by ${r.approvedBy}, ${r.state}`);
    });

  program
    .command('ack')
    .description('Acknowledge an incident: stops its escalation; resolve it before the resolution deadline')
    .argument('<id>', 'watch (workflow) ID')
    .argument('<incident>', 'incident number (as in status) or its ID')
    .requiredOption('--by <who>', 'who takes it (a person of the plan)')
    .option('--key <file>', `secret key file to sign with (else $${KEY_ENV}, $${KEY_FILE_ENV}, or <by>.key in $${KEYRING_ENV})`)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  release-watch ack watch-symphony-v1.0 3 --by duty-engineer')
    .action(async (id: string, incident: string, o: { by: string; key?: string; json?: boolean }) => {
      const signed = (await keys()).signIfKeyed(id, 'ack', { incident, by: o.by }, { keyFile: o.key });
      const v = await (await watches()).acknowledge(await connect(), id, signed);
      print(!!o.json, v, () => `incident ${v.seq}: ${v.state}, held by ${v.holder}`);
    });

  program
    .command('resolve')
    .description('Resolve an incident with its write-up; the incident document is written under reports/<watch>/incidents/')
    .argument('<id>', 'watch (workflow) ID')
    .argument('<incident>', 'incident number (as in status) or its ID')
    .requiredOption('--by <who>', 'who resolves it (a person of the plan)')
    .requiredOption('--root-cause <text>', 'what actually happened')
    .requiredOption('--resolution <text>', 'steps taken to fix it')
    .option('--follow-up <text>', 'actions to prevent recurrence')
    .option('--key <file>', `secret key file to sign with (else $${KEY_ENV}, $${KEY_FILE_ENV}, or <by>.key in $${KEYRING_ENV})`)
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  release-watch resolve watch-symphony-v1.0 3 --by duty-engineer --root-cause "ollama OOM" --resolution "restarted with ai-up" --follow-up "raise memory limit"',
    )
    .action(
      async (
        id: string,
        incident: string,
        o: { by: string; rootCause: string; resolution: string; followUp?: string; key?: string; json?: boolean },
      ) => {
        const r = { incident, by: o.by, rootCause: o.rootCause, resolution: o.resolution, followUp: o.followUp };
        const signed = (await keys()).signIfKeyed(id, 'resolve', r, { keyFile: o.key });
        const v = await (await watches()).resolveIncident(await connect(), id, signed);
        print(!!o.json, v, () => `incident ${v.seq}: ${v.state} by ${v.holder}`);
      },
    );

  program
    .command('repair')
    .description(
      'Recover a watch or incident stuck on a nondeterminism error: replay it with this code, and reset it to the last workflow task before the event the replay fails on',
    )
    .argument('<id>', 'watch or incident (workflow) ID')
    .option('--apply', 'reset it; without this, only say what a reset would do')
    .option(
      '--force',
      'reset even with cautions: the workflow has ended, no workflow task has failed yet, or incidents were opened after that task',
    )
    .option('--by <person>', 'who repairs it (recorded in the reset reason)', process.env.USER || 'operator')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Run it with the same release-watch version as the workers. The reset starts a new run from the last
workflow task before the failing event: Temporal runs that task again with this code, re-applies the
updates and signals that came after it, and the workflow does again what it did after it: checks run
again and notifications go out again (PagerDuty folds a repeat into an incident still open there;
Slack and e-mail show it twice). Exit codes: 0 nothing to repair or repaired, 3 a repair is needed
(without --apply), 2 refused (with the reason), 1 anything else.

Examples:
  release-watch repair watch-symphony-v1.0
  release-watch repair watch-symphony-v1.0 --apply --by release-captain
  release-watch repair watch-symphony-v1.0/incident-2 --apply --json`,
    )
    .action(async (id: string, o: { apply?: boolean; force?: boolean; by: string; json?: boolean }) => {
      const client = await connect();
      // The same workflow code the workers of this version run (the build `npm run build` made, or bundled now).
      const { workflowCode } = await import('../worker/code');
      const { bundle } = await workflowCode();
      const { applyRepair, formatRepairPlan, planRepair } = await import('./repair');
      const plan = await planRepair(client, id, bundle);
      if (!o.apply || plan.replays) {
        print(
          !!o.json,
          plan,
          () =>
            formatRepairPlan(plan) + (plan.replays ? '' : `\n(dry run: add --apply${plan.cautions?.length ? ' --force' : ''} to reset)`),
        );
        if (!plan.replays) process.exitCode = 3;
        return;
      }
      const newRunId = await applyRepair(client, plan, o.by, !!o.force);
      print(!!o.json, { ...plan, newRunId }, () => `${formatRepairPlan(plan)}\nreset: ${id} goes on in run ${newRunId}`);
    });

  program
    .command('keygen')
    .description(
      'Make an Ed25519 key pair for signed approvals: the secret key goes to a file only you can read, the public key into the plan',
    )
    .requiredOption('--out <file>', 'where to write the secret key (never overwritten)')
    .option('--person <id>', "whose key it is (a person of the plan), for the file's comment and the plan line printed")
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `\nExamples:\n  release-watch keygen --person release-captain --out ~/.release-watch/release-captain.key\n  release-watch decide watch-symphony-v1.0 --checkpoint 12h --decision continue --by release-captain --key ~/.release-watch/release-captain.key`,
    )
    .action(async (o: { out: string; person?: string; json?: boolean }) => {
      const { generateKeyPair, writeKeyFile } = await keys();
      const pair = generateKeyPair();
      writeKeyFile(o.out, o.person, pair);
      print(!!o.json, { publicKey: pair.publicKey, secretKeyFile: o.out }, () =>
        [
          `secret key written to ${o.out} (mode 600)`,
          `public key: ${pair.publicKey}`,
          `in the plan:`,
          `  people:`,
          `    ${o.person ?? '<id>'}: { name: ..., publicKey: ${pair.publicKey} }`,
        ].join('\n'),
      );
    });

  program
    .command('dev')
    .description('The demo: a dev server (Web UI on), the simulator, a worker, and a 48-hour watch of plans/demo.yaml in about two minutes')
    .option('--interactive', 'wait for you to answer each checkpoint (the exact command is printed)')
    .option('--clock <duration>', "length of a watch hour, e.g. 1s (default: the plan's 2500ms)")
    .option('--exit', 'stop everything when the watch ends (default: keep the Web UI up until Ctrl-C)')
    .addHelpText('after', '\nExamples:\n  release-watch dev\n  release-watch dev --interactive\n  release-watch dev --clock 1s --exit')
    .action(async (o: { interactive?: boolean; clock?: string; exit?: boolean }) => {
      if (o.clock && !isDuration(o.clock)) throw new Usage(`--clock must be a duration such as 1s or 2500ms (got "${o.clock}")`);
      const { runDemo } = await import('./demo');
      await runDemo(o);
    });

  program
    .command('worker')
    .description('Run a worker: the watch and incident workflows and all activities, as a version of the release-watch Worker Deployment')
    .option('--make-current', 'make this version current when it starts: new watches start on it (an upgrade)')
    .option('--unversioned', 'run without Worker Versioning (not recommended: see the warning it prints)')
    .addHelpText(
      'after',
      `
The version is a digest of the workflow code (its build ID): a release of release-watch that changes what
a watch does is a new version. Watches and incidents stay on the version they started on until they end,
so keep a version's workers running until \`release-watch versions\` says it can stop. The first version
of a deployment becomes current by itself; later ones with --make-current or \`release-watch versions
current <build>\`. RELEASE_WATCH_DEPLOYMENT names the deployment (default release-watch).

Examples:
  TEMPORAL_ADDRESS=localhost:7233 release-watch worker
  release-watch worker --make-current        # the new release takes new watches; the old one drains`,
    )
    .action(async (o: { makeCurrent?: boolean; unversioned?: boolean }) => {
      const { runWorker } = await import('../worker/main');
      await runWorker(o);
    });

  program
    .command('versions')
    .description(
      'The release-watch versions (Worker Deployment versions) on the cluster: which is current, what each still runs, which can stop',
    )
    .argument('[action]', '"current" to make a version current')
    .argument('[build]', 'the build ID to make current (as shown by this command or by the worker)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  release-watch versions\n  release-watch versions current rw-3f2a9c1e5b7d9f0a')
    .action(async (action: string | undefined, build: string | undefined, o: { json?: boolean }) => {
      const { listVersions, makeCurrent, deploymentName } = await import('../worker/versions');
      const client = await connect();
      const { namespace } = temporalTarget();
      const deployment = deploymentName();
      if (action !== undefined) {
        if (action !== 'current' || !build) throw new Usage('usage: release-watch versions current <build>');
        await makeCurrent(client.workflowService, namespace, deployment, build, { timeoutMs: 5_000 });
        print(
          !!o.json,
          { deployment, current: build },
          () => `${deployment}: ${build} is current; new watches start on it, running ones stay on their own version`,
        );
        return;
      }
      const listed = await listVersions(
        client.workflowService,
        namespace,
        deployment,
        async (query) => (await client.workflow.count(query)).count,
      );
      print(!!o.json, listed, () => formatVersions(listed));
    });

  program
    .command('serve')
    .description('The trigger endpoint: a signed deploy webhook (POST /deployments) starts the watch of the release; GET /healthz')
    .option('--port <port>', 'port to listen on (0: any free port)', '8080')
    .option('--host <address>', 'address to listen on (0.0.0.0 to accept from other machines)', '127.0.0.1')
    .option(
      '--plans <dir>',
      'folder of plans; a request names a plan by file name (symphony-orchestra → <dir>/symphony-orchestra.yaml)',
      'plans',
    )
    .option('--default-plan <name>', 'plan for GitHub deployments that name none (deployment payload "plan")')
    .option(
      '--github-env <env=service[:plan]>',
      'map a GitHub deployment environment to a service (and plan); repeatable',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--quiet', 'no request log')
    .addHelpText(
      'after',
      `
Every request is signed: X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>, with the
secret in RELEASE_WATCH_WEBHOOK_SECRET (the server refuses to run without it). The body is
{"service","release","commit"?,"plan","deployedAt"?,"by"?}, or a GitHub deployment_status event
(header X-GitHub-Event: deployment_status; state "success" starts the watch, other states are
acknowledged with 202). Answers: 201 started, 200 already watching (started: false), 202 nothing
to start, 400 bad body or unknown plan, 401 bad signature, 405, 413 over 1 MB, 503 Temporal down;
errors as {"error": "..."}.

Examples:
  export RELEASE_WATCH_WEBHOOK_SECRET=$(openssl rand -hex 32)
  release-watch serve --port 8080 --plans plans
  body='{"service":"symphony","release":"v1.0","commit":"3f2a9c1","plan":"symphony-orchestra"}'
  sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$RELEASE_WATCH_WEBHOOK_SECRET" | sed 's/^.* //')
  curl -sS -X POST http://127.0.0.1:8080/deployments -H 'Content-Type: application/json' \\
    -H "X-Hub-Signature-256: sha256=$sig" --data "$body"
  curl -sS http://127.0.0.1:8080/healthz
  release-watch serve --host 0.0.0.0 --github-env production=symphony:symphony-orchestra`,
    )
    .action(async (o: { port: string; host: string; plans: string; defaultPlan?: string; githubEnv: string[]; quiet?: boolean }) => {
      const { runServe } = await import('./serve');
      await runServe(o);
    });

  return program;
}

function formatVersions(l: Awaited<ReturnType<typeof import('../worker/versions').listVersions>>): string {
  if (l.versions.length === 0) return `${l.deployment}: no versions yet (start a worker: release-watch worker)`;
  const rows = l.versions.map(
    (v) =>
      `${v.buildId.padEnd(22)} ${v.status.padEnd(9)} watches ${String(v.running.watches).padStart(4)}  incidents ${String(v.running.incidents).padStart(4)}  ${v.canStop ? 'can stop' : v.current ? 'takes new watches' : 'keep running'}`,
  );
  return [`${l.deployment}: current ${l.current ?? 'none'}${l.ramping ? `, ramping ${l.ramping}` : ''}`, ...rows].join('\n');
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Usage(`${flag} must be a positive whole number (got "${v}")`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildCli();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof Refused || err instanceof Usage || err instanceof KeyError) {
      process.stderr.write(`refused: ${err.message}\n`);
      return 2;
    }
    if (err instanceof Error && err.name === 'PlanInvalid') {
      const { formatPlanError } = await plans();
      const invalid = err as import('../plan/validate').PlanInvalid;
      for (const e of invalid.errors) process.stderr.write(`${invalid.source}: ${formatPlanError(e)}\n`);
      return 2;
    }
    process.stderr.write(`error: ${(err as Error).message ?? err}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => process.exit(code));
}
