// The workflow code a worker runs, and the build ID it is known by. The build ID is a digest of the
// bundled workflow code itself (the workflows, the pure modules they use, the SDK's workflow runtime),
// so any change to what a running watch executes is a new Worker Deployment version, with nobody
// having to remember to bump it; a change elsewhere (activities, the CLI) keeps the version.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { bundleOptions } from './bundle';

export interface WorkflowCode {
  bundle: WorkflowBundle;
  buildId: string;
}

/** Where `npm run build` leaves the bundle beside the compiled JavaScript. */
export const PREBUILT_BUNDLE = join(__dirname, '..', 'workflow-bundle.js');

/** `rw-` and 16 hex digits of the SHA-256 of the bundle without its source map (which holds file paths). */
export function buildIdOf(code: string): string {
  const withoutSourceMap = code.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '');
  return `rw-${createHash('sha256').update(withoutSourceMap).digest('hex').slice(0, 16)}`;
}

const quiet = () => undefined;
const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error };

let cached: Promise<WorkflowCode> | undefined;

/**
 * The compiled CLI (dist/) runs the bundle `npm run build` made from the same sources; run from
 * TypeScript, the workflows are bundled now. Both give the same build ID for the same sources.
 */
export function workflowCode(): Promise<WorkflowCode> {
  cached ??= (async () => {
    const prebuilt = __filename.endsWith('.js') && existsSync(PREBUILT_BUNDLE);
    const code = prebuilt ? readFileSync(PREBUILT_BUNDLE, 'utf8') : (await bundleWorkflowCode({ ...bundleOptions, logger })).code;
    return { bundle: { code }, buildId: buildIdOf(code) };
  })();
  return cached;
}
