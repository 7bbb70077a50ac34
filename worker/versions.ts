// Worker Deployment versions: which version is current, making one current, and what each version
// still runs. Watches and incidents are pinned to the version they started on, so an upgrade never
// hands a running watch to other code; an old version runs until it has drained.
import type { temporal } from '@temporalio/proto';

/** The Worker Deployment release-watch workers belong to, unless RELEASE_WATCH_DEPLOYMENT names another. */
export const DEFAULT_DEPLOYMENT = 'release-watch';

export function deploymentName(env: NodeJS.ProcessEnv = process.env): string {
  return env.RELEASE_WATCH_DEPLOYMENT || DEFAULT_DEPLOYMENT;
}

type WorkflowService = temporal.api.workflowservice.v1.WorkflowService;

export interface VersionRow {
  buildId: string;
  /** current | ramping | draining | drained | inactive */
  status: string;
  current: boolean;
  /** Watches and incidents still running pinned to it (from visibility). */
  running: { watches: number; incidents: number };
  /** The server's own drainage verdict, when it has made one. */
  drainage?: 'draining' | 'drained';
  /** No running workflow is pinned to it and it is not current or ramping: its workers can stop. */
  canStop: boolean;
  createdAt?: string;
}

/** The current version's build ID, or undefined when the deployment has none (or does not exist yet). */
export async function currentBuildId(service: WorkflowService, namespace: string, deployment: string): Promise<string | undefined> {
  try {
    const d = await service.describeWorkerDeployment({ namespace, deploymentName: deployment });
    return d.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId || undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Makes `buildId` the deployment's current version: new watches start on it. The server refuses a version
 * no worker has polled yet, so this waits (up to `timeoutMs`) for this version's workers to be seen.
 */
export async function makeCurrent(
  service: WorkflowService,
  namespace: string,
  deployment: string,
  buildId: string,
  opts: { identity?: string; timeoutMs?: number } = {},
): Promise<void> {
  const until = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    try {
      await service.setWorkerDeploymentCurrentVersion({
        namespace,
        deploymentName: deployment,
        buildId,
        identity: opts.identity ?? 'release-watch',
      });
      return;
    } catch (err) {
      // Not known yet (no poll seen), or the deployment's record is still being created.
      if (
        Date.now() > until ||
        !(isNotFound(err) || isFailedPrecondition(err) || /not.*(found|polled|exist)/i.test(String((err as Error).message)))
      ) {
        throw new Error(`cannot make ${deployment} version ${buildId} current: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Every version of the deployment with what it still runs, newest first. */
export async function listVersions(
  service: WorkflowService,
  namespace: string,
  deployment: string,
  count: (query: string) => Promise<number>,
): Promise<{ deployment: string; current?: string; ramping?: string; versions: VersionRow[] }> {
  let info;
  try {
    info = (await service.describeWorkerDeployment({ namespace, deploymentName: deployment })).workerDeploymentInfo;
  } catch (err) {
    if (isNotFound(err)) return { deployment, versions: [] };
    throw err;
  }
  const current = info?.routingConfig?.currentDeploymentVersion?.buildId || undefined;
  const ramping = info?.routingConfig?.rampingDeploymentVersion?.buildId || undefined;
  const versions: VersionRow[] = [];
  for (const v of info?.versionSummaries ?? []) {
    const buildId = v.deploymentVersion?.buildId ?? '';
    if (!buildId) continue;
    const pinned = `TemporalWorkerDeploymentVersion = '${deployment}:${buildId}' AND ExecutionStatus = 'Running'`;
    const running = {
      watches: await count(`${pinned} AND WorkflowType = 'watchWorkflow'`),
      incidents: await count(`${pinned} AND WorkflowType = 'incidentWorkflow'`),
    };
    const drainage = drainageOf(v.drainageInfo?.status ?? v.drainageStatus) ?? drainageOf(VERSION_STATUS_DRAINAGE[Number(v.status)]);
    const isCurrent = buildId === current;
    const isRamping = buildId === ramping;
    const status = isCurrent
      ? 'current'
      : isRamping
        ? 'ramping'
        : (drainage ?? (running.watches + running.incidents > 0 ? 'draining' : 'inactive'));
    versions.push({
      buildId,
      status,
      current: isCurrent,
      running,
      ...(drainage ? { drainage } : {}),
      canStop: !isCurrent && !isRamping && running.watches + running.incidents === 0,
      createdAt: v.createTime?.seconds ? new Date(Number(v.createTime.seconds) * 1000).toISOString() : undefined,
    });
  }
  versions.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  return { deployment, current, ramping, versions };
}

/** WorkerDeploymentVersionStatus DRAINING (4) and DRAINED (5), as drainage statuses. */
const VERSION_STATUS_DRAINAGE: Record<number, number> = { 4: 1, 5: 2 };

function drainageOf(status: unknown): 'draining' | 'drained' | undefined {
  // VERSION_DRAINAGE_STATUS_DRAINING = 1, _DRAINED = 2
  if (status === 1 || status === 'VERSION_DRAINAGE_STATUS_DRAINING') return 'draining';
  if (status === 2 || status === 'VERSION_DRAINAGE_STATUS_DRAINED') return 'drained';
  return undefined;
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: number })?.code === 5 || /not found/i.test(String((err as Error)?.message));
}

function isFailedPrecondition(err: unknown): boolean {
  return (err as { code?: number })?.code === 9;
}
