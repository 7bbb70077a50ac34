// What the schema refuses, in the plan's words: each issue with its path, no library wording, and a
// "did you mean" for a misspelt field or value.
import { z } from 'zod';
import { didYouMean } from '../core/suggest';

export interface PlanError {
  path: string;
  message: string;
  /** A path to point at when `path` itself is not in the text (a part left out): what it is needed for. */
  near?: string;
  /** Where in which file (1-based), when the plan came from YAML text. */
  file?: string;
  line?: number;
  column?: number;
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

/** The schema's issues, each as the plan's author would say it; a union shows the branch the input most likely meant. */
export function schemaErrors(schema: z.ZodType, input: unknown, error: z.ZodError): PlanError[] {
  return schemaIssues(error).map((issue) => ({ path: formatPath(issue.path), message: wording(schema, input, issue) }));
}

type Issue = z.core.$ZodIssue & { path: PropertyKey[] };

export function schemaIssues(error: z.ZodError): Issue[] {
  const out: Issue[] = [];
  const visit = (issues: z.core.$ZodIssue[], prefix: PropertyKey[]) => {
    for (const issue of issues) {
      const path = [...prefix, ...issue.path];
      if (issue.code === 'invalid_union' && issue.errors.length > 0 && !/ must be one of /.test(issue.message)) {
        const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
        visit(best, path);
        continue;
      }
      out.push({ ...issue, path } as Issue);
    }
  };
  visit(error.issues, []);
  return out;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a map of fields',
  array: 'a list',
  record: 'a map',
};

function described(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `text "${value.length > 40 ? `${value.slice(0, 39)}…` : value}"`;
  if (typeof value === 'number') return Number.isFinite(value) ? `the number ${value}` : `${value} (not a finite number)`;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'object') return 'a map of fields';
  return typeof value;
}

function wording(schema: z.ZodType, input: unknown, issue: Issue): string {
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      // A field's own message (a duration's, a version's) already says what it wants.
      if (!/^Invalid input/.test(issue.message)) return issue.message;
      if (value === undefined) return 'required';
      return `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, got ${described(value)}`;
    case 'unrecognized_keys': {
      const known = knownKeys(schema, input, issue.path);
      return issue.keys.map((k) => `unknown field "${k}"${didYouMean(k, known)}`).join('; ');
    }
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return 'must not be empty';
      return issue.inclusive === false ? `must be more than ${String(issue.minimum)}` : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'array') return `may have at most ${issue.maximum} items`;
      if (issue.origin === 'string') return `is too long (at most ${issue.maximum} characters)`;
      return `must be at most ${String(issue.maximum)}`;
    case 'invalid_value': {
      // Custom messages (unknown decision, version) are already the plan's words.
      if (!/^Invalid (option|input)/.test(issue.message)) return issue.message;
      const allowed = issue.values.map(String);
      return `must be ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`}${typeof value === 'string' ? didYouMean(value, allowed) : ''}`;
    }
    case 'invalid_key':
      return issue.issues[0]?.message ?? 'not a valid name';
    case 'invalid_format':
      return /^Invalid string/.test(issue.message)
        ? `not in the expected form${'pattern' in issue && issue.pattern ? ` (${String(issue.pattern)})` : ''}`
        : issue.message;
    default:
      return issue.message;
  }
}

export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const part of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[part];
  }
  return at;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The fields the schema allows at `path` (for a suggestion), following the input through unions. */
function knownKeys(schema: z.ZodType, input: unknown, path: readonly PropertyKey[]): string[] {
  let at: z.ZodType | undefined = schema;
  let value: unknown = input;
  for (const part of path) {
    at = at && step(unwrap(at), value, part);
    value = isObject(value) || Array.isArray(value) ? (value as Record<PropertyKey, unknown>)[part] : undefined;
  }
  const object = at && pick(unwrap(at), value);
  return object instanceof z.ZodObject ? Object.keys(object.shape) : [];
}

function unwrap(s: z.ZodType): z.ZodType {
  let t = s;
  for (;;) {
    if (t instanceof z.ZodOptional || t instanceof z.ZodDefault || t instanceof z.ZodNullable) t = t.unwrap() as z.ZodType;
    else if (t instanceof z.ZodPipe) t = t.in as z.ZodType;
    else return t;
  }
}

/** The branch of a union the value's discriminator names, else the type itself. */
function pick(s: z.ZodType, value: unknown): z.ZodType {
  if (s instanceof z.ZodDiscriminatedUnion && isObject(value)) {
    const match = (s.options as z.ZodType[]).find((o) => {
      const shape = (unwrap(o) as z.ZodObject).shape as Record<string, z.ZodType> | undefined;
      const literal = shape?.[s.def.discriminator];
      return literal instanceof z.ZodLiteral && literal.values.has(value[s.def.discriminator] as never);
    });
    return match ? unwrap(match) : s;
  }
  if (s instanceof z.ZodUnion && isObject(value)) return (s.options as z.ZodType[]).map(unwrap).find((o) => o instanceof z.ZodObject) ?? s;
  return s;
}

function step(s: z.ZodType, value: unknown, part: PropertyKey): z.ZodType | undefined {
  const t = pick(s, value);
  if (t instanceof z.ZodObject) return (t.shape as Record<string, z.ZodType>)[String(part)];
  if (t instanceof z.ZodRecord) return t.valueType as z.ZodType;
  if (t instanceof z.ZodArray) return t.element as z.ZodType;
  return undefined;
}
