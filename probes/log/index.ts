// The log probe kind: what was appended to each file since the last run, classified by pattern;
// [LOG].alert/.warning/.normal/.lines/.cost/.patterns.NAME and [RESPONSE_TIME].
import { z } from 'zod';
import { clip } from '../../core/conditions';
import type { LogCursor } from '../../core/messages';
import { resolveText } from '../../core/vars';
import { Duration } from '../../plan/fields';
import type { Observation, ProbeKind } from '../types';
import { readLogs } from './read';

const LogPattern = z.strictObject({
  /** Used in conditions as [LOG].patterns.NAME, so an identifier. */
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, { error: 'use lower-case letters, digits and underscores' }),
  /** A regular expression, matched case-insensitively against each line. */
  regex: z
    .string()
    .min(1)
    .refine(
      (s) => {
        try {
          new RegExp(s, 'i');
          return true;
        } catch {
          return false;
        }
      },
      { error: (iss) => `not a valid regular expression: ${String(iss.input)}` },
    ),
  /** The class counts as seen only when the pattern matched at least this many lines in a run. */
  atLeast: z.number().int().min(1).default(1),
  /** Only lines of these files (their paths as written in `files`). */
  files: z.array(z.string()).optional(),
  /** A JSON line's field (a dot path, e.g. level or http.status) the regex is matched against, instead of the whole line: files of format jsonl. */
  field: z.string().min(1).optional(),
});

export const LogProbe = z
  .strictObject({
    kind: z.literal('log'),
    files: z
      .array(
        z.strictObject({
          path: z.string().min(1),
          format: z.enum(['text', 'jsonl']).default('text'),
          /** A missing file is a failed check unless optional. */
          optional: z.boolean().default(false),
        }),
      )
      .min(1),
    classes: z.strictObject({
      normal: z.array(LogPattern).default([]),
      warning: z.array(LogPattern).default([]),
      alert: z.array(LogPattern).default([]),
    }),
    /** JSON field summed into [LOG].cost (route decisions log their cost). */
    costField: z.string().optional(),
    samples: z.number().int().min(0).max(20).default(3),
    maxBytesPerRun: z.number().int().positive().default(1_048_576),
    timeout: Duration.default('60s'),
  })
  .refine(
    (p) =>
      p.files.some((f) => f.format === 'jsonl') ||
      !Object.values(p.classes).some((patterns) => patterns.some((x) => x.field !== undefined)),
    {
      error: 'a pattern with `field` reads JSON lines: give at least one file `format: jsonl`',
      path: ['classes'],
    },
  );
export type LogProbeSpec = z.output<typeof LogProbe>;

export const LOG_FIELDS = ['alert', 'warning', 'normal', 'patterns', 'lines', 'cost'] as const;

export const logProbe: ProbeKind<LogProbeSpec> = {
  kind: 'log',
  schema: LogProbe,
  placeholders: [
    { name: 'RESPONSE_TIME', doc: 'how long reading took', fields: 'none', unit: 'ms' },
    { name: 'LOG', doc: 'lines since the last run: counts per class and per pattern, and the summed cost field', fields: LOG_FIELDS },
  ],

  async observe(probe, ctx): Promise<Observation> {
    const seen = await readLogs(
      {
        files: probe.files.map((f) => ({
          path: resolveText(f.path, ctx.vars, ctx.env, ctx.release),
          written: f.path,
          optional: f.optional,
        })),
        classes: probe.classes,
        ...(probe.costField !== undefined ? { costField: probe.costField } : {}),
        samples: probe.samples,
        maxBytesPerRun: probe.maxBytesPerRun,
      },
      ctx.cursor as LogCursor | undefined,
      ctx.first,
    );
    const { summary } = seen;
    const values = {
      RESPONSE_TIME: seen.durationMs,
      LOG: { ...summary.counts, patterns: summary.patterns, lines: summary.lines, cost: summary.cost ?? 0 },
    };
    const { alert, warning, normal } = summary.counts;
    const evidence = [`${summary.lines} new lines: ${alert} alert, ${warning} warning, ${normal} normal`];
    if (summary.rotated.length) evidence.push(`rotated or truncated, read from the start: ${summary.rotated.join(', ')}`);
    for (const logClass of ['alert', 'warning'] as const) {
      for (const line of summary.samples[logClass]) evidence.push(`${logClass}: ${clip(line, 300)}`);
    }
    return { values, evidence, cursor: seen.cursor, log: summary, ...(seen.failure ? { failure: seen.failure } : {}) };
  },
};
