// Upgrading release-watch while watches run, on the dev server: workers are versions of a Worker
// Deployment, and watches and incidents stay pinned to the version they started on.
//   version A (this checkout's workflow code) runs a watch that opens an incident;
//   version B (other workflow code: the same plus a no-op interceptor) becomes current;
//   a decision and an acknowledgement answered meanwhile are taken by A's worker;
//   a new watch starts on B; A drains once its watch and incident end.
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { acknowledge, decide, resolveIncident, startWatch, watchStatusOf } from '../../client/watches';
import type { Plan } from '../../plan/schema';
import { bundleOptions, workflowInterceptorModules } from '../../worker/bundle';
import { buildIdOf, workflowCode, type WorkflowCode } from '../../worker/code';
import { currentBuildId, listVersions, makeCurrent } from '../../worker/versions';
import { WORKFLOW_THREADS } from '../../worker/threads';
import type { Runners } from '../../worker/runners';
import { createWorker } from '../../worker/worker';
import { KEYRING_ENV } from '../../client/keys';
import { symphonyPlan } from '../helpers/plans';
import { until } from '../helpers/poll';
import { devServerEnv } from '../helpers/servers';
import { newStub, stubActivities, type Stub } from '../helpers/stubs';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const DEPLOYMENT = `rw-upgrade-${randomUUID().slice(0, 8)}`;
const TASK_QUEUE = `upgrade-${randomUUID()}`;

let env: TestWorkflowEnvironment;
const workers: Array<{ worker: Runners; running: Promise<void> }> = [];

beforeAll(async () => {
  process.env[KEYRING_ENV] ??= join(ROOT, 'plans', 'keys');
  // The server judges a version drained some time after its last pinned workflow closed: a second here.
  env = await devServerEnv({
    dynamicConfig: {
      'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '1s',
      'matching.wv.VersionDrainageStatusRefreshInterval': '1s',
    },
  });
});

afterAll(async () => {
  for (const w of workers) {
    w.worker.shutdown();
    await w.running.catch(() => undefined);
  }
  await env?.teardown();
});

/** Version B: this checkout's workflow code plus an interceptor that does nothing, so another build ID. */
async function versionB(): Promise<WorkflowCode> {
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    ...bundleOptions,
    workflowInterceptorModules: [...workflowInterceptorModules, require.resolve('../helpers/no-op-interceptor')],
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error },
  });
  return { bundle: { code }, buildId: buildIdOf(code) };
}

async function startVersion(code: WorkflowCode, stub: Stub): Promise<void> {
  const setup = await createWorker(env.nativeConnection, env.namespace ?? 'default', {
    connect: () => NativeConnection.connect({ address: env.address }),
    versioning: { deployment: DEPLOYMENT },
    code,
    overrides: { taskQueue: TASK_QUEUE, activities: stubActivities(stub) },
  });
  expect(setup.buildId).toBe(code.buildId);
  // Production's runners, one per workflow thread, unless a --workflow-threads override says otherwise.
  expect(setup.worker.workers.map((w) => w.options.workflowThreadPoolSize)).toEqual(Array(WORKFLOW_THREADS).fill(1));
  workers.push({ worker: setup.worker, running: setup.worker.run() });
  await makeCurrent(env.client.workflowService, env.namespace ?? 'default', DEPLOYMENT, code.buildId);
}

/** The build IDs of the workers that completed each workflow task of a workflow. */
async function taskVersions(workflowId: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const done = e.workflowTaskCompletedEventAttributes;
    return done ? [done.deploymentVersion?.buildId ?? '(unversioned)'] : [];
  });
}

/** A six-hour watch on a fast clock: fast-pulse fails from hour 1 (incident 1), the 12h checkpoint moved to hour 2. */
function upgradePlan(): Plan {
  const plan = symphonyPlan();
  const checkpoint = plan.checkpoints.find((c) => c.name === '12h')!;
  return {
    ...plan,
    clock: { hour: '1500ms', duration: '6h' },
    tiers: { hourly: { ...plan.tiers.hourly, to: '6h' } },
    checkpoints: [{ ...checkpoint, at: '2h', criteria: [] }],
  };
}

test('a watch and its incident stay on the version they started on; new watches take the current one; the old version drains', async () => {
  const a = await workflowCode();
  const b = await versionB();
  expect(b.buildId).not.toBe(a.buildId);
  const stubA = newStub((check, hour) => (check === 'fast-pulse' && hour >= 1 ? { outcome: 'fail', severity: 'critical' } : 'ok'));
  const stubB = newStub();
  const plan = upgradePlan();
  const ns = env.namespace ?? 'default';

  await startVersion(a, stubA);
  expect(await currentBuildId(env.client.workflowService, ns, DEPLOYMENT)).toBe(a.buildId);
  const first = await startWatch(env.client, {
    plan,
    release: { service: 'symphony', version: `v1.${randomUUID().slice(0, 8)}`, deployedAt: new Date().toISOString() },
    startedBy: 'test',
    taskQueue: TASK_QUEUE,
  });
  const open = await until(async () => {
    const s = await watchStatusOf(env.client, first.workflowId);
    return s.incidents.length === 1 && s.checkpoints[0].state === 'pending' && s;
  }, 'incident 1 and the checkpoint at hour 2');
  const incidentId = open.incidents[0].id;

  // The upgrade: version B's worker starts and becomes current; A's keeps running.
  await startVersion(b, stubB);
  expect(await currentBuildId(env.client.workflowService, ns, DEPLOYMENT)).toBe(b.buildId);

  // Answers to the running watch and incident, after B became current: taken by A's code.
  expect(
    await decide(env.client, first.workflowId, {
      checkpoint: '12h',
      decision: 'continue',
      by: 'release-captain',
      note: 'during the upgrade',
    }),
  ).toMatchObject({
    state: 'decided',
  });
  expect(await acknowledge(env.client, first.workflowId, { incident: '1', by: 'duty-engineer' })).toMatchObject({ state: 'acknowledged' });

  const second = await startWatch(env.client, {
    plan: { ...plan, clock: { hour: '500ms', duration: '2h' }, tiers: { hourly: { ...plan.tiers.hourly, to: '2h' } }, checkpoints: [] },
    release: { service: 'symphony', version: `v2.${randomUUID().slice(0, 8)}`, deployedAt: new Date().toISOString() },
    startedBy: 'test',
    taskQueue: TASK_QUEUE,
  });

  // Both versions are listed: A still runs a watch and an incident, so its workers must stay.
  const during = await listVersions(env.client.workflowService, ns, DEPLOYMENT, async (q) => (await env.client.workflow.count(q)).count);
  expect(during.current).toBe(b.buildId);
  expect(during.versions.find((v) => v.buildId === a.buildId)).toMatchObject({
    current: false,
    running: { watches: 1, incidents: 1 },
    canStop: false,
  });

  expect(await env.client.workflow.getHandle(second.workflowId).result()).toMatchObject({ phase: 'completed' });
  expect(await env.client.workflow.getHandle(first.workflowId).result()).toMatchObject({ phase: 'completed' });
  await resolveIncident(env.client, first.workflowId, {
    incident: '1',
    by: 'duty-engineer',
    rootCause: 'bad build',
    resolution: 'fixed forward',
  });
  await env.client.workflow.getHandle(incidentId).result();

  // Every workflow task of the first watch and its incident was completed by A's worker; the new watch's by B's.
  for (const id of [first.workflowId, incidentId]) expect(new Set(await taskVersions(id))).toEqual(new Set([a.buildId]));
  expect(new Set(await taskVersions(second.workflowId))).toEqual(new Set([b.buildId]));
  // Activities follow their workflow's version: B's worker never ran a check of the first watch.
  expect(stubA.calls.length).toBeGreaterThan(0);
  expect(stubB.calls.length).toBeGreaterThan(0);
  expect(stubB.notifications.filter((n) => n.watchId === first.workflowId)).toEqual([]);
  expect(stubA.notifications.filter((n) => n.watchId === second.workflowId)).toEqual([]);

  // A has drained: nothing pinned to it runs, and the server says so too.
  const drained = await until(async () => {
    const l = await listVersions(env.client.workflowService, ns, DEPLOYMENT, async (q) => (await env.client.workflow.count(q)).count);
    const version = l.versions.find((v) => v.buildId === a.buildId)!;
    return version.drainage === 'drained' && version;
  }, `version ${a.buildId} to drain`);
  expect(drained).toMatchObject({ running: { watches: 0, incidents: 0 }, canStop: true, status: 'drained' });

  // The CLI says the same, and reads the ended watch's status without a worker of its version.
  const cli = await run(join(ROOT, 'bin', 'release-watch'), ['versions', '--json'], {
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: ns, RELEASE_WATCH_DEPLOYMENT: DEPLOYMENT },
  });
  expect(JSON.parse(cli.stdout)).toMatchObject({ deployment: DEPLOYMENT, current: b.buildId });
  for (const w of workers.splice(0)) {
    w.worker.shutdown();
    await w.running;
  }
  const ended = await watchStatusOf(env.client, first.workflowId, 5, 2_000);
  expect(ended).toMatchObject({ phase: 'completed', decisions: [expect.objectContaining({ checkpoint: '12h', by: 'release-captain' })] });
}, 180_000);
