// The workflow code a worker runs, and the build ID it is known by. The build ID is a digest of the
// bundled workflow code itself (the workflows, the pure modules they use, the SDK's workflow runtime),
// so any change to what a running watch executes is a new Worker Deployment version, with nobody
// having to remember to bump it; a change elsewhere (activities, the CLI) keeps the version.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { bundleOptions, tracedBundleOptions } from './bundle';

export interface WorkflowCode {
  bundle: WorkflowBundle;
  buildId: string;
}

/** Where `npm run build` leaves the bundles beside the compiled JavaScript. */
export const PREBUILT_BUNDLE = join(__dirname, '..', 'workflow-bundle.js');
export const PREBUILT_TRACED_BUNDLE = join(__dirname, '..', 'workflow-bundle-traced.js');

/** `rw-` and 16 hex digits of the SHA-256 of the bundle without its source map (which holds file paths). */
export function buildIdOf(code: string): string {
  const withoutSourceMap = code.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '');
  return `rw-${createHash('sha256').update(withoutSourceMap).digest('hex').slice(0, 16)}`;
}

const quiet = () => undefined;
const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error };

const cached = new Map<boolean, Promise<string>>();

/** The bundle's code: prebuilt by `npm run build` for the compiled CLI, else bundled now from the sources. */
function bundled(traced: boolean): Promise<string> {
  let code = cached.get(traced);
  if (!code) {
    const file = traced ? PREBUILT_TRACED_BUNDLE : PREBUILT_BUNDLE;
    const prebuilt = __filename.endsWith('.js') && existsSync(file);
    code = prebuilt
      ? Promise.resolve(readFileSync(file, 'utf8'))
      : bundleWorkflowCode({ ...(traced ? tracedBundleOptions : bundleOptions), logger }).then((b) => b.code);
    cached.set(traced, code);
  }
  return code;
}

/**
 * The workflow code a worker runs and its build ID. The compiled CLI (dist/) runs the bundle `npm run
 * build` made from the same sources; run from TypeScript, the workflows are bundled now. Both give the
 * same build ID for the same sources. `traced` adds OpenTelemetry's workflow interceptors and keeps the
 * untraced code's build ID: tracing changes no command, so traced and untraced workers are one version.
 */
export async function workflowCode(opts: { traced?: boolean } = {}): Promise<WorkflowCode> {
  const buildId = buildIdOf(await bundled(false));
  return { bundle: { code: opts.traced ? await bundled(true) : await bundled(false) }, buildId };
}
