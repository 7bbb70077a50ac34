// Recorded histories replayed against today's workflow code: a change to what a running watch or
// incident does fails here unless it comes as a new worker version (docs/upgrading.md). Re-record with
// `npx tsx scripts/record-histories.ts` after a deliberate change to the workflow code.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { bundleOptions, workflowInterceptorModules } from '../../worker/bundle';
import { workflowBundle } from '../helpers/servers';

const DIR = join(__dirname, '..', 'histories');
const ids: Record<string, string> = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8'));
const files = readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== 'index.json');

test('there are recorded histories of the watch (both sides of a continue-as-new) and of an incident, stubbed and from the demo', () => {
  expect(files).toEqual(expect.arrayContaining(['watch-first-run.json', 'watch-latest-run.json', 'incident.json']));
  // The full demo: every run of its watch (a continue-as-new every 20 watch hours) and every incident.
  expect(files.filter((f) => f.startsWith('demo-watch-run-')).length).toBeGreaterThanOrEqual(3);
  expect(files.filter((f) => f.startsWith('demo-incident-')).length).toBeGreaterThanOrEqual(5);
  for (const f of files) expect([f, typeof ids[f]]).toEqual([f, 'string']);
});

test('every patch in the workflow code has a recorded history that took it (with pinned versions there are none today)', () => {
  const dir = join(__dirname, '..', '..', 'workflows');
  const source = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
  const patches = [...source.matchAll(/\bpatched\('([^']+)'\)/g)].map((m) => m[1]);
  const recorded = new Set(
    files.flatMap((f) =>
      (JSON.parse(readFileSync(join(DIR, f), 'utf8')).events as Array<Record<string, any>>)
        .flatMap((e) => e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads ?? [])
        .map((p: { data: string }) => JSON.parse(Buffer.from(p.data, 'base64').toString('utf8')).id as string),
    ),
  );
  expect(patches.filter((p) => !recorded.has(p))).toEqual([]);
});

test.each(files)('%s replays without non-determinism', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(DIR, file), 'utf8')));
  expect(history.events?.length).toBeGreaterThan(20);
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, ids[file]);
});

test('the guard catches a change to what a running watch does: a timer added before each activity, unpatched', async () => {
  const changed = await bundleWorkflowCode({
    ...bundleOptions,
    workflowInterceptorModules: [...workflowInterceptorModules, require.resolve('./unpatched-change')],
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    },
  });
  for (const file of ['watch-first-run.json', 'demo-watch-run-2.json', 'incident.json', 'demo-incident-5.json']) {
    const history = historyFromJSON(JSON.parse(readFileSync(join(DIR, file), 'utf8')));
    await expect(Worker.runReplayHistory({ workflowBundle: changed }, history, ids[file])).rejects.toThrow(DeterminismViolationError);
  }
});
