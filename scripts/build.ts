// `npm run build`: the workflow bundles (untraced and traced) beside the compiled JavaScript (tsc has written dist/ already),
// and a stamp with its build ID. The compiled worker runs this bundle, so its build ID is the one the
// same sources give when run from TypeScript.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { bundleOptions, tracedBundleOptions } from '../worker/bundle';
import { buildIdOf } from '../worker/code';

const DIST = join(__dirname, '..', 'dist');
const quiet = () => undefined;

async function main() {
  const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error };
  const { code } = await bundleWorkflowCode({ ...bundleOptions, logger });
  writeFileSync(join(DIST, 'workflow-bundle.js'), code);
  // The traced variant (a worker with --otlp): the same version, with OpenTelemetry's workflow interceptors.
  const traced = await bundleWorkflowCode({ ...tracedBundleOptions, logger });
  writeFileSync(join(DIST, 'workflow-bundle-traced.js'), traced.code);
  const buildId = buildIdOf(code);
  writeFileSync(join(DIST, '.built'), `${buildId}\n`);
  process.stderr.write(`build: dist/ compiled, workflow code ${buildId}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
