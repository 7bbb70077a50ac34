// The log probe: reads what was appended to each file since the saved cursor (whole lines
// only, bounded per run), notices rotation and truncation, and classifies the new lines.
import { open, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { FileCursor, LogCursor, LogSummary } from '../../core/messages';
import { errorCode, isResourceExhaustion } from '../runtime';

export type LogClass = 'normal' | 'warning' | 'alert';

/** A plan's pattern (see plan/schema.ts LogPattern). */
export interface LogPatternRule {
  name: string;
  regex: string;
  /** Match against this field of a JSON line (a dot path) instead of the whole line. */
  field?: string;
  atLeast?: number;
  files?: readonly string[];
}
export type LogClasses = Partial<Record<LogClass, readonly LogPatternRule[]>>;

export interface LogFileSpec {
  /** The path to read (vars resolved). */
  path: string;
  /** The path as written in the plan, which a pattern's `files` refers to. */
  written: string;
  optional: boolean;
}

export interface LogReadSpec {
  files: LogFileSpec[];
  classes: LogClasses;
  costField?: string;
  samples: number;
  maxBytesPerRun: number;
}

export interface LogObservation {
  summary: LogSummary;
  /** Where to start next time. */
  cursor: LogCursor;
  durationMs: number;
  /** A non-optional file missing or unreadable. */
  failure?: string;
}

/** The first bytes of a file, kept in its cursor to tell a replaced file from a grown one. */
const HEAD_BYTES = 64;
const SAMPLE_CHARS = 300;
/** Worst first: a line counts in the worst class it matched. */
const CLASS_ORDER: readonly LogClass[] = ['alert', 'warning', 'normal'];

/**
 * `fromEnd`: the watch's first read, which starts at each file's current end: lines logged before the
 * watch began are not the release's to answer for. A file that appears later is read from its start.
 */
export async function readLogs(spec: LogReadSpec, cursor?: LogCursor, fromEnd = false): Promise<LogObservation> {
  const started = performance.now();
  const nextCursor: LogCursor = { files: {} };
  const lines: LogLine[] = [];
  const rotated: string[] = [];
  const problems: string[] = [];
  for (const file of spec.files) {
    const previous = cursor?.files[file.path];
    const increment = await readIncrement(file.path, previous, spec.maxBytesPerRun, fromEnd);
    if (increment.kind === 'missing') {
      if (!file.optional) problems.push(`log file missing: ${file.path}`);
      continue;
    }
    if (increment.kind === 'unreadable') {
      problems.push(increment.reason);
      if (previous) nextCursor.files[file.path] = previous;
      continue;
    }
    nextCursor.files[file.path] = increment.cursor;
    if (increment.rotated) rotated.push(file.path);
    for (const text of increment.lines) lines.push({ file: file.written, path: file.path, text });
  }
  const tally = classifyLines(lines, spec);
  const summary: LogSummary = {
    lines: tally.lines,
    counts: tally.counts,
    patterns: tally.patterns,
    samples: tally.samples,
    rotated,
    cost: tally.cost,
  };
  return {
    summary,
    cursor: nextCursor,
    durationMs: performance.now() - started,
    ...(problems.length ? { failure: problems.join('; ') } : {}),
  };
}

// ---- reading ------------------------------------------------------------------------------

type Increment =
  { kind: 'read'; lines: string[]; rotated: boolean; cursor: FileCursor } | { kind: 'missing' } | { kind: 'unreadable'; reason: string };

async function readIncrement(path: string, previous: FileCursor | undefined, maxBytes: number, fromEnd: boolean): Promise<Increment> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (isResourceExhaustion(err)) throw err;
    return errorCode(err) === 'ENOENT'
      ? { kind: 'missing' }
      : { kind: 'unreadable', reason: `cannot read log file ${path} (${errorCode(err) ?? (err as Error).message})` };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { kind: 'unreadable', reason: `log path is not a file: ${path}` };
    const head = await readBytes(handle, 0, Math.min(HEAD_BYTES, info.size));
    const rotated = previous !== undefined && wasReplaced(previous, info, head);
    const start = previous && !rotated ? previous.offset : fromEnd && !previous ? info.size : 0;
    const chunk = await readBytes(handle, start, Math.min(info.size - start, maxBytes));
    const { lines, consumed } = wholeLines(chunk, chunk.length === maxBytes);
    return { kind: 'read', lines, rotated, cursor: { offset: start + consumed, ino: info.ino, head: head.toString('base64') } };
  } catch (err) {
    if (isResourceExhaustion(err)) throw err;
    return { kind: 'unreadable', reason: `cannot read log file ${path} (${errorCode(err) ?? (err as Error).message})` };
  } finally {
    await handle.close();
  }
}

/** Truncated (shorter than where we stopped), replaced (another inode) or rewritten (other first bytes). */
function wasReplaced(previous: FileCursor, info: Stats, head: Buffer): boolean {
  if (info.size < previous.offset) return true;
  if (previous.ino !== undefined && previous.ino !== info.ino) return true;
  if (previous.head === undefined) return false;
  const recorded = Buffer.from(previous.head, 'base64');
  return head.length < recorded.length || !head.subarray(0, recorded.length).equals(recorded);
}

async function readBytes(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(Math.max(0, length));
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/**
 * The complete lines of a chunk and how many bytes they take; a partial last line waits
 * for the next run, unless the chunk hit the per-run limit without any line end (one huge
 * line), which is then taken as it is so reading moves on.
 */
export function wholeLines(chunk: Buffer, hitLimit: boolean): { lines: string[]; consumed: number } {
  const end = chunk.lastIndexOf(0x0a) + 1;
  const consumed = end > 0 ? end : hitLimit ? chunk.length : 0;
  const lines = chunk
    .subarray(0, consumed)
    .toString('utf8')
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .filter((line) => line.length > 0);
  return { lines, consumed };
}

// ---- classification -----------------------------------------------------------------------

export interface LogLine {
  /** The file as written in the plan. */
  file: string;
  /** The file as read, when it differs. */
  path?: string;
  text: string;
}

export interface ClassificationRules {
  classes: LogClasses;
  samples: number;
  costField?: string;
}

export interface LineTally {
  lines: number;
  counts: Record<LogClass, number>;
  patterns: Record<string, number>;
  samples: Record<LogClass, string[]>;
  cost: number;
}

interface CompiledPattern {
  name: string;
  logClass: LogClass;
  regex: RegExp;
  field?: string;
  atLeast: number;
  files?: readonly string[];
}

/**
 * Counts lines per pattern and per class. A line counts in the worst class of the patterns
 * it matched, where a pattern with `atLeast: n` only counts once it matched n lines in this run.
 */
export function classifyLines(lines: readonly LogLine[], rules: ClassificationRules): LineTally {
  const patterns = compilePatterns(rules.classes);
  const patternCounts: Record<string, number> = Object.fromEntries(patterns.map((p) => [p.name, 0]));
  const hitsPerLine = lines.map((line) => {
    const record = patterns.some((p) => p.field !== undefined) ? jsonRecord(line.text) : undefined;
    const hits = patterns.filter((p) => appliesTo(p, line) && p.regex.test(p.field === undefined ? line.text : fieldText(record, p.field)));
    for (const p of hits) patternCounts[p.name] += 1;
    return hits;
  });
  const counts: Record<LogClass, number> = { normal: 0, warning: 0, alert: 0 };
  const samples: Record<LogClass, string[]> = { normal: [], warning: [], alert: [] };
  let cost = 0;
  lines.forEach((line, i) => {
    const counting = hitsPerLine[i].filter((p) => patternCounts[p.name] >= p.atLeast);
    const logClass = CLASS_ORDER.find((c) => counting.some((p) => p.logClass === c));
    if (logClass) {
      counts[logClass] += 1;
      if (samples[logClass].length < rules.samples) samples[logClass].push(clipLine(line.text));
    }
    cost += lineCost(line.text, rules.costField);
  });
  return { lines: lines.length, counts, patterns: patternCounts, samples, cost };
}

function compilePatterns(classes: LogClasses): CompiledPattern[] {
  return CLASS_ORDER.flatMap((logClass) =>
    (classes[logClass] ?? []).map((p) => ({
      name: p.name,
      logClass,
      regex: new RegExp(p.regex, 'i'),
      atLeast: p.atLeast ?? 1,
      files: p.files,
      ...(p.field !== undefined ? { field: p.field } : {}),
    })),
  );
}

function appliesTo(pattern: CompiledPattern, line: LogLine): boolean {
  return !pattern.files || pattern.files.includes(line.file) || (line.path !== undefined && pattern.files.includes(line.path));
}

/** A line that is a JSON object, parsed; undefined for any other line. */
function jsonRecord(text: string): unknown {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A field of a JSON line as text a pattern is matched against (objects as JSON); "" when it has none, which no sensible pattern matches. */
function fieldText(record: unknown, path: string): string {
  const value = path
    .split('.')
    .reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), record);
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** The numeric cost field of a line that is a JSON object, else 0. */
export function lineCost(text: string, costField: string | undefined): number {
  if (!costField || !text.trimStart().startsWith('{')) return 0;
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return 0;
  }
  const value = costField
    .split('.')
    .reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), record);
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function clipLine(text: string): string {
  return text.length <= SAMPLE_CHARS ? text : `${text.slice(0, SAMPLE_CHARS - 1)}…`;
}
