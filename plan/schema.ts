// The watch plan: everything that varies between services, as data.
// The workflow only ever sees a plan that passed this schema and the reference checks in ./validate.
import { z } from 'zod';
import { Probe, Step } from '../probes';
import { Sink } from '../sinks';
import { isDuration, parseDuration } from './duration';
import { DECISIONS, type DecisionName } from './decisions';
import { Duration, EnvName, Id } from './fields';

export { DECISIONS, Duration, Probe, Sink, Step };
export type { DecisionName };

export const Decision = z.enum(DECISIONS, {
  error: (iss) => `unknown decision "${String(iss.input)}" (one of ${DECISIONS.join(', ')})`,
});

export const OUTCOMES = ['ok', 'warn', 'fail'] as const;

// ---- checks and tiers ---------------------------------------------------------------------

/** A string must hold for ok; the object form adds a looser band that only warns. */
export const Condition = z.union([
  z.string().min(1),
  z.strictObject({
    name: z.string().optional(),
    pass: z.string().min(1),
    warn: z.string().min(1).optional(),
    /** Severity of an incident opened by this condition, when it differs from the check's. */
    severity: z.string().optional(),
  }),
]);

export const Check = z.strictObject({
  /** What it checks, in words (default: the check's name). */
  description: z.string().min(1).optional().describe("What the check checks, in words (default: the check's name)"),
  /** Severity of the incident its failure opens (default: the plan's only severity, or `high` with the built-in set). */
  severity: z
    .string()
    .optional()
    .describe("Severity of the incident its failure opens; default: the plan's only severity, or high with the built-in set"),
  /** Free-form grouping for criteria and reports, e.g. availability, performance, security. */
  category: Id.default('general').describe(
    'A group for criteria (no-incidents by category) and reports, e.g. availability, performance, security',
  ),
  probe: Probe,
  conditions: z.array(Condition).min(1),
  /** Failed runs in a row before the check counts as failing (Gatus' failure-threshold). */
  failAfter: z.number().int().min(1).default(1),
  /** Passing runs in a row before a failing check counts as healthy again. */
  recoverAfter: z.number().int().min(1).default(2),
  /** Record only: never opens an incident or fails a criterion. */
  dryRun: z.boolean().default(false),
  /** A condition-language value whose number is spent against the daily budget. */
  cost: z.string().optional(),
  /** The value charted for this check (e.g. "[RESPONSE_TIME]"). */
  metric: z.string().optional(),
  /** Checks run for evidence when this one opens an incident. */
  investigate: z.array(z.string()).default([]),
});

export const Tier = z
  .strictObject({
    description: z.string().optional(),
    every: Duration.optional(),
    from: Duration.default('0h'),
    to: Duration.optional(),
    at: z.array(Duration).optional(),
    checks: z.array(z.string()).min(1),
    /** A run of this tier writes the daily report. */
    report: z.boolean().default(false),
  })
  .refine((t) => (t.every === undefined) !== (t.at === undefined), {
    error: 'a tier has either `every` (with from/to) or `at`, not both',
  });

// ---- people -------------------------------------------------------------------------------

export const Person = z.strictObject({
  name: z.string().min(1),
  handle: z.string().optional(),
  role: z.string().optional(),
  /** Ed25519 public key (hex) for signed approvals. */
  publicKey: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { error: 'a 32-byte Ed25519 public key in hex' })
    .optional(),
  /** Slack user ID (U… or W…): mentions ping it, and button clicks by it are this person's. */
  slack: z
    .string()
    .regex(/^[UW][A-Z0-9]{2,20}$/, { error: 'a Slack user ID such as U024BE7LH' })
    .optional(),
  /** PagerDuty user ID: acknowledgements and resolutions in PagerDuty by it are this person's. */
  pagerduty: z
    .string()
    .regex(/^P[A-Z0-9]{5,20}$/, { error: 'a PagerDuty user ID such as PXPGF42' })
    .optional(),
});

/**
 * A relay the plan trusts to sign answers for some of its people: `serve` holds the relay's secret key
 * and signs a click it verified (Slack's signature, PagerDuty's) on that person's behalf. Keyed by the
 * channel the answers come through, which is also the answer's `via`.
 */
export const Relay = z.strictObject({
  /** Ed25519 public key (hex) of the relay's key, held by `serve` (RELEASE_WATCH_RELAY_KEY_FILE). */
  publicKey: z.string().regex(/^[0-9a-f]{64}$/, { error: 'a 32-byte Ed25519 public key in hex' }),
  /** The people it may answer for; nobody else. */
  people: z.array(Id).min(1),
});

/** A handoff on the wall clock: from `at` (HH:MM in the rotation's zone) every day, these people are on call. */
export const RotationHandoff = z.strictObject({
  at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'a time of day as HH:MM, e.g. 09:00' }),
  primary: z.string(),
  backup: z.string(),
  escalation: z.string(),
});

export const RotationWindow = z.strictObject({
  name: z.string().min(1),
  from: Duration,
  to: Duration,
  primary: z.string(),
  backup: z.string(),
  escalation: z.string(),
});

/** A response deadline: zero would page the whole chain at once, again every millisecond. */
const Deadline = Duration.refine((d) => !isDuration(d) || parseDuration(d) > 0, {
  error: 'must be longer than zero: it is a response deadline',
});

export const PAGERDUTY_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;

export const Severity = z.strictObject({
  meaning: z.string().min(1),
  ack: Deadline.describe('Time to acknowledge an incident of this severity (watch time), e.g. 15m'),
  /** An acknowledged incident not resolved within this goes back to the escalation chain. */
  resolve: Deadline.describe('Time to resolve once acknowledged (watch time); past it the incident goes back to the chain'),
  /** The PagerDuty event severity: needed only with a PagerDuty sink. */
  pagerduty: z.enum(PAGERDUTY_SEVERITIES).optional().describe('The PagerDuty event severity; needed only with a PagerDuty sink'),
});

/** Severities for a plan that names none: the seed protocol's response times, most severe first. */
export const DEFAULT_SEVERITIES: Record<string, z.output<typeof Severity>> = {
  critical: { meaning: 'Service down or data at risk', ack: '15m', resolve: '1h', pagerduty: 'critical' },
  high: { meaning: 'Major function impaired', ack: '30m', resolve: '2h', pagerduty: 'error' },
  medium: { meaning: 'Degraded', ack: '1h', resolve: '4h', pagerduty: 'warning' },
  low: { meaning: 'Minor', ack: '4h', resolve: '24h', pagerduty: 'info' },
};

export const Trigger = z
  .strictObject({
    name: Id,
    description: z.string().min(1),
    check: z.string().optional(),
    /** A condition over the check's values; the trigger fires when it holds. */
    when: z.string().optional(),
    /** Fires only when seen in at least this many runs of the watch day (scheduled triggers). */
    atLeast: z.number().int().min(1).default(1),
    /** Severity of the incident an immediate trigger opens (default: its check's). */
    severity: z.string().optional(),
    /** Category of that incident (default: its check's), e.g. security. */
    category: z.string().optional(),
    /** Not a trigger while an approved request for this lever exists in the watch. */
    unlessLever: Id.optional(),
    /** Fires when the day's spend passes the budget. */
    budget: z.boolean().default(false),
  })
  .refine((t) => t.budget || (t.check !== undefined && t.when !== undefined), {
    error: 'a trigger needs `check` and `when`, or `budget: true`',
  });

// ---- checkpoints --------------------------------------------------------------------------

const CriterionBase = { name: z.string().min(1) };
export const Criterion = z.discriminatedUnion('kind', [
  z.strictObject({ ...CriterionBase, kind: z.literal('tier-passed'), tier: z.string(), allowWarn: z.boolean().default(true) }),
  z.strictObject({
    ...CriterionBase,
    kind: z.literal('checks-passed'),
    checks: z.array(z.string()).min(1),
    allowWarn: z.boolean().default(true),
  }),
  z.strictObject({ ...CriterionBase, kind: z.literal('no-incidents'), severity: z.string().optional(), category: z.string().optional() }),
  z.strictObject({ ...CriterionBase, kind: z.literal('report-written') }),
  z.strictObject({ ...CriterionBase, kind: z.literal('budget-held') }),
  z.strictObject({ ...CriterionBase, kind: z.literal('incidents-documented') }),
  z.strictObject({ ...CriterionBase, kind: z.literal('note-given') }),
]);

export const Checkpoint = z.strictObject({
  name: Id,
  title: z.string().optional(),
  at: Duration,
  criteria: z.array(Criterion).default([]),
  decisions: z.array(Decision).min(1),
  deciders: z.array(z.string()).min(1),
  /** Unanswered this long after opening: escalate, then again every `deadline` while it waits. */
  deadline: Duration.default('2h'),
  /** Decisions refused while any criterion is unmet. */
  gated: z.array(Decision).default([]),
});

// ---- levers, budget, notifications ---------------------------------------------------------

export const Lever = z.strictObject({
  description: z.string().min(1),
  steps: z.array(Step).min(1),
  /** Re-run after the lever to confirm its effect. */
  verify: z.string().optional(),
  approval: z
    .strictObject({
      required: z.boolean().default(false),
      approvers: z.array(z.string()).default([]),
      within: Duration.default('30m'),
    })
    .default({ required: false, approvers: [], within: '30m' }),
  requesters: z.array(z.string()).optional(),
  /** The watch may pull this lever by itself while any of these checks is failing, at most `max` times. */
  automatic: z
    .strictObject({
      whenFailing: z.array(z.string()).min(1),
      /** Only when the failure is of this severity (e.g. critical: services down, not merely slow). */
      severity: z.string().optional(),
      max: z.number().int().min(0).default(1),
    })
    .optional(),
});

export const Var = z.strictObject({
  /** Without a default, the var is required from the worker's environment (`env`): the worker refuses to start without it. */
  default: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
  /** The worker's environment variable that overrides the default (a list var splits on spaces). */
  env: EnvName.optional(),
  description: z.string().optional(),
});

export const PlanSchema = z.strictObject({
  version: z.literal(1, { error: 'version must be 1' }),
  /** The plan's name (default: the service's). */
  name: Id.optional().describe("The plan's name (default: the service's)"),
  service: Id.describe('The service this plan watches: a watch is started for a release of it'),
  description: z.string().optional(),
  profile: z.enum(['dev', 'prod']).default('prod'),
  signedApprovals: z.boolean().optional(),
  clock: z
    .strictObject({
      /** Real length of one watch hour: 1h in production, seconds in demos and tests. */
      hour: Duration.default('1h').describe('Real length of one watch hour: 1h in production, seconds in demos and tests'),
      /** Length of the watch in watch hours. */
      duration: Duration.default('48h').describe('Length of the watch, in watch hours'),
    })
    .default({ hour: '1h', duration: '48h' }),
  vars: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/), Var).default({}),
  people: z.record(Id, Person).refine((p) => Object.keys(p).length > 0, { error: 'at least one person' }),
  /** Relays trusted to sign answers from Slack or PagerDuty for the people listed (plans with signed approvals). */
  relays: z
    .strictObject({ slack: Relay.optional(), pagerduty: Relay.optional() })
    .optional()
    .describe('Relays trusted to sign answers that come from Slack or PagerDuty, for the people listed (see docs/chat.md)'),
  /** Who is on call when; may be left out when the plan has one person (on call for the whole watch). */
  rotation: z
    .strictObject({
      /** Watch-relative windows (hours from the deploy); or `zone` and `handoffs` on the wall clock. */
      windows: z.array(RotationWindow).min(1).optional(),
      /** An IANA time zone the handoffs are in, e.g. Europe/Berlin (daylight saving followed). */
      zone: z.string().min(1).optional(),
      handoffs: z.array(RotationHandoff).min(1).optional(),
      /** Times the whole chain (primary, backup, escalation) repeats before the incident stays with escalation. */
      loops: z.number().int().min(1).default(2),
    })
    .refine((r) => (r.windows === undefined) !== (r.handoffs === undefined), {
      error: 'a rotation has either `windows` (hours from the deploy) or `zone` with `handoffs` (wall-clock times), not both',
    })
    .refine((r) => (r.handoffs === undefined) === (r.zone === undefined), {
      error: 'wall-clock `handoffs` need a `zone` (e.g. Europe/Berlin)',
    })
    .optional()
    .describe('Who is on call when; may be left out when the plan has one person'),
  /** Incident severities, most severe first (default: critical, high, medium, low with the seed protocol's times). */
  severities: z
    .record(Id, Severity)
    .optional()
    .describe('Incident severities, most severe first; default: critical 15m, high 30m, medium 1h, low 4h to acknowledge'),
  escalation: z
    .strictObject({ immediate: z.array(Trigger).default([]), scheduled: z.array(Trigger).default([]) })
    .default({ immediate: [], scheduled: [] }),
  checks: z.record(Id, Check),
  tiers: z.record(Id, Tier),
  checkpoints: z.array(Checkpoint).default([]),
  monitoring: z
    .strictObject({
      /** Cadence per tier after a reduce-monitoring decision. */
      reduced: z.record(z.string(), Duration).default({}),
      /** Watch hours added by an extend decision. */
      extendBy: Duration.default('24h'),
    })
    .default({ reduced: {}, extendBy: '24h' }),
  /** Emergency levers by name (any the team has: kill-switch, feature-flag-off ...); `rollback` is also what a rollback decision pulls. */
  levers: z.record(Id, Lever).default({}),
  budget: z.strictObject({ daily: z.number().nonnegative(), currency: z.string().default('USD') }).optional(),
  notify: z
    .strictObject({ sinks: z.array(Sink).default([{ kind: 'console' }]), reportsDir: z.string().default('reports') })
    .default({ sinks: [{ kind: 'console' }], reportsDir: 'reports' }),
});

/** A plan as written, parsed: some parts still left to their defaults (see plan/normalize.ts). */
export type RawPlan = z.output<typeof PlanSchema>;
export type PlanInput = z.input<typeof PlanSchema>;
/** A check with its defaults filled in. */
export type CheckSpec = Omit<z.output<typeof Check>, 'description' | 'severity'> & { description: string; severity: string };
export type SeveritySpec = z.output<typeof Severity>;
export type RotationSpec = NonNullable<RawPlan['rotation']>;
/** The plan the engine runs: every default filled in (the plan's only person on call, the built-in severities ...). */
export type Plan = Omit<RawPlan, 'name' | 'checks' | 'rotation' | 'severities'> & {
  name: string;
  checks: Record<string, CheckSpec>;
  /** Always as windows: wall-clock handoffs are turned into windows from the deploy (plan/rotation-clock.ts). */
  rotation: RotationSpec & { windows: Array<z.output<typeof RotationWindow>> };
  severities: Record<string, SeveritySpec>;
};
export type ProbeSpec = z.output<typeof Probe>;
export type StepSpec = z.output<typeof Step>;
export type ConditionSpec = z.output<typeof Condition>;
export type TierSpec = z.output<typeof Tier>;
export type CheckpointSpec = z.output<typeof Checkpoint>;
export type CriterionSpec = z.output<typeof Criterion>;
export type TriggerSpec = z.output<typeof Trigger>;
export type LeverSpec = z.output<typeof Lever>;
export type SinkSpec = z.output<typeof Sink>;
export type LeverId = string;
export type Outcome = (typeof OUTCOMES)[number];
