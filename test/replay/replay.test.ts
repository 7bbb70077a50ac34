// Recorded histories replayed against today's workflow code: a change to what a running watch or
// incident does, made without patched(), fails here. Re-record with `npx tsx scripts/record-histories.ts`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/servers';

const DIR = join(__dirname, '..', 'histories');
const ids: Record<string, string> = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8'));
const files = readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== 'index.json');

test('there are recorded histories of the watch (both sides of a continue-as-new) and of an incident', () => {
  expect(files).toEqual(expect.arrayContaining(['watch-first-run.json', 'watch-latest-run.json', 'incident.json']));
});

test.each(files)('%s replays without non-determinism', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(DIR, file), 'utf8')));
  expect(history.events?.length).toBeGreaterThan(20);
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, ids[file]);
});
