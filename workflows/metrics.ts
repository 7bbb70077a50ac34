// release-watch's own metrics, through the SDK's metric meter: exported with the SDK's own on the
// worker's --metrics endpoint, and not emitted while a workflow replays (so a counter counts each event
// once, whatever the cache does). Labels are few and bounded: outcomes, severities, kinds; never a
// release, a watch or a person. Meters are made per use, not at module load (the bundle is shared
// between the workflows of a worker: worker/bundle.ts).
import { metricMeter, workflowInfo } from '@temporalio/workflow';

const PREFIX = 'release_watch_';

function count(name: string, help: string, tags: Record<string, string>): void {
  // The meter drops what a replay adds, after resolving its tags; a replay then skips the work.
  if (workflowInfo().unsafe.isReplaying) return;
  metricMeter.createCounter(PREFIX + name, '1', help).add(1, tags);
}

/** A tier run, by its outcome (the worst of its checks). */
export function countTierRun(tier: string, outcome: string): void {
  count('tier_runs', 'Tier runs by their outcome', { outcome, tier });
}

/** A check's result, by outcome. */
export function countCheck(outcome: string): void {
  count('checks', 'Check results by outcome', { outcome });
}

export function countIncidentOpened(severity: string): void {
  count('incidents_opened', 'Incidents opened, by severity (open now: opened minus resolved)', { severity });
}

export function countIncidentResolved(severity: string): void {
  count('incidents_resolved', 'Incidents resolved, by severity', { severity });
}

/** A response deadline passed unanswered: an incident's acknowledgement or resolution, a checkpoint's decision. */
export function countMissedDeadline(kind: 'ack' | 'resolve' | 'checkpoint'): void {
  count('deadlines_missed', 'Response deadlines that passed unanswered, by kind', { kind });
}

export function countCheckpointOpened(): void {
  count('checkpoints_opened', 'Checkpoints opened (waiting now: opened minus decided)', {});
}

/** A checkpoint decided, and how long it waited for its decision. */
export function countCheckpointDecided(decision: string, waitedSeconds: number): void {
  count('checkpoints_decided', 'Checkpoints decided, by decision', { decision });
  metricMeter
    .createHistogram(PREFIX + 'checkpoint_wait_seconds', 'float', 's', 'Time from a checkpoint opening to its decision')
    .record(Math.max(0, waitedSeconds));
}
