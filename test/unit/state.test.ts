import type { CheckResult, Release } from '../../core/messages';
import { health, initialState, recordCheck, recordTierRun, SERIES_MAX, watchDay, worstOutcome, type WatchState } from '../../core/state';
import type { Outcome, Plan } from '../../plan/schema';
import { symphonyPlan } from '../helpers/plans';

const base = symphonyPlan();
const release: Release = { service: 'symphony', version: 'v1.0', commit: 'a1b2c3d', deployedAt: '2025-01-01T00:00:00Z' };
const T0 = 1_700_000_000_000;

/** The plan with one check's tolerance changed. */
function withCheck(id: string, patch: Partial<Plan['checks'][string]>): Plan {
  return { ...base, checks: { ...base.checks, [id]: { ...base.checks[id], ...patch } } };
}

function fresh(plan: Plan = base): WatchState {
  return initialState('watch-1', plan, release, 'test', T0);
}

function result(checkId: string, hour: number, outcome: Outcome, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    checkId,
    hour,
    outcome,
    reason: outcome === 'ok' ? 'all conditions hold' : `${outcome} at hour ${hour}`,
    conditions: [],
    durationMs: 10,
    triggers: [],
    evidence: outcome === 'ok' ? '' : `evidence ${hour}`,
    startedAt: new Date(T0 + hour * 3_600_000).toISOString(),
    ...extra,
  };
}

/** Records outcomes at hours 0, 1, 2 ... and returns the check's status after each. */
function statuses(state: WatchState, plan: Plan, checkId: string, outcomes: Outcome[]): string[] {
  return outcomes.map((o, hour) => {
    recordCheck(state, plan, result(checkId, hour, o));
    return state.checks[checkId].status;
  });
}

describe('initialState', () => {
  it('knows every tier, check and checkpoint of the plan', () => {
    const s = fresh();
    expect(Object.keys(s.tiers)).toEqual(['hourly', 'deep', 'daily']);
    expect(Object.keys(s.checks)).toEqual(Object.keys(base.checks));
    expect(s.checkpoints.map((c) => [c.name, c.hour, c.state])).toEqual([
      ['12h', 12, 'upcoming'],
      ['24h', 24, 'upcoming'],
      ['48h', 48, 'upcoming'],
    ]);
    expect(s.schedule).toEqual({ endHour: 48, cadence: {} });
    expect(s.phase).toBe('watching');
    expect(health(s)).toBe('healthy');
  });
});

describe('recordCheck streaks', () => {
  it('fails at the first failure with failAfter 1 (fast-pulse)', () => {
    const s = fresh();
    expect(recordCheck(s, base, result('fast-pulse', 0, 'ok'))).toEqual({ becameFailing: false, recovered: false });
    expect(recordCheck(s, base, result('fast-pulse', 1, 'fail', { severity: 'critical' }))).toEqual({
      becameFailing: true,
      recovered: false,
    });
    const c = s.checks['fast-pulse'];
    expect(c).toMatchObject({ status: 'failing', failStreak: 1, okStreak: 0, runs: 2, fails: 1, warns: 0, failSeverity: 'critical' });
    expect(health(s)).toBe('failing');
  });

  it('becomes failing only once while the failures go on', () => {
    const s = fresh();
    const transitions = [0, 1, 2].map((h) => recordCheck(s, base, result('fast-pulse', h, 'fail')));
    expect(transitions.map((t) => t.becameFailing)).toEqual([true, false, false]);
    expect(s.checks['fast-pulse'].failStreak).toBe(3);
  });

  it('takes the check severity when the result names none, the result severity when it does', () => {
    const s = fresh();
    recordCheck(s, base, result('log-watch', 0, 'fail'));
    expect(s.checks['log-watch'].failSeverity).toBe('high');
    recordCheck(s, base, result('log-watch', 1, 'fail', { severity: 'medium' }));
    expect(s.checks['log-watch'].failSeverity).toBe('medium');
  });

  it('shows failures below failAfter as a warning, then failing at the streak', () => {
    const plan = withCheck('fast-pulse', { failAfter: 3 });
    const s = fresh(plan);
    const seen = [0, 1, 2].map((h) => ({
      t: recordCheck(s, plan, result('fast-pulse', h, 'fail')),
      status: s.checks['fast-pulse'].status,
    }));
    expect(seen.map((x) => x.status)).toEqual(['warning', 'warning', 'failing']);
    expect(seen.map((x) => x.t.becameFailing)).toEqual([false, false, true]);
    expect(s.checks['fast-pulse'].failSeverity).toBe('critical');
  });

  it('resets the failure streak on a pass or a warning', () => {
    const plan = withCheck('fast-pulse', { failAfter: 2 });
    const s = fresh(plan);
    expect(statuses(s, plan, 'fast-pulse', ['fail', 'ok', 'fail', 'warn', 'fail'])).toEqual([
      'warning',
      'healthy',
      'warning',
      'warning',
      'warning',
    ]);
    expect(s.checks['fast-pulse']).toMatchObject({ runs: 5, fails: 3, warns: 1, failStreak: 1 });
  });

  it('recovers only after recoverAfter passes in a row (fast-pulse: 2)', () => {
    const s = fresh();
    recordCheck(s, base, result('fast-pulse', 0, 'fail'));
    const first = recordCheck(s, base, result('fast-pulse', 1, 'ok'));
    expect(first).toEqual({ becameFailing: false, recovered: false });
    expect(s.checks['fast-pulse'].status).toBe('failing');
    const second = recordCheck(s, base, result('fast-pulse', 2, 'ok'));
    expect(second).toEqual({ becameFailing: false, recovered: true });
    expect(s.checks['fast-pulse']).toMatchObject({ status: 'healthy', okStreak: 2, failStreak: 0, failSeverity: undefined });
  });

  it('counts a warning towards recovery, and recovers to warning status', () => {
    const s = fresh();
    recordCheck(s, base, result('fast-pulse', 0, 'fail'));
    recordCheck(s, base, result('fast-pulse', 1, 'warn'));
    expect(recordCheck(s, base, result('fast-pulse', 2, 'warn')).recovered).toBe(true);
    expect(s.checks['fast-pulse'].status).toBe('warning');
  });

  it('restarts the recovery count after a new failure', () => {
    const plan = withCheck('fast-pulse', { recoverAfter: 3 });
    const s = fresh(plan);
    expect(statuses(s, plan, 'fast-pulse', ['fail', 'ok', 'ok', 'fail', 'ok', 'ok', 'ok'])).toEqual([
      'failing',
      'failing',
      'failing',
      'failing',
      'failing',
      'failing',
      'healthy',
    ]);
  });

  it('recovers at the first pass with recoverAfter 1 (log-watch)', () => {
    const s = fresh();
    recordCheck(s, base, result('log-watch', 0, 'fail'));
    expect(recordCheck(s, base, result('log-watch', 1, 'ok')).recovered).toBe(true);
    expect(s.checks['log-watch'].status).toBe('healthy');
  });

  it('shows a warn result as warning status and degraded health, never as failing', () => {
    const s = fresh();
    expect(recordCheck(s, base, result('fast-pulse', 0, 'warn'))).toEqual({ becameFailing: false, recovered: false });
    expect(s.checks['fast-pulse']).toMatchObject({ status: 'warning', warns: 1, fails: 0, okStreak: 1, failStreak: 0 });
    expect(health(s)).toBe('degraded');
    recordCheck(s, base, result('fast-pulse', 1, 'ok'));
    expect(s.checks['fast-pulse'].status).toBe('healthy');
    expect(health(s)).toBe('healthy');
  });

  it('keeps the last result, and the evidence of the last run that was not ok', () => {
    const s = fresh();
    recordCheck(s, base, result('fast-pulse', 0, 'warn', { evidence: 'slow: 45s' }));
    recordCheck(s, base, result('fast-pulse', 1, 'ok', { evidence: 'fine' }));
    expect(s.checks['fast-pulse'].evidence).toBe('slow: 45s');
    expect(s.checks['fast-pulse'].last).toEqual({
      hour: 1,
      outcome: 'ok',
      reason: 'all conditions hold',
      severity: undefined,
      durationMs: 10,
    });
  });
});

describe('recordCheck series', () => {
  it('records [hour, 0|1|2, metric or null]', () => {
    const s = fresh();
    recordCheck(s, base, result('fast-pulse', 0, 'ok', { metric: 1200 }));
    recordCheck(s, base, result('fast-pulse', 1, 'warn', { metric: 45_000 }));
    recordCheck(s, base, result('fast-pulse', 2, 'fail'));
    expect(s.checks['fast-pulse'].series).toEqual([
      [0, 0, 1200],
      [1, 1, 45_000],
      [2, 2, null],
    ]);
  });

  it(`is bounded to SERIES_MAX (${SERIES_MAX}), dropping the oldest`, () => {
    const s = fresh();
    const n = SERIES_MAX + 30;
    for (let h = 0; h < n; h++) recordCheck(s, base, result('fast-pulse', h, 'ok', { metric: h }));
    const series = s.checks['fast-pulse'].series;
    expect(series).toHaveLength(SERIES_MAX);
    expect(series[0]).toEqual([30, 0, 30]);
    expect(series[series.length - 1]).toEqual([n - 1, 0, n - 1]);
    expect(s.checks['fast-pulse'].runs).toBe(n);
  });
});

describe('recordCheck spend and trigger hits', () => {
  it('adds cost to the watch day of the hour (day 1 = hours 0-23), rounded to cents', () => {
    const s = fresh();
    recordCheck(s, base, result('route-decision', 0, 'ok', { cost: 0.1 }));
    recordCheck(s, base, result('route-decision', 4, 'ok', { cost: 0.2 }));
    recordCheck(s, base, result('log-watch', 23, 'ok', { cost: 0.333 }));
    recordCheck(s, base, result('log-watch', 24, 'ok', { cost: 2 }));
    recordCheck(s, base, result('log-watch', 47, 'ok', { cost: 0.5 }));
    recordCheck(s, base, result('log-watch', 48, 'ok', { cost: 0.25 }));
    expect(s.spend).toEqual({ 1: 0.63, 2: 2.5, 3: 0.25 });
  });

  it('ignores a missing or non-finite cost', () => {
    const s = fresh();
    recordCheck(s, base, result('route-decision', 0, 'ok'));
    recordCheck(s, base, result('route-decision', 1, 'ok', { cost: Number.NaN }));
    recordCheck(s, base, result('route-decision', 2, 'ok', { cost: Number.POSITIVE_INFINITY }));
    expect(s.spend).toEqual({});
  });

  it('counts trigger hits per trigger and watch day', () => {
    const s = fresh();
    recordCheck(s, base, result('fast-pulse', 1, 'warn', { triggers: ['performance-trend'] }));
    recordCheck(s, base, result('fast-pulse', 2, 'warn', { triggers: ['performance-trend'] }));
    recordCheck(s, base, result('log-watch', 2, 'ok', { triggers: ['unusual-usage'] }));
    recordCheck(s, base, result('fast-pulse', 25, 'fail', { triggers: ['performance-trend'] }));
    expect(s.triggerHits).toEqual({ 'performance-trend': { 1: 2, 2: 1 }, 'unusual-usage': { 1: 1 } });
  });

  it('keeps the cursor a probe returned (a log probe: where it stopped in each file)', () => {
    const s = fresh();
    const cursor = { files: { 'logs/triggers.log': { offset: 120 } } };
    recordCheck(s, base, result('log-watch', 0, 'ok', { cursor }));
    expect(s.cursors['log-watch']).toEqual(cursor);
    recordCheck(s, base, result('log-watch', 1, 'ok'));
    expect(s.cursors['log-watch']).toEqual(cursor);
  });

  it('sums the pattern matches of every log run, leaving out patterns that never matched', () => {
    const s = fresh();
    const log = (patterns: Record<string, number>) => ({
      lines: 10,
      counts: { normal: 0, warning: 0, alert: 0 },
      patterns,
      samples: { normal: [], warning: [], alert: [] },
      rotated: [],
      cursor: { files: {} },
    });
    recordCheck(s, base, result('log-watch', 0, 'ok', { log: log({ timeouts: 2, cloud_model: 0 }) }));
    recordCheck(s, base, result('log-watch', 1, 'warn', { log: log({ timeouts: 1, cloud_model: 3 }) }));
    recordCheck(s, base, result('log-watch', 2, 'ok', { log: log({ timeouts: 0, cloud_model: 0 }) }));
    expect(s.logPatterns).toEqual({ timeouts: 3, cloud_model: 3 });
  });

  it('numbers watch days from 1', () => {
    expect([0, 23, 23.9, 24, 47, 48, 72].map(watchDay)).toEqual([1, 1, 1, 2, 2, 3, 4]);
  });
});

describe('dry-run checks', () => {
  const plan = withCheck('dashboard-cards', { dryRun: true });

  it('never report becameFailing, whatever they record', () => {
    const s = fresh(plan);
    const transitions = [0, 1, 2, 3].map((h) => recordCheck(s, plan, result('dashboard-cards', h, 'fail')));
    expect(transitions.every((t) => !t.becameFailing)).toBe(true);
    expect(s.checks['dashboard-cards']).toMatchObject({ runs: 4, fails: 4, failStreak: 4 });
  });

  it('do not count towards their tier', () => {
    const s = fresh(plan);
    const results = ['orchestrator-status', 'policy-show', 'route-decision', 'dashboard-refresh'].map((id) => result(id, 0, 'ok'));
    expect(recordTierRun(s, plan, 'deep', 0, [...results, result('dashboard-cards', 0, 'fail')], false)).toBe('ok');
    expect(s.tiers.deep).toMatchObject({ runs: 1, passed: 1, failed: 0, failedAt: [] });
  });
});

describe('recordTierRun', () => {
  it('folds the worst outcome of the tier checks, ignoring results of other checks', () => {
    const s = fresh();
    expect(recordTierRun(s, base, 'hourly', 0, [result('fast-pulse', 0, 'ok'), result('log-watch', 0, 'ok')], false)).toBe('ok');
    expect(recordTierRun(s, base, 'hourly', 1, [result('fast-pulse', 1, 'warn'), result('log-watch', 1, 'ok')], true)).toBe('warn');
    expect(recordTierRun(s, base, 'hourly', 2, [result('fast-pulse', 2, 'warn'), result('log-watch', 2, 'fail')], false)).toBe('fail');
    expect(recordTierRun(s, base, 'hourly', 3, [result('fast-pulse', 3, 'ok'), result('policy-show', 3, 'fail')], false)).toBe('ok');
    expect(s.tiers.hourly).toEqual({
      runs: 4,
      passed: 2,
      warned: 1,
      failed: 1,
      ranAt: [0, 1, 2, 3],
      failedAt: [2],
      warnedAt: [1],
      lastHour: 3,
      lastOutcome: 'ok',
      late: 1,
    });
  });

  it('orders outcomes ok < warn < fail', () => {
    expect(worstOutcome([])).toBe('ok');
    expect(worstOutcome(['ok', 'warn', 'ok'])).toBe('warn');
    expect(worstOutcome(['fail', 'warn'])).toBe('fail');
  });
});
