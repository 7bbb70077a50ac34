// Loading and validating a plan: schema errors and broken references, all at once, each with its path
// and its place in the file (line and column), in the plan's own words.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { formatPath, schemaErrors, schemaIssues, valueAt, type PlanError } from './issues';
import { locate, type Source } from './locate';
import { normalizePlan } from './normalize';
import { attempt, referenceErrors, RELEASE_VARS, varRefs } from './references';
import { PlanSchema, type Plan, type RawPlan } from './schema';

export { formatPath, RELEASE_VARS, varRefs };
export type { PlanError };

export class PlanInvalid extends Error {
  constructor(
    readonly source: string,
    readonly errors: PlanError[],
  ) {
    super(`${source}: ${errors.length} error(s)\n${errors.map(formatPlanError).join('\n')}`);
    this.name = 'PlanInvalid';
  }
}

/** `checks.x.severity: unknown severity "hihg"`, without the place (see formatPlanErrorAt). */
export function formatPlanError(e: PlanError): string {
  return e.path ? `${e.path}: ${e.message}` : e.message;
}

/** `plans/x.yaml:12:7: checks.x.severity: unknown severity "hihg" (did you mean "high"?)` */
export function formatPlanErrorAt(e: PlanError, fallbackFile?: string): string {
  const file = e.file ?? fallbackFile;
  const at = file ? `${file}${e.line ? `:${e.line}:${e.column ?? 1}` : ''}: ` : '';
  return `${at}${formatPlanError(e)}`;
}

export type ValidationResult = { ok: true; plan: Plan } | { ok: false; errors: PlanError[] };

export function validatePlanText(text: string, file?: string): ValidationResult {
  const sources: Source[] = [];
  const parsed = parseYaml(text, file ?? '(plan)');
  if ('errors' in parsed) return { ok: false, errors: parsed.errors };
  sources.push(parsed.source);
  let input = parsed.value;
  if (isObject(input) && 'extends' in input) {
    if (!file) return { ok: false, errors: [{ path: 'extends', message: 'extends works only for a plan read from a file' }] };
    const base = readBase(file, input.extends, [resolve(file)], sources);
    if ('errors' in base) return { ok: false, errors: base.errors };
    const { extends: _ignored, ...rest } = input;
    input = mergePlans(base.value, rest);
  }
  const result = validatePlanObject(input);
  if (result.ok) return result;
  return {
    ok: false,
    errors: result.errors.map(({ near, ...e }) => ({
      ...e,
      ...locate(sources, near ?? e.path, near ? undefined : unknownField(e.message)),
    })),
  };
}

/** The field an "unknown field" error names, so its place is the field's own line. */
function unknownField(message: string): string | undefined {
  return /^unknown field "([^"]+)"/.exec(message)?.[1];
}

function parseYaml(text: string, file: string): { value: unknown; source: Source } | { errors: PlanError[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      errors: doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        return { path: `line ${pos.line}`, message: `YAML: ${e.message.split('\n')[0]}`, file, line: pos.line, column: pos.col };
      }),
    };
  }
  try {
    return { value: doc.toJS(), source: { file, doc, lines } };
  } catch (err) {
    // e.g. an alias bomb: the yaml library refuses to expand it, and so do we
    return { errors: [{ path: '', message: `YAML: ${(err as Error).message.split('\n')[0]}`, file }] };
  }
}

/** The plan a plan `extends`, itself merged with what it extends; a path is relative to the extending file. */
function readBase(file: string, ref: unknown, seen: string[], sources: Source[]): { value: unknown } | { errors: PlanError[] } {
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
  const parsed = parseYaml(text, path);
  if ('errors' in parsed) return { errors: parsed.errors.map((e) => ({ ...e, path: `extends (${ref}) ${e.path}` })) };
  sources.push(parsed.source);
  if (isObject(parsed.value) && 'extends' in parsed.value) {
    const base = readBase(path, parsed.value.extends, [...seen, path], sources);
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
  // `$schema` (an editor's hint) is not part of the plan.
  if (isObject(input) && '$schema' in input) {
    const { $schema: _hint, ...rest } = input;
    input = rest;
  }
  const parsed = PlanSchema.safeParse(input);
  if (!parsed.success)
    return { ok: false, errors: [...schemaErrors(PlanSchema, input, parsed.error), ...referenceErrorsOfInvalid(input, parsed.error)] };
  const errors = referenceErrors(parsed.data);
  return errors.length ? { ok: false, errors } : { ok: true, plan: normalizePlan(parsed.data) };
}

/**
 * A schema error must not hide the broken references elsewhere in the plan, so all errors come at
 * once: the reference checks run on what can be read of the input (each part that passes its own
 * schema gets its defaults), and a value the schema already refused is not reported again.
 */
function referenceErrorsOfInvalid(input: unknown, error: z.ZodError): PlanError[] {
  if (!isObject(input)) return [];
  // A value the schema refused (`deciders[0]: expected text`) is not reported again as a broken
  // reference (`unknown person "5"`). An object the schema refused for one of its keys (an unknown
  // field) still has its contents checked.
  const refused = new Set(
    schemaIssues(error)
      .filter((issue) => !isObject(valueAt(input, issue.path)))
      .map((issue) => formatPath(issue.path)),
  );
  const found = attempt(() => referenceErrors(lenient(PlanSchema, input) as RawPlan)) ?? [];
  const seen = new Set<string>();
  return found.filter((e) => {
    const key = `${e.path}\u0000${e.message}`;
    if (refused.has(e.path) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
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

export function loadPlan(file: string): Plan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PlanInvalid(file, [{ path: '', message: `cannot read plan: ${(err as Error).message}`, file }]);
  }
  const result = validatePlanText(text, file);
  if (!result.ok) throw new PlanInvalid(file, result.errors);
  return result.plan;
}
