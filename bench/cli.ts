// The CLI's start-up: `release-watch --help` and `validate` (compiled, from dist/) against `node -e 0`, and
// the validation's own work measured in process. Target (issue 17): a command's start-up within 2× of
// `node -e 0` plus the work it does. Needs `npm run build` first (the setup runs it).
// Usage: npx tsx bench/cli.ts [runs, default 15]; writes bench/results-cli.json.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'dist', 'client', 'cli.js');
const PLAN = join(ROOT, 'plans', 'symphony-orchestra.yaml');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timed(args: string[], runs: number): number {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    execFileSync(process.execPath, args, { stdio: 'ignore' });
    ms.push(performance.now() - t);
  }
  return median(ms);
}

async function main() {
  if (!existsSync(CLI)) throw new Error('dist/ is not built: run `npm run build`');
  const runs = Number(process.argv[2] ?? 15);
  const node = timed(['-e', '0'], runs);
  const help = timed([CLI, '--help'], runs);
  const validate = timed([CLI, 'validate', PLAN], runs);
  // The work itself: loading the compiled validation code once, then validating the plan, in this process.
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadPlan } = require(join(ROOT, 'dist', 'plan', 'validate.js')) as typeof import('../plan/validate');
  const load = performance.now() - t0;
  const work: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    loadPlan(PLAN);
    work.push(performance.now() - t);
  }
  const result = {
    at: new Date().toISOString(),
    runs,
    medianMs: { nodeE0: node, help, validate, validateWork: median(work), validateModulesLoad: load },
    ratios: {
      helpToNode: help / node,
      validateToNodePlusWork: validate / (2 * node + median(work) + load),
    },
    target: 'validate ≤ 2 × node -e 0 + the work (loading the validation code and validating): ratio ≤ 1',
  };
  writeFileSync(join(__dirname, 'results-cli.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
