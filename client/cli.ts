// The release-watch command line. Exit codes: 0 ok, 2 refused or invalid input (the reason on stderr, or
// as JSON on stdout with --json), 1 anything else; 3 from `repair` without --apply (a repair is needed),
// 4 from `start --wait` (the watch ended in a rollback). Commands load what they need when they run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { projectRoot } from '../config/paths';
import { registerAnswers } from './commands/answers';
import { flushTracing, Usage } from './commands/common';
import { registerOperate } from './commands/operate';
import { registerPlans } from './commands/plans';
import { registerWatch } from './commands/watch';
import { KeyError, Refused } from './errors';

/** "release-watch 0.2.0 (workflow code rw-…)": the package, and the build of the workflow code when built. */
export function versionText(): string {
  const root = projectRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  let build = " (from TypeScript: `npm run build` for the workflow code's build ID)";
  if (__filename.endsWith('.js')) {
    try {
      build = ` (workflow code ${readFileSync(join(root, 'dist', '.built'), 'utf8').trim()})`;
    } catch {
      build = '';
    }
  }
  return `release-watch ${pkg.version}${build}`;
}

export function buildCli(): Command {
  const program = new Command('release-watch')
    .description('Watch a release for 48 hours after it deploys: tiered checks, on-call incidents, go/no-go checkpoints, on Temporal.')
    .version(versionText(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage and examples)')
    .addHelpText(
      'after',
      `
Connection, as the temporal CLI reads it: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE
(default "default"), TEMPORAL_API_KEY or TEMPORAL_TLS_CLIENT_CERT_PATH/_KEY_PATH (and _DATA), 
TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_GRPC_META_<NAME>, or a profile of the
temporal CLI's config file (TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE).

Examples:
  release-watch init                                   # a plan for your service
  release-watch validate my-api.yaml
  release-watch setup                                  # once per namespace
  release-watch worker --plans .
  release-watch start --plan my-api.yaml --service my-api --release v1.0 --commit 3f2a9c1
  release-watch status watch-my-api-v1.0 --follow
  release-watch decide watch-my-api-v1.0 --checkpoint 24h --decision continue --by alice`,
    );
  registerPlans(program);
  registerWatch(program);
  registerAnswers(program);
  registerOperate(program);
  return program;
}

/** Exit code and the words of an error: refusals are the user's to fix (2), anything else is ours (1). */
function failure(err: unknown): { code: number; kind: string; message: string; errors?: unknown[] } {
  if (err instanceof Refused || err instanceof Usage || err instanceof KeyError) return { code: 2, kind: 'refused', message: err.message };
  if (err instanceof Error && err.name === 'PlanInvalid') {
    const invalid = err as import('../plan/validate').PlanInvalid;
    return { code: 2, kind: 'invalid-plan', message: `${invalid.source}: ${invalid.errors.length} error(s)`, errors: invalid.errors };
  }
  return { code: 1, kind: 'error', message: (err as Error)?.message ?? String(err) };
}

export async function main(argv: string[]): Promise<number> {
  const program = buildCli();
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    await flushTracing();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    await flushTracing().catch(() => undefined);
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const f = failure(err);
    if (json) {
      process.stdout.write(
        JSON.stringify(
          { error: { kind: f.kind, message: f.message, ...(f.errors ? { errors: f.errors } : {}) }, exitCode: f.code },
          null,
          2,
        ) + '\n',
      );
    } else if (f.kind === 'invalid-plan') {
      const { formatPlanErrorAt } = await import('../plan/validate');
      const invalid = err as import('../plan/validate').PlanInvalid;
      for (const e of invalid.errors) process.stderr.write(`${formatPlanErrorAt(e, invalid.source)}\n`);
    } else process.stderr.write(`${f.code === 2 ? 'refused' : 'error'}: ${f.message}\n`);
    return f.code;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => process.exit(code));
}
