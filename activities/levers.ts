// Pulling an emergency lever: the plan's steps in order (commands or HTTP calls), stopping at the
// first that fails. A step that fails is a result, not an exception: the watch records it.
import { Context } from '@temporalio/activity';
import type { Release } from '../core/messages';
import { resolveArgv, resolveDeep, resolveText, VarError } from '../core/vars';
import { parseDuration } from '../plan/duration';
import type { Plan, StepSpec } from '../plan/schema';
import { runCommand } from './probes/command';
import { probeHttp } from './probes/http';

export interface LeverRequestInput {
  lever: string;
  steps: StepSpec[];
  vars: Plan['vars'];
  release: Release;
}

export interface StepResult {
  step: string;
  ok: boolean;
  detail: string;
  durationMs: number;
}

export interface LeverResult {
  ok: boolean;
  steps: StepResult[];
}

const OUTPUT_MAX = 500;

export async function pullLever(req: LeverRequestInput): Promise<LeverResult> {
  const steps: StepResult[] = [];
  for (const spec of req.steps) {
    const result = await runStep(spec, req);
    steps.push(result);
    heartbeat(steps.length);
    if (!result.ok) break;
  }
  return { ok: steps.length === req.steps.length && steps.every((s) => s.ok), steps };
}

async function runStep(spec: StepSpec, req: LeverRequestInput): Promise<StepResult> {
  const env = process.env;
  try {
    if (spec.kind === 'command') {
      const argv = resolveArgv(spec.argv, req.vars, env, req.release);
      const out = await runCommand({
        argv,
        shell: spec.shell,
        cwd: spec.cwd === undefined ? undefined : resolveText(spec.cwd, req.vars, env, req.release),
        env: spec.env,
        timeoutMs: parseDuration(spec.timeout),
        json: false,
        maxOutputBytes: spec.maxOutputBytes,
      });
      const ok = !out.failure && out.exitCode === 0;
      const detail = out.failure ?? `exit ${out.exitCode}: ${(out.stdout + out.stderr).trim().slice(0, OUTPUT_MAX)}`;
      return { step: argv.join(' '), ok, detail, durationMs: out.durationMs };
    }
    const url = resolveText(spec.url, req.vars, env, req.release);
    const out = await probeHttp({
      method: spec.method,
      url,
      headers: resolveDeep(spec.headers, req.vars, env, req.release) as Record<string, string>,
      body: resolveDeep(spec.body, req.vars, env, req.release),
      timeoutMs: parseDuration(spec.timeout),
      sign: spec.sign,
      maxBodyBytes: spec.maxBodyBytes,
    });
    const ok = !out.failure && out.status !== undefined && out.status < 400;
    return { step: `${spec.method} ${url}`, ok, detail: out.failure ?? `HTTP ${out.status}: ${out.bodyText.slice(0, OUTPUT_MAX)}`, durationMs: out.responseTimeMs };
  } catch (err) {
    if (err instanceof VarError) return { step: spec.kind, ok: false, detail: err.message, durationMs: 0 };
    throw err;
  }
}

function heartbeat(done: number): void {
  try {
    Context.current().heartbeat(done);
  } catch {
    // called outside an activity (tests)
  }
}
