// Everything the schema alone cannot see: names that must point at something defined, placeholders a
// check's probe kind offers, patterns a log check declares, severities an incident can get, keys a
// signed plan needs. Each unknown name comes with the closest defined one, when there is one.
import { conditionError, placeholdersRead, type PlaceholderScope } from '../core/conditions';
import { signaturesRequired, validPublicKey } from '../core/signatures';
import { didYouMean } from '../core/suggest';
import { placeholderScope } from '../probes';
import { zoneProblem } from './wallclock';
import { parseDuration, watchHours } from './duration';
import type { PlanError } from './issues';
import { defaultSeverity } from './normalize';
import { DEFAULT_SEVERITIES, PAGERDUTY_SEVERITIES, type RawPlan } from './schema';

/**
 * Everything the schema alone cannot see: names that must point at something defined.
 * Also run on a plan that failed the schema (see referenceErrorsOfInvalid), so nothing here may
 * assume the plan's shape: each check is guarded, and a malformed part only skips the checks
 * that need it (a name set that cannot be read skips the references into it).
 */
export function referenceErrors(plan: RawPlan): PlanError[] {
  const errors: PlanError[] = [];
  const err = (path: string, message: string, near?: string) => errors.push({ path, message, ...(near ? { near } : {}) });
  const people = keySet(plan.people);
  const checks = keySet(plan.checks);
  const tiers = keySet(plan.tiers);
  const severities = keySet(plan.severities ?? DEFAULT_SEVERITIES);
  const levers = keySet(plan.levers);
  const vars = keySet(plan.vars);
  const length = attempt(() => watchHours(plan.clock.duration));
  const known = (what: string, names: Set<string> | undefined) => (path: string, id: string) =>
    !names || names.has(id) || err(path, `unknown ${what} "${id}"${didYouMean(id, names)}`);
  const person = known('person', people);
  const check = known('check', checks);
  const severity = known('severity', severities);
  const unknownVars = (path: string, value: unknown, allowed: (name: string) => boolean = () => false) => {
    if (!vars) return;
    for (const v of varRefs(JSON.stringify(value) ?? '')) {
      if (!vars.has(v) && !allowed(v)) err(path, `unknown var "\${${v}}"${didYouMean(v, vars, (s) => `"\${${s}}"`)}`);
    }
  };
  const guard = (fn: () => void) => void attempt(fn);

  guard(() => {
    if (parseDuration(plan.clock.hour) <= 0) err('clock.hour', 'must be longer than 0');
  });
  if (length !== undefined && length <= 0) err('clock.duration', 'must be longer than 0');

  for (const [id, c] of entriesOf(plan.checks)) {
    const at = `checks.${id}`;
    const kind = guardedProbeKind(c);
    guard(() => {
      if (c.severity !== undefined) severity(`${at}.severity`, c.severity);
      else if (defaultSeverity(plan) === undefined)
        err(
          `${at}.severity`,
          `required: the plan has several severities (${[...(severities ?? [])].join(', ')}); say which this check's failure is`,
        );
    });
    guard(() =>
      c.conditions.forEach((cond, i) => {
        guard(() => {
          const exprs = typeof cond === 'string' ? { '': cond } : { '.pass': cond.pass, ...(cond.warn ? { '.warn': cond.warn } : {}) };
          for (const [suffix, expr] of Object.entries(exprs)) {
            const message = kind && (conditionError(expr, kind) ?? fitsProbe(c, expr));
            if (message) err(`${at}.conditions[${i}]${suffix}`, message);
          }
        });
        guard(() => {
          if (typeof cond !== 'string' && cond.severity) severity(`${at}.conditions[${i}].severity`, cond.severity);
        });
      }),
    );
    for (const key of ['cost', 'metric'] as const) {
      guard(() => {
        const expr = c[key];
        const message = expr === undefined || !kind ? undefined : (conditionError(expr, kind) ?? fitsProbe(c, expr));
        if (message) err(`${at}.${key}`, message);
      });
    }
    guard(() => c.investigate.forEach((ref, i) => check(`${at}.investigate[${i}]`, ref)));
    guard(() => unknownVars(`${at}.probe`, c.probe));
  }

  for (const [id, t] of entriesOf(plan.tiers)) {
    guard(() => t.checks.forEach((ref, i) => check(`tiers.${id}.checks[${i}]`, ref)));
    guard(() => {
      for (const h of [t.from, t.to, ...(t.at ?? [])]) {
        guard(() => {
          if (h !== undefined && length !== undefined && watchHours(h) > length)
            err(`tiers.${id}`, `hour ${h} is past the watch's end (${plan.clock.duration})`);
        });
      }
    });
    guard(() => {
      if (t.every && parseDuration(t.every) <= 0) err(`tiers.${id}.every`, 'must be longer than 0');
      else if (t.every && !Number.isInteger(watchHours(t.every)))
        err(`tiers.${id}.every`, `${t.every}: tiers run on whole watch hours (1h, 4h ...); for more often, make clock.hour shorter`);
    });
    guard(() =>
      [t.from, t.to, ...(t.at ?? [])].forEach((h) => {
        if (h !== undefined && !Number.isInteger(watchHours(h))) err(`tiers.${id}`, `${h}: tiers run on whole watch hours`);
      }),
    );
  }

  guard(() => {
    if (plan.rotation === undefined && people && people.size > 1)
      err('rotation', `required: the plan has ${people.size} people; say who is on call when (rotation.windows)`, 'people');
  });
  guard(() => {
    const r = plan.rotation;
    if (!r?.handoffs) return;
    if (r.zone !== undefined) {
      const problem = zoneProblem(r.zone);
      if (problem) err('rotation.zone', problem);
    }
    r.handoffs.forEach((h, i) => {
      for (const role of ['primary', 'backup', 'escalation'] as const) guard(() => person(`rotation.handoffs[${i}].${role}`, h[role]));
    });
    const times = r.handoffs.map((h) => h.at);
    const twice = times.find((t, i) => times.indexOf(t) !== i);
    if (twice) err('rotation.handoffs', `two handoffs at ${twice}: say who takes over once`);
  });
  guard(() =>
    plan.rotation?.windows?.forEach((w, i) => {
      for (const role of ['primary', 'backup', 'escalation'] as const) guard(() => person(`rotation.windows[${i}].${role}`, w[role]));
      guard(() => {
        if (watchHours(w.to) <= watchHours(w.from)) err(`rotation.windows[${i}]`, `ends (${w.to}) before it starts (${w.from})`);
      });
    }),
  );
  guard(() => {
    if (length === undefined || !plan.rotation?.windows) return;
    const covered = coverageGap(
      plan.rotation.windows.map((w) => [watchHours(w.from), watchHours(w.to)]),
      length,
    );
    if (covered) err('rotation.windows', covered);
  });

  for (const kind of ['immediate', 'scheduled'] as const) {
    guard(() =>
      plan.escalation[kind].forEach((t, i) => {
        const at = `escalation.${kind}[${i}]`;
        guard(() => {
          if (t.check) check(`${at}.check`, t.check);
        });
        guard(() => {
          const probeKind = t.check && checks?.has(t.check) ? guardedProbeKind(plan.checks[t.check]) : undefined;
          if (t.when && probeKind) {
            const message = conditionError(t.when, probeKind) ?? (t.check ? fitsProbe(plan.checks[t.check], t.when) : undefined);
            if (message) err(`${at}.when`, message);
          }
        });
        guard(() => {
          if (t.severity) severity(`${at}.severity`, t.severity);
        });
        guard(() => {
          if (t.unlessLever && levers && !levers.has(t.unlessLever))
            err(
              `${at}.unlessLever`,
              `unknown lever "${t.unlessLever}"${didYouMean(t.unlessLever, levers)} (levers: ${[...levers].join(', ') || 'none'})`,
            );
        });
        guard(() => {
          if (t.budget && !plan.budget) err(`${at}.budget`, 'the plan has no budget');
        });
      }),
    );
  }

  const names = new Set<string>();
  guard(() =>
    plan.checkpoints.forEach((cp, i) => {
      const at = `checkpoints[${i}]`;
      guard(() => {
        if (names.has(cp.name)) err(`${at}.name`, `duplicate checkpoint "${cp.name}"`);
        names.add(cp.name);
      });
      guard(() => {
        if (length !== undefined && watchHours(cp.at) > length)
          err(`${at}.at`, `${cp.at} is past the watch's end (${plan.clock.duration})`);
      });
      guard(() => cp.deciders.forEach((p, j) => person(`${at}.deciders[${j}]`, p)));
      guard(() =>
        cp.gated.forEach((d, j) => cp.decisions.includes(d) || err(`${at}.gated[${j}]`, `"${d}" is not among this checkpoint's decisions`)),
      );
      guard(() =>
        cp.criteria.forEach((c, j) =>
          guard(() => {
            const cat = `${at}.criteria[${j}]`;
            if (c.kind === 'tier-passed' && tiers && !tiers.has(c.tier))
              err(`${cat}.tier`, `unknown tier "${c.tier}"${didYouMean(c.tier, tiers)}`);
            if (c.kind === 'checks-passed') c.checks.forEach((ref, k) => check(`${cat}.checks[${k}]`, ref));
            if (c.kind === 'no-incidents' && c.severity) severity(`${cat}.severity`, c.severity);
            if (c.kind === 'budget-held' && !plan.budget) err(cat, 'the plan has no budget');
          }),
        ),
      );
    }),
  );

  for (const [tier, cadence] of entriesOf(plan.monitoring?.reduced)) {
    guard(() => {
      if (tiers && !tiers.has(tier)) err(`monitoring.reduced.${tier}`, `unknown tier "${tier}"${didYouMean(tier, tiers)}`);
      else if (parseDuration(cadence) <= 0) err(`monitoring.reduced.${tier}`, 'must be longer than 0');
    });
  }

  for (const [name, lever] of entriesOf(plan.levers)) {
    if (!lever) continue;
    const at = `levers.${name}`;
    guard(() => {
      if (lever.verify) check(`${at}.verify`, lever.verify);
    });
    guard(() => lever.approval.approvers.forEach((p, i) => person(`${at}.approval.approvers[${i}]`, p)));
    guard(() => lever.requesters?.forEach((p, i) => person(`${at}.requesters[${i}]`, p)));
    guard(() => {
      if (lever.approval.required && lever.approval.approvers.length === 0)
        err(`${at}.approval.approvers`, 'a lever that needs approval needs approvers');
    });
    guard(() => lever.automatic?.whenFailing.forEach((ref, i) => check(`${at}.automatic.whenFailing[${i}]`, ref)));
    guard(() => {
      const autoSeverity = lever.automatic?.severity;
      if (autoSeverity) severity(`${at}.automatic.severity`, autoSeverity);
    });
    guard(() => unknownVars(`${at}.steps`, lever.steps, (v) => RELEASE_VARS.has(v)));
  }
  guard(() => {
    for (const d of plan.checkpoints.flatMap((c) => c.decisions)) {
      if (d === 'reduce-monitoring' && Object.keys(plan.monitoring.reduced).length === 0) {
        err('monitoring.reduced', 'a checkpoint offers reduce-monitoring but no reduced cadence is set');
        break;
      }
    }
  });
  guard(() => {
    const pagerDuty = plan.notify.sinks.some((sink) => sink.kind === 'pagerduty');
    if (!pagerDuty || !plan.severities) return;
    for (const [name, sev] of Object.entries(plan.severities)) {
      if (!sev.pagerduty)
        err(
          `severities.${name}.pagerduty`,
          `required with a PagerDuty sink: the event severity to send (one of ${PAGERDUTY_SEVERITIES.join(', ')})`,
        );
    }
  });
  guard(() => {
    for (const [name, v] of entriesOf(plan.vars))
      if (v.default === undefined && v.env === undefined) err(`vars.${name}`, 'needs a default, or the env variable to read it from');
  });
  guard(() => plan.notify.sinks.forEach((sink, i) => unknownVars(`notify.sinks[${i}]`, sink)));
  guard(() => unknownVars('notify.reportsDir', plan.notify.reportsDir));
  const relayed = new Set<string>();
  for (const [channel, relay] of entriesOf(plan.relays)) {
    guard(() => {
      if (!validPublicKey(relay.publicKey)) err(`relays.${channel}.publicKey`, 'not a point on the Ed25519 curve');
    });
    guard(() =>
      relay.people.forEach((id, i) => {
        person(`relays.${channel}.people[${i}]`, id);
        relayed.add(id);
      }),
    );
  }
  if (signaturesRequired(plan)) {
    const why = plan.signedApprovals ? 'signedApprovals is on' : 'a prod profile signs approvals';
    for (const [id, p] of entriesOf(plan.people)) {
      guard(() => {
        // Someone a relay answers for signs nothing themselves; a key of their own is then optional.
        if (!p.publicKey && relayed.has(id)) return;
        if (!p.publicKey)
          err(
            `people.${id}.publicKey`,
            `${why}: every person needs a public key (make one with \`release-watch keygen\`, or set signedApprovals: false)`,
          );
        else if (!validPublicKey(p.publicKey)) err(`people.${id}.publicKey`, 'not a point on the Ed25519 curve');
      });
    }
  }
  return errors;
}

/**
 * A log check's condition that reads `[LOG].patterns.NAME` for a pattern its probe does not declare:
 * it would always be missing data, failing every run.
 */
/** What an expression reads that this check's probe, as written, does not give. */
function fitsProbe(c: unknown, expr: string): string | undefined {
  return unknownPattern(c, expr) ?? missingBaseline(c, expr);
}

/** [BASELINE] is there only when the probe says which window before the deploy to take it from. */
function missingBaseline(c: unknown, expr: string): string | undefined {
  const probe = isObject(c) && isObject(c.probe) ? c.probe : undefined;
  if (probe?.kind !== 'prometheus' || probe.baseline !== undefined) return undefined;
  if (!placeholdersRead(expr).some((u) => u.name === 'BASELINE')) return undefined;
  return '[BASELINE] needs probe.baseline (e.g. `baseline: { window: 1h }`: the same query over the hour before the deploy)';
}

function unknownPattern(c: unknown, expr: string): string | undefined {
  const probe = isObject(c) && isObject(c.probe) ? c.probe : undefined;
  if (probe?.kind !== 'log' || !isObject(probe.classes)) return undefined;
  const declared = new Set(
    Object.values(probe.classes).flatMap((patterns) =>
      Array.isArray(patterns) ? patterns.map((p) => (isObject(p) ? String(p.name) : '')) : [],
    ),
  );
  for (const use of placeholdersRead(expr)) {
    if (use.name !== 'LOG' || use.path[0] !== 'patterns' || use.path[1] === undefined || declared.has(use.path[1])) continue;
    return `unknown pattern "${use.path[1]}"${didYouMean(use.path[1], declared)} in [LOG].patterns (this check's patterns: ${[...declared].join(', ') || 'none'})`;
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The names defined in a section of the plan, or undefined when the section is not a map (nothing to check against). */
function keySet(section: unknown): Set<string> | undefined {
  return isObject(section) ? new Set(Object.keys(section)) : undefined;
}

/** A map section's entries; none when it is not a map. */
function entriesOf<T>(section: Record<string, T> | Partial<Record<string, T>> | undefined): Array<[string, T]> {
  return isObject(section) ? (Object.entries(section) as Array<[string, T]>) : [];
}

/**
 * What the conditions of a check may read: its probe kind's placeholders. Undefined only when the
 * probe kind is not one of the registered kinds, which the schema has already reported.
 */
function guardedProbeKind(c: unknown): PlaceholderScope | undefined {
  const kind = isObject(c) && isObject(c.probe) ? c.probe.kind : undefined;
  return typeof kind === 'string' ? placeholderScope(kind) : undefined;
}

/** Values of the release a lever step may use, e.g. `${release.commit}` in a rollback. */
export const RELEASE_VARS = new Set(['release.commit', 'release.version', 'release.service']);

export function varRefs(text: string): string[] {
  return [...text.matchAll(/\$\{([a-zA-Z][a-zA-Z0-9_.]*)\}/g)].map((m) => m[1]);
}

/** A gap or overlap in the rotation windows across the watch, or undefined. */
function coverageGap(windows: Array<[number, number]>, length: number): string | undefined {
  const sorted = [...windows].sort((a, b) => a[0] - b[0]);
  let reach = 0;
  for (const [from, to] of sorted) {
    if (from > reach) return `nobody is on call from ${reach}h to ${from}h`;
    if (from < reach) return `windows overlap at ${from}h`;
    reach = to;
  }
  return reach < length ? `nobody is on call from ${reach}h to the end (${length}h)` : undefined;
}

export function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
