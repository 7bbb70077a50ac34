// Running release-watch: the worker and its versions, a namespace's setup, repair, keys, the demo, and
// the HTTP endpoint.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { temporalTarget } from '../../config/connection';
import { isDuration } from '../../plan/duration';
import { WORKFLOW_THREADS } from '../../worker/threads';
import { connect, keys, plans, positiveInt, print, Usage } from './common';

function plansIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .map((f) => join(dir, f));
}

/** A worker refuses to start while a plan it serves needs a var its environment does not set. */
async function refuseMissingVars(files: string[]): Promise<void> {
  const { loadPlan } = await plans();
  const { missingVars } = await import('../../core/vars');
  const missing = files.flatMap((file) =>
    missingVars(loadPlan(file).vars, process.env).map((m) => `${file}: var "\${${m.name}}" needs ${m.env}`),
  );
  if (missing.length) throw new Usage(`not starting: set these in the worker's environment first:\n  ${missing.join('\n  ')}`);
}

function formatVersions(l: Awaited<ReturnType<typeof import('../../worker/versions').listVersions>>): string {
  if (l.versions.length === 0) return `${l.deployment}: no versions yet (start a worker: release-watch worker)`;
  const rows = l.versions.map(
    (v) =>
      `${v.buildId.padEnd(22)} ${v.status.padEnd(9)} watches ${String(v.running.watches).padStart(4)}  incidents ${String(v.running.incidents).padStart(4)}  ${v.canStop ? 'can stop' : v.current ? 'takes new watches' : 'keep running'}`,
  );
  return [`${l.deployment}: current ${l.current ?? 'none'}${l.ramping ? `, ramping ${l.ramping}` : ''}`, ...rows].join('\n');
}

export function registerOperate(program: Command): void {
  program
    .command('worker')
    .description('Run a worker: the watch and incident workflows and all activities, as a version of the release-watch Worker Deployment')
    .option('--plan <file...>', 'the plans it serves: it refuses to start while a var they need from the environment is unset')
    .option('--plans <dir>', 'the same for every plan (*.yaml) in a folder')
    .option('--make-current', 'make this version current when it starts: new watches start on it (an upgrade)')
    .option('--unversioned', 'run without Worker Versioning (not recommended: see the warning it prints)')
    .option('--cache <n>', 'watches and incidents kept in memory between tasks (SDK default 1000; about 0.5 MB each)', (v) =>
      positiveInt(v, '--cache'),
    )
    .option('--workflow-slots <n>', 'workflow tasks run at once', (v) => positiveInt(v, '--workflow-slots'))
    .option('--activity-slots <n>', 'probes, notifications and reports run at once', (v) => positiveInt(v, '--activity-slots'))
    .option('--workflow-threads <n>', `threads that run watch code, each with its own heap and runner (default ${WORKFLOW_THREADS})`, (v) =>
      positiveInt(v, '--workflow-threads'),
    )
    .option('--sticky-timeout <duration>', "how long a cached watch's task waits for this worker before another takes it (e.g. 5s)")
    .option('--metrics <host:port>', "serve Prometheus metrics (the SDK's and release-watch's) at http://host:port/metrics")
    .option('--log-format <format>', 'text (quiet, for people) or json (one object per line, for machines)', 'text')
    .option(
      '--otlp <url>',
      'send traces (the watch, its incidents, each activity, probe and delivery) to this OTLP/HTTP collector, e.g. http://collector:4318; default: $OTEL_EXPORTER_OTLP_ENDPOINT, else none',
    )
    .option('--log-level <level>', 'trace, debug, info, warn or error (default: warn for text, info for json)')
    .addHelpText(
      'after',
      `
The version is a digest of the workflow code (its build ID): a release of release-watch that changes what
a watch does is a new version. Watches and incidents stay on the version they started on until they end,
so keep a version's workers running until \`release-watch versions\` says it can stop. The first version
of a deployment becomes current by itself; later ones with --make-current or \`release-watch versions
current <build>\`. RELEASE_WATCH_DEPLOYMENT names the deployment (default release-watch). Command and log
probes run on the worker's machine: run it where the service's logs and tools are. The worker runs one
runner per workflow thread (an SDK worker with its own connection); --cache and the slots are shared
among them.

Examples:
  TEMPORAL_ADDRESS=localhost:7233 release-watch worker --plans plans
  release-watch worker --make-current        # the new release takes new watches; the old one drains
  release-watch worker --metrics 0.0.0.0:9464 --log-format json
  release-watch worker --otlp http://otel-collector:4318   # and OTEL_EXPORTER_OTLP_ENDPOINT for the CLI and serve`,
    )
    .action(
      async (o: {
        plan?: string[];
        plans?: string;
        makeCurrent?: boolean;
        unversioned?: boolean;
        cache?: number;
        workflowSlots?: number;
        activitySlots?: number;
        workflowThreads?: number;
        stickyTimeout?: string;
        metrics?: string;
        logFormat: string;
        logLevel?: string;
        otlp?: string;
      }) => {
        if (o.stickyTimeout !== undefined && !isDuration(o.stickyTimeout))
          throw new Usage(`--sticky-timeout must be a duration such as 5s (got "${o.stickyTimeout}")`);
        const { metricsAddressError, parseLogLevel } = await import('../../worker/telemetry');
        const metricsError = o.metrics === undefined ? undefined : metricsAddressError(o.metrics);
        if (metricsError) throw new Usage(metricsError);
        if (o.logFormat !== 'text' && o.logFormat !== 'json') throw new Usage(`--log-format must be text or json (got "${o.logFormat}")`);
        const { tracesUrl, TracingError } = await import('../../worker/tracing');
        try {
          tracesUrl(o.otlp);
        } catch (err) {
          if (err instanceof TracingError) throw new Usage(err.message);
          throw err;
        }
        const logLevel = o.logLevel === undefined ? undefined : parseLogLevel(o.logLevel);
        if (o.logLevel !== undefined && !logLevel)
          throw new Usage(`--log-level must be trace, debug, info, warn or error (got "${o.logLevel}")`);
        const telemetry = {
          logFormat: o.logFormat,
          ...(o.metrics ? { metrics: o.metrics } : {}),
          ...(logLevel ? { logLevel } : {}),
        } as const;
        await refuseMissingVars([...(o.plan ?? []), ...(o.plans ? plansIn(o.plans) : [])]);
        const { runWorker } = await import('../../worker/main');
        await runWorker({ ...o, telemetry });
      },
    );

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
      const { listVersions, makeCurrent, deploymentName } = await import('../../worker/versions');
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
    .command('setup')
    .description("Make a namespace ready for watches: register release-watch's search attributes (running it again changes nothing)")
    .option('--create-namespace', 'register the namespace first when it does not exist')
    .option(
      '--retention-days <n>',
      'with --create-namespace: how long closed watches are kept',
      (v) => positiveInt(v, '--retention-days'),
      7,
    )
    .option('--check', 'only check: exit 2 when something is missing')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Connection as for every command (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, a profile of the temporal CLI's
config file). On Temporal Cloud it prints the commands an account admin runs instead.

Examples:
  release-watch setup
  TEMPORAL_NAMESPACE=release-watch release-watch setup --create-namespace
  release-watch setup --check`,
    )
    .action(async (o: { createNamespace?: boolean; retentionDays: number; check?: boolean; json?: boolean }) => {
      const { cloudSteps, isTemporalCloud, setupNamespace } = await import('../setup');
      const target = temporalTarget();
      if (isTemporalCloud(target.address) && !o.check) {
        print(!!o.json, { namespace: target.namespace, cloud: true, steps: cloudSteps(target.namespace) }, () =>
          cloudSteps(target.namespace),
        );
        return;
      }
      const r = await setupNamespace(await connect(), target.namespace, {
        createNamespace: o.createNamespace,
        retentionDays: o.retentionDays,
        checkOnly: o.check,
      });
      print(!!o.json, r, () =>
        [
          r.createdNamespace ? `namespace ${r.namespace} created` : `namespace ${r.namespace}`,
          r.added.length ? `search attributes added: ${r.added.join(', ')}` : 'search attributes already there',
          ...(r.present.length && r.added.length ? [`already there: ${r.present.join(', ')}`] : []),
        ].join('\n'),
      );
    });

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
      const { workflowCode } = await import('../../worker/code');
      const { bundle } = await workflowCode();
      const { applyRepair, formatRepairPlan, planRepair } = await import('../repair');
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
    .option('--relay <channel>', "a relay's key instead (slack or pagerduty): serve signs answers from there with it (docs/chat.md)")
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `\nExamples:\n  release-watch keygen --person release-captain --out ~/.release-watch/release-captain.key\n  release-watch decide watch-symphony-v1.0 --checkpoint 12h --decision continue --by release-captain --key ~/.release-watch/release-captain.key\n  release-watch keygen --relay slack --out /etc/release-watch/relay.key   # then RELEASE_WATCH_RELAY_KEY_FILE for serve`,
    )
    .action(async (o: { out: string; person?: string; relay?: string; json?: boolean }) => {
      if (o.relay !== undefined && o.relay !== 'slack' && o.relay !== 'pagerduty')
        throw new Usage(`--relay must be slack or pagerduty (got "${o.relay}")`);
      if (o.relay && o.person) throw new Usage("--relay and --person: a key is either a relay's or a person's");
      const { generateKeyPair, writeKeyFile } = await keys();
      const pair = generateKeyPair();
      if (o.relay) writeKeyFile(o.out, `the ${o.relay} relay`, pair, `relays.${o.relay}.publicKey`);
      else writeKeyFile(o.out, o.person, pair);
      const planLines = o.relay
        ? [`  relays:`, `    ${o.relay}: { publicKey: ${pair.publicKey}, people: [<who it may answer for>] }`]
        : [`  people:`, `    ${o.person ?? '<id>'}: { name: ..., publicKey: ${pair.publicKey} }`];
      print(!!o.json, { publicKey: pair.publicKey, secretKeyFile: o.out }, () =>
        [
          `secret key written to ${o.out} (mode 600)`,
          `public key: ${pair.publicKey}`,
          `in the plan:`,
          ...planLines,
          ...(o.relay ? [`for serve: RELEASE_WATCH_RELAY_KEY_FILE=${o.out}`] : []),
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
      const { runDemo } = await import('../demo');
      await runDemo(o);
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
    .option('--token <token>', "the on-call console's sign-in token (better: $RELEASE_WATCH_CONSOLE_TOKEN); the console is at /")
    .option(
      '--trust-proxy [header]',
      'serve the console behind your authenticating proxy, which names the user in this header (default X-Forwarded-User)',
    )
    .addHelpText(
      'after',
      `
The on-call console (docs/console.md) is served at / when RELEASE_WATCH_CONSOLE_TOKEN (or --token) is set:
sign in with the token (a login form sets an HttpOnly cookie; or send Authorization: Bearer <token>),
or, with --trust-proxy, behind your own authenticating proxy. Answers from it are the same validated
(and, where the plan says so, signed in the browser) updates as the CLI's.

Every request is signed: X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>, with the
secret in RELEASE_WATCH_WEBHOOK_SECRET (the server refuses to run without it). The body is
{"service","release","commit"?,"plan","deployedAt"?,"by"?}, or a GitHub deployment_status event
(header X-GitHub-Event: deployment_status; state "success" starts the watch, other states are
acknowledged with 202). Answers: 201 started, 200 already watching (started: false), 202 nothing
to start, 400 bad body or unknown plan, 401 bad signature, 405, 413 over 1 MB, 503 Temporal down;
errors as {"error": "..."}.

Answers from chat and pager (docs/chat.md), each on when its secret is set:
  RELEASE_WATCH_SLACK_SIGNING_SECRET       POST /slack/interactions (buttons on Slack messages)
  RELEASE_WATCH_SLACK_BOT_TOKEN            optional: Resolve opens a form for the root cause
  RELEASE_WATCH_PAGERDUTY_WEBHOOK_SECRET   POST /pagerduty/webhook (acknowledged, resolved)
  RELEASE_WATCH_RELAY_KEY_FILE             the relay key that signs those answers for plans with
                                           signed approvals (release-watch keygen --relay slack --out relay.key)

Examples:
  export RELEASE_WATCH_WEBHOOK_SECRET=$(openssl rand -hex 32)
  release-watch serve --port 8080 --plans plans
  body='{"service":"symphony","release":"v1.0","commit":"3f2a9c1","plan":"symphony-orchestra"}'
  sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$RELEASE_WATCH_WEBHOOK_SECRET" | sed 's/^.* //')
  curl -sS -X POST http://127.0.0.1:8080/deployments -H 'Content-Type: application/json' \\
    -H "X-Hub-Signature-256: sha256=$sig" --data "$body"
  curl -sS http://127.0.0.1:8080/healthz
  release-watch serve --host 0.0.0.0 --github-env production=symphony:symphony-orchestra
  RELEASE_WATCH_CONSOLE_TOKEN=$(openssl rand -hex 32) release-watch serve --port 8080   # the console at http://127.0.0.1:8080/`,
    )
    .action(
      async (o: {
        port: string;
        host: string;
        plans: string;
        defaultPlan?: string;
        githubEnv: string[];
        quiet?: boolean;
        token?: string;
        trustProxy?: boolean | string;
      }) => {
        const { runServe } = await import('../serve');
        await runServe(o);
      },
    );
}
