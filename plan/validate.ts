// Loading and validating a plan: schema errors and broken references, all at once, each with its path.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { conditionError, type PlaceholderScope } from '../core/conditions';
import { placeholderScope } from '../probes';
import { signaturesRequired, validPublicKey } from '../core/signatures';
import { parseDuration, watchHours } from './duration';
import { Plan, PlanSchema } from './schema';

export interface PlanError {
  path: string;
  message: string;
}

export class PlanInvalid extends Error {
  constructor(
    readonly source: string,
    readonly errors: PlanError[],
  ) {
    super(`${source}: ${errors.length} error(s)\n${errors.map(formatPlanError).join('\n')}`);
    this.name = 'PlanInvalid';
  }
}

export function formatPlanError(e: PlanError): string {
  return e.path ? `${e.path}: ${e.message}` : e.message;
}

/** `checkpoints[1].decisions[0]` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

export type ValidationResult = { ok: true; plan: Plan } | { ok: false; errors: PlanError[] };

export function validatePlanText(text: string, file?: string): ValidationResult {
  const parsed = parseYaml(text);
  if ('errors' in parsed) return { ok: false, errors: parsed.errors };
  let input = parsed.value;
  if (isObject(input) && 'extends' in input) {
    if (!file) return { ok: false, errors: [{ path: 'extends', message: 'extends works only for a plan read from a file' }] };
    const base = readBase(file, input.extends, [resolve(file)]);
    if ('errors' in base) return { ok: false, errors: base.errors };
    const { extends: _ignored, ...rest } = input;
    input = mergePlans(base.value, rest);
  }
  return validatePlanObject(input);
}

function parseYaml(text: string): { value: unknown } | { errors: PlanError[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    const line = (e: (typeof doc.errors)[number]) => e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line;
    return { errors: doc.errors.map((e) => ({ path: `line ${line(e)}`, message: `YAML: ${e.message.split('\n')[0]}` })) };
  }
  try {
    return { value: doc.toJS() };
  } catch (err) {
    // e.g. an alias bomb: the yaml library refuses to expand it, and so do we
    return { errors: [{ path: '', message: `YAML: ${(err as Error).message.split('\n')[0]}` }] };
  }
}

/** The plan a plan `extends`, itself merged with what it extends; a path is relative to the extending file. */
function readBase(file: string, ref: unknown, seen: string[]): { value: unknown } | { errors: PlanError[] } {
  if (typeof ref !== 'string') return { errors: [{ path: 'extends', message: 'must be the path of another plan' }] };
  const path = resolve(dirname(file), ref);
  if (seen.includes(path))
    return { errors: [{ path: 'extends', message: `plans extend each other in a circle: ${[...seen, path].join(' → ')}` }] };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { errors: [{ path: 'extends', message: `cannot read ${ref}: ${(err as Error).message}` }] };
  }
  const parsed = parseYaml(text);
  if ('errors' in parsed) return { errors: parsed.errors.map((e) => ({ ...e, path: `extends (${ref}) ${e.path}` })) };
  if (isObject(parsed.value) && 'extends' in parsed.value) {
    const base = readBase(path, parsed.value.extends, [...seen, path]);
    if ('errors' in base) return base;
    const { extends: _ignored, ...rest } = parsed.value;
    return { value: mergePlans(base.value, rest) };
  }
  return parsed;
}

/** Objects merge key by key; anything else (lists included) is replaced by the override. */
export function mergePlans(base: unknown, override: unknown): unknown {
  if (!isObject(base) || !isObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = k in base ? mergePlans(base[k], v) : v;
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function validatePlanObject(input: unknown): ValidationResult {
  const parsed = PlanSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: [...zodErrors(parsed.error), ...referenceErrorsOfInvalid(input, parsed.error)] };
  const errors = referenceErrors(parsed.data);
  return errors.length ? { ok: false, errors } : { ok: true, plan: parsed.data };
}

/**
 * A schema error must not hide the broken references elsewhere in the plan, so all errors come at
 * once: the reference checks run on what can be read of the input (each part that passes its own
 * schema gets its defaults), and a value the schema already refused is not reported again.
 */
function referenceErrorsOfInvalid(input: unknown, error: z.ZodError): PlanError[] {
  if (!isObject(input)) return [];
  // A value the schema refused (`deciders[0]: expected string`) is not reported again as a broken
  // reference (`unknown person "5"`). An object the schema refused for one of its keys (an unknown
  // field) still has its contents checked.
  const refused = new Set(
    zodIssues(error)
      .filter((issue) => !isObject(valueAt(input, issue.path)))
      .map((issue) => formatPath(issue.path)),
  );
  const found = attempt(() => referenceErrors(lenient(PlanSchema, input) as Plan)) ?? [];
  const seen = new Set<string>();
  return found.filter((e) => {
    const key = `${e.path}\u0000${e.message}`;
    if (refused.has(e.path) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const part of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[part];
  }
  return at;
}

/** The input with each part that passes its own schema parsed (defaults filled in), anything else as written. */
function lenient(schema: z.ZodType, value: unknown): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) return lenient(schema.unwrap() as z.ZodType, value);
  if (schema instanceof z.ZodObject && isObject(value)) {
    const out: Record<string, unknown> = { ...value };
    for (const [key, field] of Object.entries(schema.shape)) out[key] = lenient(field as z.ZodType, value[key]);
    return out;
  }
  if (schema instanceof z.ZodRecord && isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, lenient(schema.valueType as z.ZodType, item)]));
  }
  if (schema instanceof z.ZodArray && Array.isArray(value)) return value.map((item) => lenient(schema.element as z.ZodType, item));
  return value;
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

export function loadPlan(file: string): Plan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PlanInvalid(file, [{ path: '', message: `cannot read plan: ${(err as Error).message}` }]);
  }
  const result = validatePlanText(text, file);
  if (!result.ok) throw new PlanInvalid(file, result.errors);
  return result.plan;
}

function zodErrors(error: z.ZodError): PlanError[] {
  return zodIssues(error).map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

function zodIssues(error: z.ZodError): Array<{ path: PropertyKey[]; message: string }> {
  const out: Array<{ path: PropertyKey[]; message: string }> = [];
  const visit = (issues: z.core.$ZodIssue[], prefix: PropertyKey[]) => {
    for (const issue of issues) {
      const path = [...prefix, ...issue.path];
      // A union's message alone says little; show the branch the input most likely meant.
      if (issue.code === 'invalid_union' && issue.errors.length > 0 && !issue.message.startsWith('probe.kind')) {
        const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
        visit(best, path);
        continue;
      }
      // A record key refused by its own schema says why (e.g. "use lower-case letters ..."), not just that it is invalid.
      if (issue.code === 'invalid_key' && issue.issues.length > 0) {
        out.push({ path, message: issue.issues[0].message });
        continue;
      }
      out.push({ path, message: issue.message });
    }
  };
  visit(error.issues, []);
  return out;
}

/**
 * Everything the schema alone cannot see: names that must point at something defined.
 * Also run on a plan that failed the schema (see referenceErrorsOfInvalid), so nothing here may
 * assume the plan's shape: each check is guarded, and a malformed part only skips the checks
 * that need it (a name set that cannot be read skips the references into it).
 */
export function referenceErrors(plan: Plan): PlanError[] {
  const errors: PlanError[] = [];
  const err = (path: string, message: string) => errors.push({ path, message });
  const people = keySet(plan.people);
  const checks = keySet(plan.checks);
  const tiers = keySet(plan.tiers);
  const severities = keySet(plan.severities);
  const levers = keySet(plan.levers);
  const vars = keySet(plan.vars);
  const length = attempt(() => watchHours(plan.clock.duration));
  const person = (path: string, id: string) => !people || people.has(id) || err(path, `unknown person "${id}"`);
  const check = (path: string, id: string) => !checks || checks.has(id) || err(path, `unknown check "${id}"`);
  const severity = (path: string, id: string) => !severities || severities.has(id) || err(path, `unknown severity "${id}"`);
  const unknownVars = (path: string, value: unknown, allowed: (name: string) => boolean = () => false) => {
    if (!vars) return;
    for (const v of varRefs(JSON.stringify(value) ?? '')) if (!vars.has(v) && !allowed(v)) err(path, `unknown var "\${${v}}"`);
  };
  const guard = (fn: () => void) => void attempt(fn);

  guard(() => {
    if (parseDuration(plan.clock.hour) <= 0) err('clock.hour', 'must be longer than 0');
  });
  if (length !== undefined && length <= 0) err('clock.duration', 'must be longer than 0');

  for (const [id, c] of entriesOf(plan.checks)) {
    const at = `checks.${id}`;
    const kind = guardedProbeKind(c);
    guard(() => severity(`${at}.severity`, c.severity));
    guard(() =>
      c.conditions.forEach((cond, i) => {
        guard(() => {
          const exprs = typeof cond === 'string' ? { '': cond } : { '.pass': cond.pass, ...(cond.warn ? { '.warn': cond.warn } : {}) };
          for (const [suffix, expr] of Object.entries(exprs)) {
            const message = kind && conditionError(expr, kind);
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
        const message = expr === undefined || !kind ? undefined : conditionError(expr, kind);
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
    });
  }

  guard(() =>
    plan.rotation.windows.forEach((w, i) => {
      for (const role of ['primary', 'backup', 'escalation'] as const) guard(() => person(`rotation.windows[${i}].${role}`, w[role]));
      guard(() => {
        if (watchHours(w.to) <= watchHours(w.from)) err(`rotation.windows[${i}]`, `ends (${w.to}) before it starts (${w.from})`);
      });
    }),
  );
  guard(() => {
    if (length === undefined) return;
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
            const message = conditionError(t.when, probeKind);
            if (message) err(`${at}.when`, message);
          }
        });
        guard(() => {
          if (t.unlessLever && levers && !levers.has(t.unlessLever))
            err(`${at}.unlessLever`, `unknown lever "${t.unlessLever}" (levers: ${[...levers].join(', ') || 'none'})`);
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
            if (c.kind === 'tier-passed' && tiers && !tiers.has(c.tier)) err(`${cat}.tier`, `unknown tier "${c.tier}"`);
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
      if (tiers && !tiers.has(tier)) err(`monitoring.reduced.${tier}`, `unknown tier "${tier}"`);
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
  if (signaturesRequired(plan)) {
    const why = plan.signedApprovals ? 'signedApprovals is on' : 'a prod profile signs approvals';
    for (const [id, p] of entriesOf(plan.people)) {
      guard(() => {
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
