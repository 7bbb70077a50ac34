// Loading and validating a plan: schema errors and broken references, all at once, each with its path.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { conditionError } from '../core/conditions';
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
    const base = readBase(file, input.extends, [file]);
    if ('errors' in base) return { ok: false, errors: base.errors };
    const { extends: _ignored, ...rest } = input;
    input = mergePlans(base.value, rest);
  }
  return validatePlanObject(input);
}

function parseYaml(text: string): { value: unknown } | { errors: PlanError[] } {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    return { errors: doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? 0}`, message: `YAML: ${e.message.split('\n')[0]}` })) };
  }
  return { value: doc.toJS() };
}

/** The plan a plan `extends`, itself merged with what it extends; a path is relative to the extending file. */
function readBase(file: string, ref: unknown, seen: string[]): { value: unknown } | { errors: PlanError[] } {
  if (typeof ref !== 'string') return { errors: [{ path: 'extends', message: 'must be the path of another plan' }] };
  const path = resolve(dirname(file), ref);
  if (seen.includes(path)) return { errors: [{ path: 'extends', message: `plans extend each other in a circle: ${[...seen, path].join(' → ')}` }] };
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
  if (!parsed.success) return { ok: false, errors: zodErrors(parsed.error) };
  const errors = referenceErrors(parsed.data);
  return errors.length ? { ok: false, errors } : { ok: true, plan: parsed.data };
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
  const out: PlanError[] = [];
  const visit = (issues: z.core.$ZodIssue[], prefix: PropertyKey[]) => {
    for (const issue of issues) {
      const path = [...prefix, ...issue.path];
      // A union's message alone says little; show the branch the input most likely meant.
      if (issue.code === 'invalid_union' && issue.errors.length > 0 && !issue.message.startsWith('probe.kind')) {
        const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
        visit(best, path);
        continue;
      }
      out.push({ path: formatPath(path), message: issue.message });
    }
  };
  visit(error.issues, []);
  return out;
}

/** Everything the schema alone cannot see: names that must point at something defined. */
export function referenceErrors(plan: Plan): PlanError[] {
  const errors: PlanError[] = [];
  const err = (path: string, message: string) => errors.push({ path, message });
  const people = new Set(Object.keys(plan.people));
  const checks = new Set(Object.keys(plan.checks));
  const tiers = new Set(Object.keys(plan.tiers));
  const severities = new Set(Object.keys(plan.severities));
  const levers = new Set(Object.keys(plan.levers));
  const length = watchHours(plan.clock.duration);
  const person = (path: string, id: string) => people.has(id) || err(path, `unknown person "${id}"`);
  const check = (path: string, id: string) => checks.has(id) || err(path, `unknown check "${id}"`);

  if (parseDuration(plan.clock.hour) <= 0) err('clock.hour', 'must be longer than 0');
  if (length <= 0) err('clock.duration', 'must be longer than 0');

  for (const [id, c] of Object.entries(plan.checks)) {
    const at = `checks.${id}`;
    if (!severities.has(c.severity)) err(`${at}.severity`, `unknown severity "${c.severity}"`);
    c.conditions.forEach((cond, i) => {
      const exprs = typeof cond === 'string' ? { '': cond } : { '.pass': cond.pass, ...(cond.warn ? { '.warn': cond.warn } : {}) };
      for (const [suffix, expr] of Object.entries(exprs)) {
        const message = conditionError(expr, c.probe.kind);
        if (message) err(`${at}.conditions[${i}]${suffix}`, message);
      }
      if (typeof cond !== 'string' && cond.severity && !severities.has(cond.severity)) {
        err(`${at}.conditions[${i}].severity`, `unknown severity "${cond.severity}"`);
      }
    });
    for (const key of ['cost', 'metric'] as const) {
      const expr = c[key];
      const message = expr === undefined ? undefined : conditionError(expr, c.probe.kind);
      if (message) err(`${at}.${key}`, message);
    }
    c.investigate.forEach((ref, i) => check(`${at}.investigate[${i}]`, ref));
    for (const v of varRefs(JSON.stringify(c.probe))) {
      if (!(v in plan.vars)) err(`${at}.probe`, `unknown var "\${${v}}"`);
    }
  }

  for (const [id, t] of Object.entries(plan.tiers)) {
    t.checks.forEach((ref, i) => check(`tiers.${id}.checks[${i}]`, ref));
    for (const h of [t.from, t.to, ...(t.at ?? [])]) {
      if (h !== undefined && watchHours(h) > length) err(`tiers.${id}`, `hour ${h} is past the watch's end (${plan.clock.duration})`);
    }
    if (t.every && parseDuration(t.every) <= 0) err(`tiers.${id}.every`, 'must be longer than 0');
  }

  plan.rotation.windows.forEach((w, i) => {
    for (const role of ['primary', 'backup', 'escalation'] as const) person(`rotation.windows[${i}].${role}`, w[role]);
    if (watchHours(w.to) <= watchHours(w.from)) err(`rotation.windows[${i}]`, `ends (${w.to}) before it starts (${w.from})`);
  });
  const covered = coverageGap(plan.rotation.windows.map((w) => [watchHours(w.from), watchHours(w.to)]), length);
  if (covered) err('rotation.windows', covered);

  for (const kind of ['immediate', 'scheduled'] as const) {
    plan.escalation[kind].forEach((t, i) => {
      const at = `escalation.${kind}[${i}]`;
      if (t.check) check(`${at}.check`, t.check);
      if (t.when && t.check && checks.has(t.check)) {
        const message = conditionError(t.when, plan.checks[t.check].probe.kind);
        if (message) err(`${at}.when`, message);
      }
      if (t.unlessLever && !levers.has(t.unlessLever)) err(`${at}.unlessLever`, `unknown lever "${t.unlessLever}"`);
      if (t.budget && !plan.budget) err(`${at}.budget`, 'the plan has no budget');
    });
  }

  const names = new Set<string>();
  plan.checkpoints.forEach((cp, i) => {
    const at = `checkpoints[${i}]`;
    if (names.has(cp.name)) err(`${at}.name`, `duplicate checkpoint "${cp.name}"`);
    names.add(cp.name);
    if (watchHours(cp.at) > length) err(`${at}.at`, `${cp.at} is past the watch's end (${plan.clock.duration})`);
    cp.deciders.forEach((p, j) => person(`${at}.deciders[${j}]`, p));
    cp.gated.forEach((d, j) => cp.decisions.includes(d) || err(`${at}.gated[${j}]`, `"${d}" is not among this checkpoint's decisions`));
    cp.criteria.forEach((c, j) => {
      const cat = `${at}.criteria[${j}]`;
      if (c.kind === 'tier-passed' && !tiers.has(c.tier)) err(`${cat}.tier`, `unknown tier "${c.tier}"`);
      if (c.kind === 'checks-passed') c.checks.forEach((ref, k) => check(`${cat}.checks[${k}]`, ref));
      if (c.kind === 'no-incidents' && c.severity && !severities.has(c.severity)) err(`${cat}.severity`, `unknown severity "${c.severity}"`);
      if (c.kind === 'budget-held' && !plan.budget) err(cat, 'the plan has no budget');
    });
  });

  for (const [tier, cadence] of Object.entries(plan.monitoring.reduced)) {
    if (!tiers.has(tier)) err(`monitoring.reduced.${tier}`, `unknown tier "${tier}"`);
    else if (parseDuration(cadence) <= 0) err(`monitoring.reduced.${tier}`, 'must be longer than 0');
  }

  for (const [name, lever] of Object.entries(plan.levers)) {
    if (!lever) continue;
    const at = `levers.${name}`;
    if (lever.verify) check(`${at}.verify`, lever.verify);
    lever.approval.approvers.forEach((p, i) => person(`${at}.approval.approvers[${i}]`, p));
    lever.requesters?.forEach((p, i) => person(`${at}.requesters[${i}]`, p));
    if (lever.approval.required && lever.approval.approvers.length === 0) err(`${at}.approval.approvers`, 'a lever that needs approval needs approvers');
    lever.automatic?.whenFailing.forEach((ref, i) => check(`${at}.automatic.whenFailing[${i}]`, ref));
    const autoSeverity = lever.automatic?.severity;
    if (autoSeverity && !severities.has(autoSeverity)) err(`${at}.automatic.severity`, `unknown severity "${autoSeverity}"`);
    for (const v of varRefs(JSON.stringify(lever.steps))) {
      if (!(v in plan.vars) && !RELEASE_VARS.has(v)) err(`${at}.steps`, `unknown var "\${${v}}"`);
    }
  }
  for (const d of plan.checkpoints.flatMap((c) => c.decisions)) {
    if (d === 'reduce-monitoring' && Object.keys(plan.monitoring.reduced).length === 0) {
      err('monitoring.reduced', 'a checkpoint offers reduce-monitoring but no reduced cadence is set');
      break;
    }
  }
  if (plan.signedApprovals) {
    for (const [id, p] of Object.entries(plan.people)) if (!p.publicKey) err(`people.${id}.publicKey`, 'signedApprovals is on: every person needs a public key');
  }
  return errors;
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
