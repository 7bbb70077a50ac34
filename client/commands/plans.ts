// Plans: `validate` (every error with its place), `schema` (the JSON Schema editors read), `init` (a
// starter plan for your own service).
import type { Command } from 'commander';
import { plans, print } from './common';

export function registerPlans(program: Command): void {
  program
    .command('validate')
    .description('Check plans: exit 0 when valid, else exit 2 and one "file:line:column: path: message" line per error')
    .argument('<plan...>', 'plan files (YAML)')
    .option('--json', 'print the results as JSON: [{file, ok, plan?, errors: [{file, line, column, path, message}]}]')
    .addHelpText(
      'after',
      '\nExamples:\n  release-watch validate plans/symphony-orchestra.yaml plans/demo.yaml\n  release-watch validate my-api.yaml --json | jq ".[0].errors"',
    )
    .action(async (files: string[], o: { json?: boolean }) => {
      const { formatPlanErrorAt, loadPlan, PlanInvalid } = await plans();
      const results = [];
      for (const file of files) {
        try {
          const plan = loadPlan(file);
          const summary = {
            name: plan.name,
            checks: Object.keys(plan.checks).length,
            tiers: Object.keys(plan.tiers).length,
            checkpoints: plan.checkpoints.length,
          };
          results.push({ file, ok: true, plan: summary, errors: [] });
          if (!o.json)
            process.stdout.write(
              `${file}: ok (${summary.name}: ${summary.checks} checks, ${summary.tiers} tiers, ${summary.checkpoints} checkpoints)\n`,
            );
        } catch (err) {
          if (!(err instanceof PlanInvalid)) throw err;
          results.push({
            file,
            ok: false,
            errors: err.errors.map((e) => ({ file: e.file ?? file, line: e.line, column: e.column, path: e.path, message: e.message })),
          });
          if (!o.json) for (const e of err.errors) process.stderr.write(`${formatPlanErrorAt(e, file)}\n`);
        }
      }
      if (o.json) print(true, results, () => '');
      if (results.some((r) => !r.ok)) process.exitCode = 2;
    });

  program
    .command('schema')
    .description("Print the plan's JSON Schema (for editors; the repository's plan.schema.json is the same)")
    .addHelpText(
      'after',
      '\nA plan that starts with this line is completed and checked as you type by editors with the YAML language server:\n  # yaml-language-server: $schema=<path or URL of plan.schema.json>\n\nExamples:\n  release-watch schema > plan.schema.json',
    )
    .action(async () => {
      const { planJsonSchemaText } = await import('../../plan/json-schema');
      process.stdout.write(planJsonSchemaText());
    });

  program
    .command('init')
    .description('Write a small, commented plan for your service from a few answers (asked in a terminal, or given as flags)')
    .option('--service <name>', 'the service (lower-case letters, digits, dashes)')
    .option('--url <url>', 'its HTTP health URL')
    .option('--log <file>', "a log file to watch for errors (on the worker's machine)")
    .option('--log-format <format>', 'text, or jsonl for one JSON object a line', 'text')
    .option('--command <argv...>', "a command whose exit code says the service is healthy (run on the worker's machine)")
    .option('--person <id:Name...>', 'who is on call, in order (the first is primary); repeatable')
    .option('--profile <profile>', 'dev (answers unsigned) or prod (every answer signed; --keys makes the keys)', 'dev')
    .option('--keys <dir>', 'with --profile prod: write a secret key per person here and their public keys into the plan')
    .option('--hour <duration>', 'real length of a watch hour (1h; e.g. 10s to try the plan quickly)', '1h')
    .option('--out <file>', 'where to write the plan (default: <service>.yaml)')
    .option('--force', 'overwrite an existing file')
    .addHelpText(
      'after',
      `
Examples:
  release-watch init                                          # asks
  release-watch init --service checkout-api --url https://checkout.internal/healthz \\
    --log /var/log/checkout/app.jsonl --log-format jsonl --person alice:"Alice Ng" --person bob:"Bob Roy"
  release-watch init --service billing-worker --command ./bin/queue-depth --person carol:Carol --profile prod --keys ~/.release-watch`,
    )
    .action(async (o: import('../init').InitOptions & { out?: string; force?: boolean }) => {
      const { answersFrom, writeStarterPlan } = await import('../init');
      const answers = await answersFrom(o);
      const written = await writeStarterPlan(answers, { out: o.out, force: !!o.force });
      process.stdout.write(written.summary + '\n');
    });
}
