// runTier: a slot's checks side by side in one activity, each with its own result in the order asked,
// each bounded by its own timeout (a real command probe that hangs is cut off at it; a runner that
// never returns is given up after the grace), a probe that throws tried again and then failed alone.
import { createRunCheck } from '../../activities/checks';
import { createRunTier, type CheckRunner } from '../../activities/tiers';
import type { CheckResult, Release, TierRequest } from '../../core/messages';
import { Check, type CheckSpec } from '../../plan/schema';

const release: Release = { service: 'symphony', version: 'v1.0', deployedAt: '2025-01-01T00:00:00Z' };

const spec = (probe: Record<string, unknown>, conditions: unknown[] = ['[EXIT_CODE] == 0']) =>
  Check.parse({ description: 'a check', severity: 'high', category: 'availability', probe, conditions }) as CheckSpec;
const command = (argv: string[], timeout = '20s') => spec({ kind: 'command', argv, timeout });

function tier(checks: Record<string, CheckSpec>): TierRequest {
  return {
    watchId: 'watch-1',
    hour: 4,
    tiers: ['hourly', 'deep'],
    vars: { node: { default: [process.execPath] } },
    release,
    checks: Object.entries(checks).map(([checkId, check]) => ({ checkId, check, triggers: [] })),
  };
}

const ok = (checkId: string, hour: number): CheckResult => ({
  checkId,
  hour,
  outcome: 'ok',
  reason: 'all conditions hold',
  conditions: [],
  durationMs: 1,
  triggers: [],
  evidence: `evidence of ${checkId}`,
  startedAt: new Date().toISOString(),
});

test('every check runs at once, and each result comes back in the order asked', async () => {
  let inFlight = 0;
  let most = 0;
  const runner: CheckRunner = async (req) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight--;
    return ok(req.checkId, req.hour);
  };
  const checks = { c: command(['true']), a: command(['true']), b: command(['true']) };
  const { hour, results } = await createRunTier(runner)(tier(checks));
  expect(most).toBe(3);
  expect(hour).toBe(4);
  expect(results.map((r) => [r.checkId, r.hour, r.outcome, r.evidence])).toEqual([
    ['c', 4, 'ok', 'evidence of c'],
    ['a', 4, 'ok', 'evidence of a'],
    ['b', 4, 'ok', 'evidence of b'],
  ]);
});

test('real probes: a command that hangs is cut off at its own timeout, the others keep their results', async () => {
  const runTier = createRunTier(createRunCheck(process.env));
  const { results } = await runTier(
    tier({
      hung: command(['${node}', '-e', 'setTimeout(() => {}, 60000)'], '300ms'),
      fine: command(['${node}', '-e', 'process.exit(0)']),
      failing: command(['${node}', '-e', 'process.exit(3)']),
    }),
  );
  expect(results.map((r) => [r.checkId, r.outcome])).toEqual([
    ['hung', 'fail'],
    ['fine', 'ok'],
    ['failing', 'fail'],
  ]);
  expect(results[0].reason).toMatch(/timed out after 300ms/);
  expect(results[0].severity).toBe('high');
  expect(results[2].reason).toMatch(/EXIT_CODE/);
  for (const r of results) expect(Date.parse(r.startedAt)).not.toBeNaN();
});

test('a runner that never returns is given up after its timeout and the grace, as a failed check', async () => {
  const runner: CheckRunner = (req) =>
    req.checkId === 'stuck' ? new Promise<CheckResult>(() => undefined) : Promise.resolve(ok(req.checkId, req.hour));
  const { results } = await createRunTier(runner, { graceMs: 20, retryMs: 1 })(
    tier({ stuck: command(['true'], '50ms'), fine: command(['true']) }),
  );
  expect(results.map((r) => [r.checkId, r.outcome])).toEqual([
    ['stuck', 'fail'],
    ['fine', 'ok'],
  ]);
  expect(results[0]).toMatchObject({ severity: 'high', reason: 'probe timed out after 50ms and did not stop (given up 20ms later)' });
});

test('a probe that throws is tried again; one that keeps throwing fails alone', async () => {
  const calls: Record<string, number> = {};
  const runner: CheckRunner = async (req) => {
    calls[req.checkId] = (calls[req.checkId] ?? 0) + 1;
    if (req.checkId === 'flaky' && calls.flaky < 3) throw Object.assign(new Error('spawn EAGAIN'), { code: 'EAGAIN' });
    if (req.checkId === 'broken') throw new Error('spawn EMFILE');
    return ok(req.checkId, req.hour);
  };
  const { results } = await createRunTier(runner, { graceMs: 20, retryMs: 1 })(
    tier({ flaky: command(['true']), broken: command(['true']), fine: command(['true']) }),
  );
  expect(calls).toEqual({ flaky: 3, broken: 3, fine: 1 });
  expect(results.map((r) => [r.checkId, r.outcome, r.reason])).toEqual([
    ['flaky', 'ok', 'all conditions hold'],
    ['broken', 'fail', 'probe could not run: spawn EMFILE'],
    ['fine', 'ok', 'all conditions hold'],
  ]);
});
