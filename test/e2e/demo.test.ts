// The one-command demo, in a fast mode: it runs to the end on its own and its final report tells the story.
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { runDemo } from '../../client/demo';
import { startDevServer } from '../../client/devserver';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-demo-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `body` against a dev server on the demo's database file, stopped afterwards. */
async function onDemoDatabase<T>(body: (client: Client) => Promise<T>): Promise<T> {
  const server = await startDevServer({ dbFile: join(dir, 'data', 'temporal.db'), ui: false });
  try {
    const connection = await Connection.connect({ address: server.address });
    try {
      return await body(new Client({ connection }));
    } finally {
      await connection.close();
    }
  } finally {
    await server.stop();
  }
}

test('the demo runs its scripted faults to a released watch and the final report lists incidents, decisions and levers', async () => {
  // A watch an earlier demo left running (stopped mid-run) is ended before this one starts.
  const leftOverId = 'watch-left-by-an-earlier-demo';
  await onDemoDatabase((client) =>
    client.workflow.start('watchWorkflow', { taskQueue: 'release-watch', workflowId: leftOverId, args: [{}] }),
  );
  // Started from another folder than the repository, as `release-watch dev` may be: the plan's tools still run.
  const cwd = process.cwd();
  process.chdir(dir);
  let result: Awaited<ReturnType<typeof runDemo>>;
  try {
    result = await runDemo({ clock: '1s', exit: true, quiet: true, dataDir: join(dir, 'data'), reportsDir: join(dir, 'reports') });
    expect(process.cwd()).toBe(realpathSync(dir)); // given back
  } finally {
    process.chdir(cwd);
  }
  expect(result.leftOver).toBe(1);
  const leftOver = await onDemoDatabase((client) => client.workflow.getHandle(leftOverId).describe());
  expect(leftOver.status.name).toBe('TERMINATED');
  const s = result.status;
  expect(s.phase).toBe('released');
  expect(result.webUi).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\/watch-symphony-/);

  // Scripted: ollama down at 5 (the watch restarts it itself), autonomy 0 at 14, a kill switch nobody approved at 40.
  expect(s.incidents.find((i) => i.check === 'fast-pulse' && i.openedHour === 5)).toBeDefined();
  expect(s.incidents.find((i) => i.check === 'policy-show' && i.openedHour === 16)).toBeDefined(); // the deep tier's run at 16
  expect(s.incidents.find((i) => i.trigger === 'kill-switch-unapproved')).toBeDefined();
  expect(s.incidents.every((i) => i.state === 'resolved')).toBe(true);
  expect(s.levers).toEqual([expect.objectContaining({ lever: 'restart-services', automatic: true, state: 'done' })]);
  expect(s.checkpoints.map((c) => [c.name, c.decision])).toEqual([
    ['12h', 'continue'],
    ['24h', 'continue'],
    ['48h', 'extend'],
    ['48h-ext1', 'release'],
  ]);

  const final = result.reports.find((p) => p.endsWith('final.md'))!;
  const md = readFileSync(final, 'utf8');
  // One row per incident: | seq | check | severity | state | ...
  for (const i of s.incidents)
    expect(md).toMatch(new RegExp(`\\|\\s*${i.id.split('-').pop()}\\s*\\|\\s*\`?${i.check}\`?\\s*\\|\\s*${i.severity}\\s*\\|\\s*resolved`));
  expect(md).toMatch(/48h-ext1/);
  expect(md).toMatch(/restart-services/);
  expect(md).toMatch(/release-captain/);
  const html = readFileSync(final.replace(/\.md$/, '.html'), 'utf8');
  expect(html).toContain('<svg');
  // The metric check read the demo's own Prometheus (setup installs it), and the report charts it.
  expect(s.checks['http-errors']?.runs).toBeGreaterThan(0);
  expect(s.checks['http-errors'].series.some(([, , v]) => typeof v === 'number')).toBe(true);
  expect(html).toMatch(/data-chart="metric" data-check="http-errors"/);
  expect(html).toContain('threshold-pass');
}, 600_000);
