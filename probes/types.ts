// What every probe kind provides. A kind is one folder under probes/ (its schema, its placeholders, how
// its spec is resolved and run) and one line in probes/index.ts; nothing else in the engine names kinds.
import type { z } from 'zod';
import type { PlaceholderSpec } from '../core/conditions';
import type { CheckBaseline, LogSummary, Release } from '../core/messages';
import type { Env } from '../core/vars';
import type { Plan } from '../plan/schema';

export type { PlaceholderSpec };

/** What a probe is given besides its spec. */
export interface ProbeContext {
  vars: Plan['vars'];
  env: Env;
  release: Release;
  /** What this kind kept from the check's previous run (a log cursor), if anything. */
  cursor?: unknown;
  /** The watch's first run of this check (a log starts at each file's end). */
  first: boolean;
  /** When the watch started (ms): a baseline looks before it. */
  deployedAt?: number;
}

/** One run of a probe: the placeholder values to judge, or why there is nothing to judge. */
export interface Observation {
  values: Record<string, unknown>;
  /** Why the probe gave no proper answer; the check fails with this reason. */
  failure?: string;
  /** Bounded lines of what was seen, for the incident and the Web UI. */
  evidence: string[];
  /** What the next run of this check needs (returned to the watch, which keeps it). */
  cursor?: unknown;
  log?: LogSummary;
  /**
   * The probe answered but gave nothing to judge (no data, no baseline): the outcome the plan chose for
   * that, instead of judging the conditions.
   */
  inconclusive?: { outcome: 'ok' | 'warn' | 'fail'; reason: string };
  /** The value this check is compared with from before the deploy, for status and reports. */
  baseline?: CheckBaseline;
}

/** A lever step run by a kind that can act as well as observe. */
export interface StepResult {
  step: string;
  ok: boolean;
  detail: string;
  durationMs: number;
}

export interface ProbeKind<S extends { kind: string; timeout: string } = { kind: string; timeout: string }> {
  kind: S['kind'];
  /** The probe as a plan writes it (a strict object whose `kind` is this kind). */
  schema: z.ZodType<S>;
  /** Placeholders its conditions may read. */
  placeholders: readonly PlaceholderSpec[];
  /** The same placeholders with what this spec says of them (a metric's unit), for printing values. */
  placeholdersFor?(spec: S): readonly PlaceholderSpec[];
  /** The check's `metric` (charted per watch hour) when the plan gives none. */
  defaultMetric?: string;
  /** The `${var}` references in the spec that must resolve (checked when the plan is validated). */
  references?(spec: S): string[];
  observe(spec: S, ctx: ProbeContext): Promise<Observation>;
  /** Present for kinds a lever step may use: run the spec once as an action. */
  act?(spec: S, ctx: ProbeContext): Promise<StepResult>;
}
