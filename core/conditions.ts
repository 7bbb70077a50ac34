// The condition language: Gatus-like placeholders ([STATUS], [BODY].a.b, [LOG].alert ...),
// comparisons, arithmetic, logic and a few functions. Pure: plan validation and the check
// activities both use it.
import { formatUnit } from './units';
import jsep from 'jsep';
import { isDuration, parseDuration } from '../plan/duration';
import type { ConditionSpec, Outcome } from '../plan/schema';
import type { ConditionResult } from './messages';
import { didYouMean } from './suggest';

/**
 * A placeholder a probe kind offers its conditions: `[STATUS]`, `[BODY].a.b`, `[LOG].alert`. Each kind
 * declares its own (probes/<kind>); the language itself knows none.
 */
export interface PlaceholderSpec {
  name: string;
  /** What it holds, for the plan reference and error messages. */
  doc: string;
  /** Fields it has: none (a number or text), any (JSON), or these. */
  fields: 'none' | 'any' | readonly string[];
  /** How a number in it reads to a person: milliseconds (`45.2s`), seconds, a ratio, bytes. */
  unit?: Unit;
}

export type Unit = 'ms' | 'seconds' | 'ratio' | 'percent' | 'bytes' | 'number';

/** The placeholder values one probe run produced; absent ones are missing data. */
export type ProbeValues = Record<string, unknown>;

/** What a log probe exposes as [LOG]. */
export interface LogValues {
  alert: number;
  warning: number;
  normal: number;
  patterns: Record<string, number>;
  lines: number;
  cost: number;
}

// ---- parsing ------------------------------------------------------------------------------

type Node = jsep.Expression;

jsep.addBinaryOp('and', 2);
jsep.addBinaryOp('or', 1);
jsep.addUnaryOp('not');

const BINARY_OPERATORS = new Set(['==', '!=', '<', '<=', '>', '>=', '&&', '||', 'and', 'or', '+', '-', '*', '/']);
const UNARY_OPERATORS = new Set(['!', 'not', '-']);

const FUNCTION_ARITY: Record<string, number> = {
  len: 1,
  words: 1,
  matches: 2,
  has: 1,
  count: 3,
  every: 3,
  any: 3,
  max: 2,
  min: 2,
};

/** A placeholder as an expression reads it: `[LOG].patterns.oom` is LOG with path [patterns, oom]. */
interface PlaceholderUse {
  name: string;
  path: string[];
}

interface Compiled {
  ast?: Node;
  error?: string;
  uses: PlaceholderUse[];
}

const MAX_CACHED = 2_000;
const compiled = new Map<string, Compiled>();

function compile(expr: string): Compiled {
  const cached = compiled.get(expr);
  if (cached) return cached;
  const result = compileUncached(expr);
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(expr, result);
  return result;
}

function compileUncached(expr: string): Compiled {
  if (expr.trim() === '') return { error: 'empty condition', uses: [] };
  let ast: Node;
  try {
    ast = jsep(toParserSource(expr));
  } catch (err) {
    return { error: `syntax error: ${(err as Error).message}`, uses: [] };
  }
  const error = structureError(ast);
  if (error) return { error, uses: [] };
  return { ast, uses: placeholderUses(ast) };
}

/**
 * Rewrites the expression for jsep: durations outside strings become milliseconds
 * (`30s` → `30000`), and string literals are raw: a backslash is kept as written (so
 * `"Autonomy: 1\b"` is a regex word boundary), only `\"` and `\'` stand for the quote.
 */
function toParserSource(expr: string): string {
  let out = '';
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i];
    if (ch === '"' || ch === "'") {
      const literal = rawStringLiteral(expr, i);
      out += literal.source;
      i = literal.end;
    } else if (/[A-Za-z_$]/.test(ch)) {
      const word = /[A-Za-z_$][\w$]*/y;
      word.lastIndex = i;
      const name = word.exec(expr)![0];
      out += name;
      i += name.length;
    } else if (/\d/.test(ch)) {
      const numberWord = /\d[\w.]*/y;
      numberWord.lastIndex = i;
      const token = numberWord.exec(expr)![0];
      out += isDuration(token) ? String(parseDuration(token)) : token;
      i += token.length;
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}

function rawStringLiteral(expr: string, start: number): { source: string; end: number } {
  const quote = expr[start];
  let source = quote;
  let i = start + 1;
  while (i < expr.length && expr[i] !== quote) {
    if (expr[i] === '\\' && i + 1 < expr.length) {
      const next = expr[i + 1];
      source += next === quote ? `\\${quote}` : `\\\\${next === '\\' ? '\\\\' : next}`;
      i += 2;
    } else {
      source += expr[i];
      i += 1;
    }
  }
  if (i < expr.length) source += quote;
  return { source, end: i + 1 };
}

/** The first thing in the tree the language does not have, or undefined. */
function structureError(node: Node): string | undefined {
  switch (node.type) {
    case 'Literal':
      return undefined;
    case 'ArrayExpression':
      return placeholderError(node as jsep.ArrayExpression);
    case 'MemberExpression':
      return memberError(node as jsep.MemberExpression);
    case 'CallExpression':
      return callError(node as jsep.CallExpression);
    case 'BinaryExpression': {
      const b = node as jsep.BinaryExpression;
      if (!BINARY_OPERATORS.has(b.operator)) return `operator ${b.operator} is not supported`;
      return structureError(b.left) ?? structureError(b.right);
    }
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      if (!UNARY_OPERATORS.has(u.operator)) return `operator ${u.operator} is not supported`;
      return structureError(u.argument);
    }
    case 'Identifier':
      return `unknown name "${(node as jsep.Identifier).name}" (placeholders are written in brackets, e.g. [STATUS]; strings in quotes)`;
    case 'Compound':
      return (node as jsep.Compound).body.length === 0
        ? 'empty condition'
        : 'expected one expression, found several (is an operator missing?)';
    case 'ConditionalExpression':
      return 'the ?: operator is not supported';
    case 'ThisExpression':
      return 'unknown name "this"';
    default:
      return `${node.type} is not supported`;
  }
}

function placeholderName(node: Node): string | undefined {
  if (node.type !== 'ArrayExpression') return undefined;
  const elements = (node as jsep.ArrayExpression).elements;
  if (elements.length !== 1 || elements[0]?.type !== 'Identifier') return undefined;
  return (elements[0] as jsep.Identifier).name;
}

function placeholderError(node: jsep.ArrayExpression): string | undefined {
  return placeholderName(node) === undefined ? 'lists are not supported; placeholders are written like [STATUS]' : undefined;
}

/** A member path is only read from a placeholder: [BODY].cards[0].status. */
function memberError(node: jsep.MemberExpression): string | undefined {
  const { root, keys } = memberPath(node);
  if (root.type !== 'ArrayExpression') return 'fields can only be read from a placeholder, e.g. [BODY].services.ollama';
  const rootError = placeholderError(root as jsep.ArrayExpression);
  if (rootError) return rootError;
  if (keys.some((key) => key.computed && !isLiteralKey(key.node))) {
    return `[${placeholderName(root)}]: a field in brackets is a quoted string or a number, e.g. [BODY].cards[0]`;
  }
  return undefined;
}

function isLiteralKey(node: Node): boolean {
  return node.type === 'Literal' && ['string', 'number'].includes(typeof (node as jsep.Literal).value);
}

function memberPath(node: jsep.MemberExpression): { root: Node; keys: Array<{ node: Node; computed: boolean }> } {
  const keys: Array<{ node: Node; computed: boolean }> = [];
  let current: Node = node;
  while (current.type === 'MemberExpression') {
    const m = current as jsep.MemberExpression;
    keys.unshift({ node: m.property, computed: m.computed });
    current = m.object;
  }
  return { root: current, keys };
}

function callError(node: jsep.CallExpression): string | undefined {
  if (node.callee.type !== 'Identifier') return 'only the built-in functions can be called';
  const name = (node.callee as jsep.Identifier).name;
  if (!Object.prototype.hasOwnProperty.call(FUNCTION_ARITY, name)) {
    return `unknown function ${name}() (one of ${Object.keys(FUNCTION_ARITY).join(', ')})`;
  }
  const arity = FUNCTION_ARITY[name];
  if (node.arguments.length !== arity) {
    return `${name}() takes ${arity} argument${arity === 1 ? '' : 's'}, got ${node.arguments.length}`;
  }
  for (const arg of node.arguments) {
    const error = structureError(arg);
    if (error) return error;
  }
  const pattern = node.arguments[1];
  if (name === 'matches' && pattern.type === 'Literal' && typeof (pattern as jsep.Literal).value === 'string') {
    const regexError = regexProblem((pattern as jsep.Literal).value as string);
    if (regexError) return `matches(): ${regexError}`;
  }
  return undefined;
}

function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function placeholderUses(node: Node): PlaceholderUse[] {
  const uses: PlaceholderUse[] = [];
  const visit = (n: Node | null | undefined) => {
    if (!n || typeof n !== 'object') return;
    if (n.type === 'MemberExpression') {
      const { root, keys } = memberPath(n as jsep.MemberExpression);
      const name = placeholderName(root);
      if (name !== undefined) uses.push({ name, path: keys.map(keyText) });
      else visit(root);
      for (const key of keys) if (key.computed) visit(key.node);
      return;
    }
    const name = placeholderName(n);
    if (name !== undefined) uses.push({ name, path: [] });
    else for (const child of childNodes(n)) visit(child);
  };
  visit(node);
  return uses;
}

function keyText(key: { node: Node; computed: boolean }): string {
  return key.computed ? String((key.node as jsep.Literal).value) : (key.node as jsep.Identifier).name;
}

function hasPlaceholder(node: Node): boolean {
  return placeholderUses(node).length > 0;
}

function childNodes(node: Node): Node[] {
  switch (node.type) {
    case 'BinaryExpression':
      return [(node as jsep.BinaryExpression).left, (node as jsep.BinaryExpression).right];
    case 'UnaryExpression':
      return [(node as jsep.UnaryExpression).argument];
    case 'CallExpression':
      return (node as jsep.CallExpression).arguments;
    case 'MemberExpression': {
      const m = node as jsep.MemberExpression;
      return m.computed ? [m.object, m.property] : [m.object];
    }
    default:
      return [];
  }
}

// ---- static check ------------------------------------------------------------------------

/** A probe kind as the condition language sees it: its name and the placeholders it offers. */
export interface PlaceholderScope {
  kind: string;
  placeholders: readonly PlaceholderSpec[];
  /** Every placeholder any kind offers, to tell "not for this kind" from "no such placeholder". */
  known?: readonly PlaceholderSpec[];
}

/** Why the expression is not a valid condition for this kind of probe, or undefined. */
export function conditionError(expr: string, scope: PlaceholderScope): string | undefined {
  const c = compile(expr);
  if (c.error) return c.error;
  for (const use of c.uses) {
    const spec = scope.placeholders.find((p) => p.name === use.name);
    if (!spec) {
      if ((scope.known ?? []).some((p) => p.name === use.name))
        return `[${use.name}] is not available for ${article(scope.kind)} ${scope.kind} probe`;
      const names = [...scope.placeholders, ...(scope.known ?? [])].map((p) => p.name);
      return `unknown placeholder [${use.name}]${didYouMean(use.name, names, (n) => `[${n}]`)}`;
    }
    if (use.path.length === 0) continue;
    if (spec.fields === 'none') return `[${use.name}] has no fields`;
    if (spec.fields !== 'any' && !spec.fields.includes(use.path[0]))
      return `unknown field [${use.name}].${use.path[0]} (one of ${spec.fields.join(', ')})`;
  }
  return undefined;
}

/** The placeholders an expression reads, with the path read from each. */
export function placeholdersRead(expr: string): Array<{ name: string; path: string[] }> {
  return compile(expr).uses;
}

function article(kind: string): string {
  return /^(?:[aeiou]|http)/i.test(kind) ? 'an' : 'a';
}

// ---- evaluation ---------------------------------------------------------------------------

/** The value of the expression; missing data is undefined, never an exception. Throws only for an invalid expression. */
export function evaluate(expr: string, values: ProbeValues): unknown {
  const c = compile(expr);
  if (c.error || !c.ast) throw new Error(`invalid condition "${expr}": ${c.error}`);
  return valueOfNode(c.ast, values);
}

/** True only when the expression evaluates to true; an invalid expression does not hold. */
export function holds(expr: string, values: ProbeValues): boolean {
  try {
    return evaluate(expr, values) === true;
  } catch {
    return false;
  }
}

/** The number an expression yields (for `metric` and `cost`), or undefined. */
export function valueOf(expr: string, values: ProbeValues): number | undefined {
  let value: unknown;
  try {
    value = evaluate(expr, values);
  } catch {
    return undefined;
  }
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

function valueOfNode(node: Node, values: ProbeValues): unknown {
  switch (node.type) {
    case 'Literal':
      return (node as jsep.Literal).value;
    case 'ArrayExpression':
      return values[placeholderName(node)!];
    case 'MemberExpression': {
      const m = node as jsep.MemberExpression;
      const key = m.computed ? valueOfNode(m.property, values) : (m.property as jsep.Identifier).name;
      return fieldOf(valueOfNode(m.object, values), key);
    }
    case 'CallExpression':
      return callFunction(node as jsep.CallExpression, values);
    case 'UnaryExpression':
      return applyUnary((node as jsep.UnaryExpression).operator, valueOfNode((node as jsep.UnaryExpression).argument, values));
    case 'BinaryExpression':
      return applyBinary(node as jsep.BinaryExpression, values);
    default:
      return undefined;
  }
}

function fieldOf(container: unknown, key: unknown): unknown {
  if (container === null || typeof container !== 'object') return undefined;
  if (typeof key !== 'string' && typeof key !== 'number') return undefined;
  if (Array.isArray(container) && typeof key === 'number') return container[key];
  return Object.prototype.hasOwnProperty.call(container, key) ? (container as Record<string, unknown>)[key] : undefined;
}

function fieldAtPath(item: unknown, path: unknown): unknown {
  if (typeof path !== 'string') return fieldOf(item, path);
  return path.split('.').reduce<unknown>((value, key) => fieldOf(value, key), item);
}

function applyUnary(operator: string, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (operator === '-') return typeof value === 'number' ? -value : undefined;
  return !truthy(value);
}

function applyBinary(node: jsep.BinaryExpression, values: ProbeValues): unknown {
  const left = valueOfNode(node.left, values);
  switch (node.operator) {
    case '&&':
    case 'and':
      return truthy(left) && truthy(valueOfNode(node.right, values));
    case '||':
    case 'or':
      return truthy(left) || truthy(valueOfNode(node.right, values));
  }
  const right = valueOfNode(node.right, values);
  switch (node.operator) {
    case '==':
      return equals(left, right);
    case '!=':
      return left !== undefined && right !== undefined && !equals(left, right);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return compare(node.operator, left, right);
    default:
      return arithmetic(node.operator, left, right);
  }
}

function truthy(value: unknown): boolean {
  return Boolean(value);
}

/** Equality of like values; a number equals its numeric text; anything equals nothing missing. */
function equals(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return false;
  if (typeof a === 'number' && typeof b === 'string') return numericText(b) === a;
  if (typeof a === 'string' && typeof b === 'number') return numericText(a) === b;
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

function numericText(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

function compare(operator: string, a: unknown, b: unknown): boolean {
  let x = a;
  let y = b;
  if (typeof x === 'number' && typeof y === 'string') y = numericText(y);
  if (typeof x === 'string' && typeof y === 'number') x = numericText(x);
  const comparable = (typeof x === 'number' && typeof y === 'number') || (typeof x === 'string' && typeof y === 'string');
  if (!comparable) return false;
  const [p, q] = [x as number | string, y as number | string];
  if (operator === '<') return p < q;
  if (operator === '<=') return p <= q;
  if (operator === '>') return p > q;
  return p >= q;
}

function arithmetic(operator: string, a: unknown, b: unknown): unknown {
  if (operator === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (typeof a !== 'number' || typeof b !== 'number') return undefined;
  const result = operator === '+' ? a + b : operator === '-' ? a - b : operator === '*' ? a * b : a / b;
  return Number.isFinite(result) ? result : undefined;
}

function callFunction(node: jsep.CallExpression, values: ProbeValues): unknown {
  const name = (node.callee as jsep.Identifier).name;
  const args = node.arguments.map((arg) => valueOfNode(arg, values));
  switch (name) {
    case 'len':
      return lengthOf(args[0]);
    case 'words':
      return typeof args[0] === 'string' ? args[0].split(/\s+/).filter(Boolean).length : undefined;
    case 'matches':
      return typeof args[0] === 'string' && typeof args[1] === 'string' && regexTest(args[1], args[0]);
    case 'has':
      return args[0] !== undefined && args[0] !== null;
    case 'count':
      return Array.isArray(args[0]) ? args[0].filter((item) => equals(fieldAtPath(item, args[1]), args[2])).length : undefined;
    case 'every':
      return Array.isArray(args[0]) && args[0].length > 0 && args[0].every((item) => equals(fieldAtPath(item, args[1]), args[2]));
    case 'any':
      return Array.isArray(args[0]) && args[0].some((item) => equals(fieldAtPath(item, args[1]), args[2]));
    case 'max':
    case 'min':
      return extreme(name, args[0], args[1]);
    default:
      return undefined;
  }
}

/**
 * The largest or smallest number at `path` over a list (`max([SERIES], 'value')`); items without a
 * number there are left out, and a list with none gives missing data (the condition fails). NaN counts
 * as a value: max and min of a list holding NaN are NaN, so a condition over it fails rather than
 * passing on the other series alone.
 */
function extreme(name: 'max' | 'min', list: unknown, path: unknown): number | undefined {
  if (!Array.isArray(list)) return undefined;
  const numbers = list.map((item) => fieldAtPath(item, path)).filter((v): v is number => typeof v === 'number');
  if (numbers.length === 0) return undefined;
  return name === 'max' ? Math.max(...numbers) : Math.min(...numbers);
}

function lengthOf(value: unknown): number | undefined {
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  if (value !== null && typeof value === 'object') return Object.keys(value).length;
  return undefined;
}

const regexes = new Map<string, RegExp | null>();

function regexTest(source: string, text: string): boolean {
  if (!regexes.has(source)) {
    if (regexes.size >= MAX_CACHED) regexes.clear();
    regexes.set(source, regexProblem(source) ? null : new RegExp(source));
  }
  return regexes.get(source)?.test(text) ?? false;
}

// ---- judging a check --------------------------------------------------------------------------

export interface Verdict {
  outcome: Outcome;
  severity?: string;
  reason: string;
  conditions: ConditionResult[];
}

const OUTCOME_RANK: Record<Outcome, number> = { ok: 0, warn: 1, fail: 2 };
const MAX_DETAIL = 200;
/** The built-in severities, most severe first (a plan that names none has these). */
const BUILT_IN_SEVERITIES = ['critical', 'high', 'medium', 'low'];

/** Higher is graver: the position in the plan's list of severities (most severe first); unknown is least. */
export function severityRank(severity: string | undefined, order: readonly string[] = BUILT_IN_SEVERITIES): number {
  const i = severity === undefined ? -1 : order.indexOf(severity);
  return i < 0 ? 0 : order.length - i;
}

/** Every condition against the values: worst outcome wins, with the worst severity among the conditions that gave it. */
export function judge(
  conditions: ConditionSpec[],
  values: ProbeValues,
  checkSeverity: string,
  placeholders: readonly PlaceholderSpec[] = [],
  severities: readonly string[] = BUILT_IN_SEVERITIES,
): Verdict {
  const results = conditions.map((c) => judgeCondition(c, values, checkSeverity, placeholders));
  const outcome = results.reduce<Outcome>((worst, r) => (OUTCOME_RANK[r.outcome] > OUTCOME_RANK[worst] ? r.outcome : worst), 'ok');
  if (outcome === 'ok') return { outcome, reason: 'all conditions hold', conditions: results };
  const culprits = results.filter((r) => r.outcome === outcome);
  const severity = culprits.reduce<string | undefined>(
    (worst, r) => (worst === undefined || severityRank(r.severity, severities) > severityRank(worst, severities) ? r.severity : worst),
    undefined,
  );
  return { outcome, severity, reason: describeResult(culprits[0]), conditions: results };
}

function judgeCondition(
  spec: ConditionSpec,
  values: ProbeValues,
  checkSeverity: string,
  placeholders: readonly PlaceholderSpec[],
): ConditionResult {
  const c = typeof spec === 'string' ? { name: spec, pass: spec } : { ...spec, name: spec.name ?? spec.pass };
  const severity = c.severity ?? checkSeverity;
  // A plan is validated against its probe kind before it runs; a condition that still reads what the
  // kind does not offer (a worker older than the plan) fails with the reason, never passes on nothing.
  const unknown = placeholders.length
    ? [c.pass, ...(c.warn ? [c.warn] : [])].flatMap((e) => compile(e).uses).find((u) => !placeholders.some((p) => p.name === u.name))
    : undefined;
  if (unknown) return { name: c.name, outcome: 'fail', severity, detail: `invalid condition: unknown placeholder [${unknown.name}]` };
  const outcome: Outcome = holds(c.pass, values) ? 'ok' : c.warn !== undefined && holds(c.warn, values) ? 'warn' : 'fail';
  const detail = describeValues([c.pass, ...(c.warn ? [c.warn] : [])], values, placeholders);
  return { name: c.name, outcome, severity, ...(detail ? { detail } : {}) };
}

function describeResult(result: ConditionResult): string {
  return result.detail ? `${result.name}: ${result.detail}` : result.name;
}

/** "[RESPONSE_TIME] = 45.2s, words([STDOUT].sixWord) = 5": what the expressions looked at. */
export function describeValues(exprs: string[], values: ProbeValues, placeholders: readonly PlaceholderSpec[] = []): string | undefined {
  const units = new Map(placeholders.filter((p) => p.unit !== undefined).map((p) => [`[${p.name}]`, p.unit!]));
  const seen = new Map<string, string>();
  for (const expr of exprs) {
    const c = compile(expr);
    if (c.error || !c.ast) {
      seen.set(expr, `invalid condition: ${c.error}`);
      continue;
    }
    for (const term of observedTerms(c.ast)) {
      const text = render(term);
      if (!seen.has(text)) seen.set(text, `${text} = ${formatValue(valueOfNode(term, values), unitOfTerm(term, units))}`);
    }
  }
  if (seen.size === 0) return undefined;
  return clip([...seen.values()].join(', '), MAX_DETAIL);
}

/** Functions whose result says more than their input; the others give a true/false the condition already shows. */
const COUNTING_FUNCTIONS = new Set(['count', 'len', 'words', 'max', 'min']);

/** Placeholder paths, and counting calls over them. */
function observedTerms(node: Node): Node[] {
  if (node.type === 'ArrayExpression' || node.type === 'MemberExpression') return [node];
  const terms: Node[] = [];
  if (node.type === 'CallExpression') {
    const name = ((node as jsep.CallExpression).callee as jsep.Identifier).name;
    if (COUNTING_FUNCTIONS.has(name) && hasPlaceholder(node)) terms.push(node);
  }
  for (const child of childNodes(node)) terms.push(...observedTerms(child));
  return terms;
}

function render(node: Node): string {
  switch (node.type) {
    case 'Literal':
      return JSON.stringify((node as jsep.Literal).value);
    case 'ArrayExpression':
      return `[${placeholderName(node)}]`;
    case 'MemberExpression': {
      const m = node as jsep.MemberExpression;
      const object = render(m.object);
      return m.computed ? `${object}[${render(m.property)}]` : `${object}.${(m.property as jsep.Identifier).name}`;
    }
    case 'CallExpression': {
      const call = node as jsep.CallExpression;
      return `${(call.callee as jsep.Identifier).name}(${call.arguments.map(render).join(', ')})`;
    }
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      return `${u.operator === 'not' ? 'not ' : u.operator}${render(u.argument)}`;
    }
    case 'BinaryExpression': {
      const b = node as jsep.BinaryExpression;
      return `(${render(b.left)} ${b.operator} ${render(b.right)})`;
    }
    default:
      return node.type;
  }
}

/** A placeholder's unit, or for max()/min() over one, the unit of what they pick from. */
function unitOfTerm(term: Node, units: Map<string, Unit>): Unit | undefined {
  const direct = units.get(render(term));
  if (direct || term.type !== 'CallExpression') return direct;
  const call = term as jsep.CallExpression;
  const name = (call.callee as jsep.Identifier).name;
  return name === 'max' || name === 'min' ? units.get(render(call.arguments[0])) : undefined;
}

function formatValue(value: unknown, unit: Unit | undefined): string {
  if (value === undefined) return 'missing';
  if (unit === 'ms' && typeof value === 'number') return formatMs(value);
  if (unit !== undefined && typeof value === 'number') return formatUnit(value, unit);
  if (typeof value === 'string') return JSON.stringify(clip(value, 80));
  if (typeof value === 'object' && value !== null) return clip(JSON.stringify(value), 80);
  return String(value);
}

/** 850 → "850ms", 45_200 → "45.2s". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

// ---- bands for charts -------------------------------------------------------------------------

const BOUND_OPERATORS: Record<string, 'upper' | 'lower'> = { '<': 'upper', '<=': 'upper', '>': 'lower', '>=': 'lower' };
const FLIPPED: Record<string, 'upper' | 'lower'> = { '<': 'lower', '<=': 'lower', '>': 'upper', '>=': 'upper' };

/**
 * Where the metric's ok band ends and its warn band ends, from the first condition that bounds the
 * metric expression itself (`[VALUE] < 0.01`, warn `[VALUE] < 0.05`; `[VALUE] <= 1.2 * [BASELINE]`
 * evaluated with this run's values). Undefined when no condition bounds it: the chart draws no line.
 */
export function metricBands(
  conditions: ConditionSpec[],
  metric: string,
  values: ProbeValues,
): { direction: 'upper' | 'lower'; pass?: number; warn?: number } | undefined {
  const target = compile(metric);
  if (!target.ast) return undefined;
  const wanted = render(target.ast);
  const bound = (expr: string | undefined) => {
    if (expr === undefined) return undefined;
    const c = compile(expr);
    if (!c.ast || c.ast.type !== 'BinaryExpression') return undefined;
    const b = c.ast as jsep.BinaryExpression;
    const side = render(b.left) === wanted ? 'left' : render(b.right) === wanted ? 'right' : undefined;
    if (!side || !(b.operator in BOUND_OPERATORS)) return undefined;
    const value = valueOfNode(side === 'left' ? b.right : b.left, values);
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
    return { direction: side === 'left' ? BOUND_OPERATORS[b.operator] : FLIPPED[b.operator], value };
  };
  for (const spec of conditions) {
    const c = typeof spec === 'string' ? { pass: spec, warn: undefined } : spec;
    const pass = bound(c.pass);
    if (!pass) continue;
    const warn = bound(c.warn);
    return { direction: pass.direction, pass: pass.value, ...(warn && warn.direction === pass.direction ? { warn: warn.value } : {}) };
  }
  return undefined;
}
