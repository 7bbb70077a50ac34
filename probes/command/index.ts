// The command probe kind: argv run without a shell (unless the plan opts in), output bounded;
// [EXIT_CODE], [STDOUT], [STDERR] and [RESPONSE_TIME]. Also a lever step (must exit 0).
import { z } from 'zod';
import { clip, formatMs } from '../../core/conditions';
import { resolveArgv, resolveText } from '../../core/vars';
import { parseDuration } from '../../plan/duration';
import { Duration } from '../../plan/fields';
import { excerpt, quoteArg } from '../evidence';
import type { Observation, ProbeContext, ProbeKind, StepResult } from '../types';
import { runCommand, type CommandSpec } from './process';

const OUTPUT_MAX = 500;

export const CommandProbe = z.strictObject({
  kind: z.literal('command'),
  /** argv items may be "${var}"; a list-valued var expands to several items. */
  argv: z.array(z.string().min(1)).min(1),
  /** Only when the plan explicitly opts in: run argv[0] as a /bin/sh -c script. */
  shell: z.boolean().default(false),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).default({}),
  timeout: Duration.default('60s'),
  json: z.boolean().default(false),
  maxOutputBytes: z.number().int().positive().default(65_536),
});
export type CommandProbeSpec = z.output<typeof CommandProbe>;

/** The process the spec stands for, with its `${var}` references resolved (argv, cwd and env alike). */
export function commandSpec(probe: CommandProbeSpec, ctx: ProbeContext): CommandSpec {
  const text = (t: string) => resolveText(t, ctx.vars, ctx.env, ctx.release);
  return {
    argv: resolveArgv(probe.argv, ctx.vars, ctx.env, ctx.release),
    shell: probe.shell,
    ...(probe.cwd !== undefined ? { cwd: text(probe.cwd) } : {}),
    env: Object.fromEntries(Object.entries(probe.env).map(([k, v]) => [k, text(v)])),
    timeoutMs: parseDuration(probe.timeout),
    json: probe.json,
    maxOutputBytes: probe.maxOutputBytes,
  };
}

export const commandProbe: ProbeKind<CommandProbeSpec> = {
  kind: 'command',
  schema: CommandProbe,
  placeholders: [
    { name: 'RESPONSE_TIME', doc: 'how long the command ran', fields: 'none', unit: 'ms' },
    { name: 'EXIT_CODE', doc: 'its exit code (128 + n when killed by signal n)', fields: 'none' },
    { name: 'STDOUT', doc: 'standard output, parsed as JSON with `json: true`', fields: 'any' },
    { name: 'STDERR', doc: 'standard error, as text', fields: 'none' },
  ],

  async observe(probe, ctx): Promise<Observation> {
    const spec = commandSpec(probe, ctx);
    const seen = await runCommand(spec);
    const values: Record<string, unknown> = { RESPONSE_TIME: seen.durationMs, STDOUT: seen.stdout, STDERR: seen.stderr };
    if (seen.exitCode !== undefined) values.EXIT_CODE = seen.exitCode;
    if (seen.stdoutJson?.ok) values.STDOUT = seen.stdoutJson.value;
    const evidence = [clip(`$ ${spec.argv.map(quoteArg).join(' ')}`, 200)];
    if (seen.exitCode !== undefined)
      evidence.push(`exit ${seen.exitCode}${seen.signal ? ` (${seen.signal})` : ''} in ${formatMs(seen.durationMs)}`);
    if (seen.stdoutJson && !seen.stdoutJson.ok) evidence.push(`stdout is not JSON: ${clip(seen.stdoutJson.error, 120)}`);
    if (seen.stdout) evidence.push(`stdout${seen.stdoutTruncated ? ' (truncated)' : ''}:`, excerpt(seen.stdout, 12, 700));
    if (seen.stderr) evidence.push(`stderr${seen.stderrTruncated ? ' (truncated)' : ''}:`, excerpt(seen.stderr, 6, 400));
    // The plan asked for JSON: output that is not JSON is a failed check, whatever the conditions read.
    const failure =
      seen.failure ?? (seen.stdoutJson && !seen.stdoutJson.ok ? `stdout is not JSON: ${clip(seen.stdoutJson.error, 120)}` : undefined);
    return { values, evidence, ...(failure ? { failure } : {}) };
  },

  async act(probe, ctx): Promise<StepResult> {
    const spec = { ...commandSpec(probe, ctx), json: false };
    const out = await runCommand(spec);
    const ok = !out.failure && out.exitCode === 0;
    const detail = out.failure ?? `exit ${out.exitCode}: ${(out.stdout + out.stderr).trim().slice(0, OUTPUT_MAX)}`;
    return { step: spec.argv.join(' '), ok, detail, durationMs: out.durationMs };
  },
};
