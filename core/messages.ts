// Shapes that cross the workflow/activity/client boundary. Types only: the workflow sandbox imports this.
import type { Unit } from './conditions';
import type { Signature } from './signatures';
import type { CheckSpec, DecisionName, LeverId, Outcome, Plan } from '../plan/schema';

export interface Release {
  service: string;
  version: string;
  /** Hex SHA of the deployed (merge) commit, when known. */
  commit?: string;
  /** ISO time of the deploy. */
  deployedAt: string;
}

export interface WatchInput {
  plan: Plan;
  release: Release;
  startedBy: string;
  /** Carried across continue-as-new; absent on the first run. */
  state?: unknown;
  /** Test hook: continue-as-new after this many watch hours of this run. */
  continueAsNewAfterHours?: number;
}

/** Where the log probe stopped reading each file, kept in workflow state so lines are counted once. */
export interface LogCursor {
  files: Record<string, FileCursor>;
}
export interface FileCursor {
  offset: number;
  /** Inode and the file's first bytes identify the file, so a rotation is seen even at equal size. */
  ino?: number;
  head?: string;
}

/** What running a check needs of its spec: the probe and how to judge what it saw. */
export type RunnableCheck = Pick<CheckSpec, 'probe' | 'conditions' | 'severity' | 'metric' | 'cost'>;

export interface CheckRequest {
  watchId: string;
  checkId: string;
  hour: number;
  check: RunnableCheck;
  vars: Plan['vars'];
  release: Release;
  /** The plan's severities, most severe first: of several failed conditions, the gravest names the incident's. */
  severities?: string[];
  /** Trigger conditions over this check's values; the names of those that hold come back in `triggers`. */
  triggers: Array<{ name: string; when: string }>;
  /** What the probe kept from this check's previous run (a log cursor), carried by the watch. */
  cursor?: unknown;
  /** The watch's first run of this check (a log probe starts at each file's end). */
  first?: boolean;
}

/** One check of a tier run: what differs between the checks of a slot. */
export interface TierCheck {
  checkId: string;
  check: RunnableCheck;
  triggers: Array<{ name: string; when: string }>;
  cursor?: unknown;
  first?: boolean;
}

/**
 * A tier run (a slot: the tiers due at one watch hour) as one activity: what its checks share once,
 * and each check's own part. Each check runs as a CheckRequest made from these.
 */
export interface TierRequest {
  watchId: string;
  hour: number;
  /** The tiers due at this hour, for the Web UI and the ledger. */
  tiers: string[];
  vars: Plan['vars'];
  release: Release;
  severities?: string[];
  checks: TierCheck[];
}

/** Every check's result, in the order of the request. */
export interface TierResult {
  hour: number;
  results: CheckResult[];
}

export interface ConditionResult {
  name: string;
  outcome: Outcome;
  /** What was seen, e.g. "[RESPONSE_TIME] = 45.2s". */
  detail?: string;
  severity?: string;
}

export interface LogSummary {
  lines: number;
  counts: { normal: number; warning: number; alert: number };
  patterns: Record<string, number>;
  samples: { normal: string[]; warning: string[]; alert: string[] };
  /** Files found truncated or replaced since the last read, read again from their start. */
  rotated: string[];
  /** Sum of the probe's `costField` over the JSON lines read in this run ([LOG].cost). */
  cost?: number;
}

/** A check's value from before the deploy (a prometheus probe's baseline). */
export interface CheckBaseline {
  value: number;
  /** The value as a person reads it, in the probe's unit. */
  text: string;
  /** How far before the deploy it looked. */
  window: string;
}

/** Where a check's charted metric turns from ok to warn and from warn to fail, read from its conditions. */
export interface MetricBands {
  /** `upper`: higher is worse (`[VALUE] < 0.01`); `lower`: lower is worse. */
  direction: 'upper' | 'lower';
  pass?: number;
  warn?: number;
}

export interface CheckResult {
  checkId: string;
  hour: number;
  outcome: Outcome;
  /** For a fail: the severity of the worst failed condition (else the check's). */
  severity?: string;
  /** One line saying why, e.g. "Response time under 30s: [RESPONSE_TIME] = 45.2s". */
  reason: string;
  conditions: ConditionResult[];
  durationMs: number;
  metric?: number;
  cost?: number;
  triggers: string[];
  /** Bounded excerpt of what the probe saw (at most 2 KB). */
  evidence: string;
  /** What the next run of this check needs (a log cursor). */
  cursor?: unknown;
  log?: LogSummary;
  baseline?: CheckBaseline;
  /** The metric's bands at this run (a band relative to a baseline moves with it). */
  bands?: MetricBands;
  /** How the metric reads (the probe's unit), when its kind says. */
  unit?: Unit;
  startedAt: string;
}

export interface Decide {
  checkpoint: string;
  decision: DecisionName;
  by: string;
  note?: string;
  /** Where it came from (slack); the CLI and the console leave it out. */
  via?: string;
  signature?: Signature;
}

export interface Notification {
  /** Stable per event: a retried delivery carries the same id. */
  eventId: string;
  watchId: string;
  kind: string;
  severity: 'critical' | 'error' | 'warning' | 'info';
  title: string;
  text: string;
  /** The command that answers it, when one does. */
  command?: string;
  to?: string[];
  at: string;
  /** `via`: the answer that caused an acknowledge or resolve came from there (a pager need not hear it back). */
  incident?: { id: string; action: 'trigger' | 'acknowledge' | 'resolve'; via?: string };
  /** Slack user IDs of the people in `to` who have one in the plan: mentions that ping them. */
  slackIds?: Record<string, string>;
}

export type { LeverId };
