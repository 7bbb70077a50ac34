// The decisions a checkpoint may offer: a plan names some of these, the CLI offers them.
export const DECISIONS = ['continue', 'escalate', 'reduce-monitoring', 'extend', 'release', 'rollback'] as const;
export type DecisionName = (typeof DECISIONS)[number];
