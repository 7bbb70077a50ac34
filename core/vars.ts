// `${name}` references in probes and lever steps: plan vars (overridable from the worker's
// environment) and the release's fields, the latter checked against strict patterns first.
// Pure: the caller passes the environment.
import type { Plan } from '../plan/schema';
import type { Release } from './messages';

export type PlanVars = Plan['vars'];
export type Env = Record<string, string | undefined>;

export class VarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VarError';
  }
}

const REFERENCE = /\$\{([^}]*)\}/g;
const WHOLE_REFERENCE = /^\$\{([^}]*)\}$/;
const VAR_NAME = /^[a-zA-Z][a-zA-Z0-9_]*$/;

const RELEASE_FIELDS: Record<string, { pattern: RegExp; expected: string }> = {
  commit: { pattern: /^[0-9a-fA-F]{7,40}$/, expected: 'a hex commit SHA of 7 to 40 characters' },
  version: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    expected: 'a plain tag (letters, digits, ".", "_", "-"; at most 64 characters)',
  },
  service: { pattern: /^[a-z0-9][a-z0-9-]*$/, expected: 'lower-case letters, digits and dashes' },
};

/** argv with every reference replaced; a list var standing alone as an item becomes several items. */
export function resolveArgv(argv: readonly string[], vars: PlanVars, env: Env, release: Release): string[] {
  return argv.flatMap((item) => {
    const whole = WHOLE_REFERENCE.exec(item);
    if (!whole) return [resolveText(item, vars, env, release)];
    const value = referenceValue(whole[1], vars, env, release);
    return Array.isArray(value) ? value : [value];
  });
}

/** Text with every reference replaced; a list var joins with spaces. */
export function resolveText(text: string, vars: PlanVars, env: Env, release: Release): string {
  return text.replace(REFERENCE, (_, name: string) => {
    const value = referenceValue(name, vars, env, release);
    return Array.isArray(value) ? value.join(' ') : value;
  });
}

/**
 * Text of a part of the plan that has no release (a sink's path, the reports folder): plan vars only.
 */
export function resolvePlanText(text: string, vars: PlanVars, env: Env): string {
  return text.replace(REFERENCE, (_, name: string) => {
    if (name.startsWith('release.')) throw new VarError(`\${${name}} is not known here: a release's fields are for probes and levers`);
    const value = referenceValue(name, vars, env, NO_RELEASE);
    return Array.isArray(value) ? value.join(' ') : value;
  });
}

const NO_RELEASE: Release = { service: '', version: '', deployedAt: '' };

/** Every string inside a JSON-like value (an HTTP body, headers) resolved as text. */
export function resolveDeep(value: unknown, vars: PlanVars, env: Env, release: Release): unknown {
  if (typeof value === 'string') return resolveText(value, vars, env, release);
  if (Array.isArray(value)) return value.map((item) => resolveDeep(item, vars, env, release));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveDeep(v, vars, env, release)]));
  }
  return value;
}

function referenceValue(name: string, vars: PlanVars, env: Env, release: Release): string | string[] {
  if (name.startsWith('release.')) return releaseValue(name.slice('release.'.length), release);
  if (!VAR_NAME.test(name) || !Object.prototype.hasOwnProperty.call(vars, name)) {
    throw new VarError(`unknown var "\${${name}}"`);
  }
  return varValue(name, vars[name], env);
}

/** The environment's value when its variable is set and not empty, else the plan's default. */
function varValue(name: string, v: PlanVars[string], env: Env): string | string[] {
  const fromEnv = v.env === undefined ? undefined : env[v.env];
  if (fromEnv === undefined || fromEnv.trim() === '') {
    if (v.default === undefined)
      throw new VarError(`var "\${${name}}" needs ${v.env ?? 'its environment variable'}, which is not set on this worker`);
    return v.default;
  }
  return Array.isArray(v.default) ? fromEnv.trim().split(/\s+/) : fromEnv;
}

/** The vars of a plan that must come from the worker's environment (no default) and are not set there. */
export function missingVars(vars: PlanVars, env: Env): Array<{ name: string; env: string }> {
  return Object.entries(vars)
    .filter(([, v]) => v.default === undefined && v.env !== undefined && !env[v.env]?.trim())
    .map(([name, v]) => ({ name, env: v.env! }));
}

function releaseValue(field: string, release: Release): string {
  if (!Object.prototype.hasOwnProperty.call(RELEASE_FIELDS, field)) throw new VarError(`unknown var "\${release.${field}}"`);
  const value = (release as unknown as Record<string, unknown>)[field];
  if (value === undefined || value === '') throw new VarError(`release.${field} is not known for this release`);
  const { pattern, expected } = RELEASE_FIELDS[field];
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new VarError(`release.${field} ${JSON.stringify(String(value).slice(0, 80))} is not ${expected}`);
  }
  return value;
}
