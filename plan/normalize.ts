// The defaults that depend on the rest of the plan, filled in once the plan is valid: a check's
// description, severity and metric (a kind's own, e.g. a prometheus probe's [VALUE]), the rotation of a plan with one person, the built-in severities, the name.
import { probeKind } from '../probes';
import { watchHours } from './duration';
import { rotationWindows } from './rotation-clock';
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
    Object.entries(raw.checks).map(([id, c]) => {
      const metric = c.metric ?? probeKind(c.probe.kind)?.defaultMetric;
      return [
        id,
        { ...c, description: c.description ?? id, severity: c.severity ?? severity!, ...(metric !== undefined ? { metric } : {}) },
      ];
    }),
  );
  // Wall-clock handoffs as windows from now; a watch's start makes them again from its deploy.
  const rotation = raw.rotation
    ? { ...raw.rotation, windows: rotationWindows(raw.rotation, raw.clock, Date.now()) }
    : {
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
