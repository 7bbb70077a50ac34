// The check activity: resolve the probe's vars, run it, judge its values against the
// check's conditions. A service that answers badly gives a failed result, never a throw;
// only our own infrastructure faults throw, so Temporal retries them.
import { performance } from 'node:perf_hooks';
import { clip, formatMs, holds, judge, valueOf, type ProbeValues } from '../core/conditions';
import type { CheckRequest, CheckResult, LogSummary } from '../core/messages';
import { resolveArgv, resolveDeep, resolveText, VarError, type Env } from '../core/vars';
import { parseDuration } from '../plan/duration';
import type { ProbeSpec } from '../plan/schema';
import { runCommand, type CommandObservation, type CommandSpec } from './probes/command';
import { probeHttp, type HttpObservation, type HttpRequestSpec } from './probes/http';
import { readLogs, type LogObservation, type LogReadSpec } from './probes/log';
import { cancellationSignal, isResourceExhaustion } from './probes/runtime';

const MAX_EVIDENCE = 2_000;

export async function runCheck(req: CheckRequest): Promise<CheckResult> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const { check } = req;
  const observation = await observe(req, process.env);
  const verdict = judge(check.conditions, observation.values, check.severity);
  const outcome = observation.failure ? 'fail' : verdict.outcome;
  const severity = outcome === 'ok' ? undefined : verdict.outcome === outcome ? verdict.severity : check.severity;
  const metric = check.metric === undefined ? undefined : valueOf(check.metric, observation.values);
  const cost = check.cost === undefined ? undefined : valueOf(check.cost, observation.values);
  const failing = verdict.conditions.filter((c) => c.outcome !== 'ok');
  return {
    checkId: req.checkId,
    hour: req.hour,
    outcome,
    ...(severity ? { severity } : {}),
    reason: observation.failure ?? verdict.reason,
    conditions: verdict.conditions,
    durationMs: performance.now() - started,
    ...(metric !== undefined ? { metric } : {}),
    ...(cost !== undefined ? { cost } : {}),
    triggers: (req.triggers ?? []).filter((t) => holds(t.when, observation.values)).map((t) => t.name),
    evidence: clip(
      [
        ...(observation.failure ? [`probe: ${observation.failure}`] : []),
        ...failing.map((c) => `${c.outcome}: ${c.name}${c.detail ? ` (${c.detail})` : ''}`),
        ...observation.evidence,
      ].join('\n'),
      MAX_EVIDENCE,
    ),
    ...(observation.log ? { log: observation.log } : {}),
    startedAt,
  };
}

/** For the worker: `worker.activities = { ...createCheckActivities(), ... }`. */
export function createCheckActivities(): { runCheck: typeof runCheck } {
  return { runCheck };
}

// ---- observing --------------------------------------------------------------------------------

interface Observation {
  values: ProbeValues;
  /** Why the probe gave no proper answer; the check fails with this reason. */
  failure?: string;
  evidence: string[];
  log?: LogSummary;
}

async function observe(req: CheckRequest, env: Env): Promise<Observation> {
  try {
    return await observeProbe(req.check.probe, req, env);
  } catch (err) {
    if (isResourceExhaustion(err) || cancellationSignal()?.aborted) throw err;
    const failure = err instanceof VarError ? `cannot resolve the probe: ${err.message}` : `probe error: ${(err as Error).message}`;
    return { values: {}, failure, evidence: [] };
  }
}

async function observeProbe(probe: ProbeSpec, req: CheckRequest, env: Env): Promise<Observation> {
  const resolve = (text: string) => resolveText(text, req.vars, env, req.release);
  switch (probe.kind) {
    case 'http': {
      const spec: HttpRequestSpec = {
        method: probe.method,
        url: resolve(probe.url),
        headers: resolveDeep(probe.headers, req.vars, env, req.release) as Record<string, string>,
        body: resolveDeep(probe.body, req.vars, env, req.release),
        timeoutMs: parseDuration(probe.timeout),
        ...(probe.sign ? { sign: probe.sign } : {}),
        maxBodyBytes: probe.maxBodyBytes,
      };
      return httpObservation(spec, await probeHttp(spec));
    }
    case 'command': {
      const spec: CommandSpec = {
        argv: resolveArgv(probe.argv, req.vars, env, req.release),
        shell: probe.shell,
        ...(probe.cwd !== undefined ? { cwd: resolve(probe.cwd) } : {}),
        env: Object.fromEntries(Object.entries(probe.env).map(([k, v]) => [k, resolve(v)])),
        timeoutMs: parseDuration(probe.timeout),
        json: probe.json,
        maxOutputBytes: probe.maxOutputBytes,
      };
      return commandObservation(spec, await runCommand(spec));
    }
    case 'log': {
      const spec: LogReadSpec = {
        files: probe.files.map((f) => ({ path: resolve(f.path), written: f.path, optional: f.optional })),
        classes: probe.classes,
        ...(probe.costField !== undefined ? { costField: probe.costField } : {}),
        samples: probe.samples,
        maxBytesPerRun: probe.maxBytesPerRun,
      };
      return logObservation(await readLogs(spec, req.logCursor, req.logFromEnd ?? false));
    }
  }
}

function httpObservation(spec: HttpRequestSpec, seen: HttpObservation): Observation {
  const values: ProbeValues = { RESPONSE_TIME: seen.responseTimeMs };
  if (seen.status !== undefined) values.STATUS = seen.status;
  if (seen.failure === undefined) values.BODY = seen.body;
  const evidence = [`${spec.method} ${spec.url} → ${seen.status ?? 'no answer'} in ${formatMs(seen.responseTimeMs)}`];
  if (seen.bodyText) {
    evidence.push(`body${seen.bodyTruncated ? ` (truncated at ${spec.maxBodyBytes} bytes)` : ''}${seen.bodyIsJson ? '' : ', not JSON'}:`);
    evidence.push(excerpt(seen.bodyText, 12, 800));
  }
  return { values, evidence, ...(seen.failure ? { failure: seen.failure } : {}) };
}

function commandObservation(spec: CommandSpec, seen: CommandObservation): Observation {
  const values: ProbeValues = { RESPONSE_TIME: seen.durationMs, STDOUT: seen.stdout, STDERR: seen.stderr };
  if (seen.exitCode !== undefined) values.EXIT_CODE = seen.exitCode;
  if (seen.stdoutJson?.ok) values.STDOUT = seen.stdoutJson.value;
  const evidence = [clip(`$ ${spec.argv.map(quoteArg).join(' ')}`, 200)];
  if (seen.exitCode !== undefined) {
    evidence.push(`exit ${seen.exitCode}${seen.signal ? ` (${seen.signal})` : ''} in ${formatMs(seen.durationMs)}`);
  }
  if (seen.stdoutJson && !seen.stdoutJson.ok) evidence.push(`stdout is not JSON: ${clip(seen.stdoutJson.error, 120)}`);
  if (seen.stdout) evidence.push(`stdout${seen.stdoutTruncated ? ' (truncated)' : ''}:`, excerpt(seen.stdout, 12, 700));
  if (seen.stderr) evidence.push(`stderr${seen.stderrTruncated ? ' (truncated)' : ''}:`, excerpt(seen.stderr, 6, 400));
  // The plan asked for JSON: output that is not JSON is a failed check, whatever the conditions read.
  const failure = seen.failure ?? (seen.stdoutJson && !seen.stdoutJson.ok ? `stdout is not JSON: ${clip(seen.stdoutJson.error, 120)}` : undefined);
  return { values, evidence, ...(failure ? { failure } : {}) };
}

function logObservation(seen: LogObservation): Observation {
  const { summary } = seen;
  const values: ProbeValues = {
    RESPONSE_TIME: seen.durationMs,
    LOG: { ...summary.counts, patterns: summary.patterns, lines: summary.lines, cost: summary.cost ?? 0 },
  };
  const { alert, warning, normal } = summary.counts;
  const evidence = [`${summary.lines} new lines: ${alert} alert, ${warning} warning, ${normal} normal`];
  if (summary.rotated.length) evidence.push(`rotated or truncated, read from the start: ${summary.rotated.join(', ')}`);
  for (const logClass of ['alert', 'warning'] as const) {
    for (const line of summary.samples[logClass]) evidence.push(`${logClass}: ${clip(line, 300)}`);
  }
  return { values, evidence, log: summary, ...(seen.failure ? { failure: seen.failure } : {}) };
}

/** The first lines of an output, each and all bounded, indented under their heading. */
function excerpt(text: string, maxLines: number, maxChars: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const shown: string[] = [];
  let size = 0;
  for (const line of lines.slice(0, maxLines)) {
    const entry = `  ${clip(line, 160)}`;
    if (size + entry.length > maxChars) break;
    shown.push(entry);
    size += entry.length + 1;
  }
  if (shown.length < lines.length) shown.push(`  … ${lines.length - shown.length} more lines`);
  return shown.join('\n');
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg);
}
