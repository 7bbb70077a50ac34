// The defaults that depend on the rest of the plan, filled in once the plan is valid: a check's
// description and severity, the rotation of a plan with one person, the built-in severities, the name.
import { watchHours } from './duration';
import { DEFAULT_SEVERITIES, type CheckSpec, type Plan, type RawPlan } from './schema';

/** The severity a check without one gets, or undefined when the plan must say (several severities). */
export function defaultSeverity(plan: Pick<RawPlan, 'severities'>): string | undefined {
  if (!plan.severities) return 'high';
  const names = Object.keys(plan.severities);
  return names.length === 1 ? names[0] : undefined;
}

export function normalizePlan(raw: RawPlan): Plan {
  const severity = defaultSeverity(raw);
  const people = Object.keys(raw.people);
  const checks: Record<string, CheckSpec> = Object.fromEntries(
    Object.entries(raw.checks).map(([id, c]) => [id, { ...c, description: c.description ?? id, severity: c.severity ?? severity! }]),
  );
  const rotation = raw.rotation ?? {
    windows: [
      {
        name: 'whole watch',
        from: '0h',
        to: `${watchHours(raw.clock.duration)}h`,
        primary: people[0],
        backup: people[0],
        escalation: people[0],
      },
    ],
    loops: 2,
  };
  return { ...raw, name: raw.name ?? raw.service, checks, rotation, severities: raw.severities ?? DEFAULT_SEVERITIES };
}
