// Where the installed Temporal binaries are, and a workflow bundle built once per test file.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleOptions } from '../../worker/bundle';
import { SEARCH_ATTRIBUTES } from '../../workflows/definitions';

const ROOT = join(__dirname, '..', '..');

export function toolPaths(): { temporal: string; testServer: string } {
  const file = join(ROOT, '.tools', 'paths.json');
  if (!existsSync(file)) throw new Error('Temporal binaries are not installed: run `bash scripts/setup.sh` (npm test does it)');
  return JSON.parse(readFileSync(file, 'utf8'));
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ ...bundleOptions, logger: quietLogger });
  return bundle;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };

/** The time-skipping server, with the watch's search attributes registered as the dev server has them. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: toolPaths().testServer } },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((k) => [k.name, k.type === 'INT' ? 3 : 2])),
  });
  return env;
}

/** The dev server; `dynamicConfig` sets more of its dynamic config (e.g. a lower continue-as-new suggestion). */
export function devServerEnv(
  opts: { dynamicConfig?: Record<string, number | string>; searchAttributes?: boolean } = {},
): Promise<TestWorkflowEnvironment> {
  const more = Object.entries(opts.dynamicConfig ?? {}).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${JSON.stringify(value)}`,
  ]);
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: toolPaths().temporal },
      // Without them, a namespace as a new cluster has it: `release-watch setup` is what adds them.
      searchAttributes: opts.searchAttributes === false ? [] : SEARCH_ATTRIBUTES,
      // Compressed clocks need timers on time: the default lets a timer fire up to a second late.
      extraArgs: ['--log-level', 'error', '--dynamic-config-value', 'history.timerProcessorMaxTimeShift="10ms"', ...more],
    },
  });
}
