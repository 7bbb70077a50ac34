import { applyDecision, deadlineMs, decisionError, evaluateCriteria, evaluateCriterion, openCheckpoint } from '../../core/checkpoints';
import type { CheckResult, Decide, Release } from '../../core/messages';
import { initialState, NOTE_MAX, recordCheck, recordTierRun, type IncidentState, type WatchState } from '../../core/state';
import type { CriterionSpec, Outcome, Plan } from '../../plan/schema';
import { symphonyPlan } from '../helpers/plans';

const plan = symphonyPlan();
const release: Release = { service: 'symphony', version: 'v1.0', commit: 'a1b2c3d', deployedAt: '2025-01-01T00:00:00Z' };
const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

function fresh(p: Plan = plan): WatchState {
  return initialState('watch-1', p, release, 'test', T0);
}

function result(checkId: string, hour: number, outcome: Outcome, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    checkId,
    hour,
    outcome,
    reason: outcome,
    conditions: [],
    durationMs: 10,
    triggers: [],
    evidence: '',
    startedAt: new Date(T0 + hour * HOUR).toISOString(),
    ...extra,
  };
}

/** Runs `tier` at `hour` with every check of the tier giving `outcome` (or the override for one check). */
function runTier(state: WatchState, tier: string, hour: number, outcome: Outcome = 'ok', override: Record<string, Outcome> = {}): void {
  const results = plan.tiers[tier].checks.map((id) => result(id, hour, override[id] ?? outcome));
  for (const r of results) recordCheck(state, plan, r);
  recordTierRun(state, plan, tier, hour, results, false);
}

/** Every slot of the plan up to and including `last`, all ok unless `outcomeAt` says otherwise. */
function runUntil(state: WatchState, last: number, outcomeAt: (tier: string, hour: number) => Outcome = () => 'ok'): void {
  for (let h = 0; h <= last; h++) {
    for (const tier of Object.keys(plan.tiers)) {
      const t = plan.tiers[tier];
      const due = t.at ? t.at.includes(`${h}h`) : h % parseInt(t.every!, 10) === 0;
      if (due) runTier(state, tier, h, outcomeAt(tier, h));
    }
  }
}

function incident(extra: Partial<IncidentState>): IncidentState {
  return {
    id: 'INC-1',
    seq: 1,
    check: 'fast-pulse',
    severity: 'critical',
    category: 'availability',
    state: 'open',
    openedHour: 5,
    openedAt: T0 + 5 * HOUR,
    reason: 'services down',
    ...extra,
  };
}

function open(state: WatchState, name: string): void {
  const cp = state.checkpoints.find((c) => c.name === name)!;
  openCheckpoint(plan, state, cp, T0 + cp.hour * HOUR, HOUR);
}

const criterion = (name: string) => (cp: string) => plan.checkpoints.find((c) => c.name === cp)!.criteria.find((c) => c.name === name)!;

describe('decisionError', () => {
  const ready = (): WatchState => {
    const s = fresh();
    runUntil(s, 12);
    open(s, '12h');
    return s;
  };
  const ok: Decide = { checkpoint: '12h', decision: 'continue', by: 'duty-engineer' };

  it('accepts a valid decision', () => {
    expect(decisionError(plan, ready(), ok)).toBeUndefined();
    expect(decisionError(plan, ready(), { ...ok, decision: 'rollback', by: 'release-captain', note: 'just in case' })).toBeUndefined();
  });

  it('refuses a decision that is not an object', () => {
    expect(decisionError(plan, ready(), null as unknown as Decide)).toBe('a decision needs checkpoint, decision and by');
    expect(decisionError(plan, ready(), 'continue' as unknown as Decide)).toBe('a decision needs checkpoint, decision and by');
  });

  it.each([
    [{ ...ok, checkpoint: '' }, 'checkpoint is required'],
    [{ ...ok, checkpoint: '   ' }, 'checkpoint is required'],
    [{ checkpoint: '12h', by: 'duty-engineer' }, 'decision is required'],
    [{ ...ok, by: '' }, 'by is required'],
    [{ ...ok, by: 42 }, 'by is required'],
  ])('refuses empty fields: %j', (d, message) => {
    expect(decisionError(plan, ready(), d as unknown as Decide)).toBe(message);
  });

  it('refuses a note that is not text or too long', () => {
    expect(decisionError(plan, ready(), { ...ok, note: 5 } as unknown as Decide)).toBe('note must be text');
    expect(decisionError(plan, ready(), { ...ok, note: 'x'.repeat(NOTE_MAX) })).toBeUndefined();
    expect(decisionError(plan, ready(), { ...ok, note: 'x'.repeat(NOTE_MAX + 1) })).toBe(
      `note is too long (${NOTE_MAX + 1} characters, at most ${NOTE_MAX})`,
    );
  });

  it('refuses any decision once the watch has ended', () => {
    const s = ready();
    s.phase = 'released';
    expect(decisionError(plan, s, ok)).toBe('the watch has ended (released)');
  });

  it('refuses an unknown checkpoint, listing the known ones', () => {
    expect(decisionError(plan, ready(), { ...ok, checkpoint: '6h' })).toBe('no checkpoint "6h" (checkpoints: 12h, 24h, 48h)');
  });

  it('refuses a checkpoint that is not open yet', () => {
    expect(decisionError(plan, ready(), { ...ok, checkpoint: '24h', by: 'release-captain' })).toBe(
      'checkpoint "24h" is not open yet (it opens at hour 24)',
    );
  });

  it('refuses a checkpoint already decided', () => {
    const s = ready();
    applyDecision(plan, s, ok, T0 + 12.5 * HOUR, 12.5);
    expect(decisionError(plan, s, { ...ok, by: 'release-captain' })).toBe(
      'checkpoint "12h" was already decided: continue by duty-engineer',
    );
  });

  it('refuses a decision the checkpoint does not offer', () => {
    expect(decisionError(plan, ready(), { ...ok, decision: 'release' })).toBe(
      'decision "release" is not allowed at checkpoint "12h" (allowed: continue, escalate, rollback)',
    );
  });

  it('refuses an unknown person', () => {
    expect(decisionError(plan, ready(), { ...ok, by: 'mallory' })).toBe('unknown person "mallory"');
  });

  it('refuses a person who is not a decider of the checkpoint', () => {
    expect(decisionError(plan, ready(), { ...ok, by: 'rag-owner' })).toBe(
      'rag-owner may not decide checkpoint "12h" (deciders: release-captain, duty-engineer, duty-engineer-2)',
    );
  });

  it('refuses a gated decision while a criterion is unmet, and names what is unmet', () => {
    const s = fresh();
    runUntil(s, 23);
    runTier(s, 'hourly', 24);
    runTier(s, 'deep', 24);
    open(s, '24h');
    const d: Decide = { checkpoint: '24h', decision: 'reduce-monitoring', by: 'db-owner' };
    expect(decisionError(plan, s, d)).toBe(
      '"reduce-monitoring" needs every criterion met; unmet: Daily report generated and reviewed (no report written yet)',
    );
    // Ungated decisions at the same checkpoint are fine.
    expect(decisionError(plan, s, { ...d, decision: 'continue' })).toBeUndefined();
    // Once the report is written, the gate opens.
    s.reports.push({ hour: 24, kind: 'daily', path: 'reports/watch-1/day-1.md' });
    expect(decisionError(plan, s, d)).toBeUndefined();
  });

  it('requires the note for a release when the 48h checkpoint asks for lessons learned', () => {
    const s = fresh();
    runUntil(s, 48);
    open(s, '48h');
    const d: Decide = { checkpoint: '48h', decision: 'release', by: 'release-captain' };
    expect(decisionError(plan, s, d)).toBe(
      '"release" needs every criterion met; unmet: Lessons learned captured (the decider\'s note is required)',
    );
    expect(decisionError(plan, s, { ...d, note: 'Nothing broke; keep the 4h deep checks.' })).toBeUndefined();
  });
});

describe('applyDecision', () => {
  const NOW = T0 + 24.5 * HOUR;

  it('records the decision on the checkpoint', () => {
    const s = fresh();
    runUntil(s, 12);
    open(s, '12h');
    expect(
      applyDecision(plan, s, { checkpoint: '12h', decision: 'continue', by: 'duty-engineer', note: 'fine' }, T0 + 12.34 * HOUR, 12.34),
    ).toEqual([]);
    const cp = s.checkpoints[0];
    expect(cp).toMatchObject({
      state: 'decided',
      decision: 'continue',
      by: 'duty-engineer',
      note: 'fine',
      decidedAt: T0 + 12.34 * HOUR,
      decidedHour: 12.3,
    });
    expect(cp.deadlineAt).toBeUndefined();
    expect(cp.criteria?.every((c) => c.met)).toBe(true);
  });

  it('escalate notifies the escalation contact on call', () => {
    const s = fresh();
    open(s, '12h');
    expect(
      applyDecision(plan, s, { checkpoint: '12h', decision: 'escalate', by: 'duty-engineer', note: 'pulse slow' }, T0 + 12 * HOUR, 12),
    ).toEqual([{ kind: 'notify-escalation', to: 'release-captain', text: 'checkpoint 12h escalated by duty-engineer: pulse slow' }]);
  });

  it('reduce-monitoring sets the reduced cadence from the checkpoint hour', () => {
    const s = fresh();
    open(s, '24h');
    const effects = applyDecision(plan, s, { checkpoint: '24h', decision: 'reduce-monitoring', by: 'db-owner' }, NOW, 24.5);
    expect(s.schedule.cadence).toEqual({ hourly: { every: 2, since: 24 }, deep: { every: 8, since: 24 } });
    expect(s.schedule.endHour).toBe(48);
    expect(effects).toEqual([{ kind: 'cadence-reduced', text: 'monitoring reduced from hour 24: hourly every 2h, deep every 8h' }]);
  });

  it('extend adds extendBy hours and an extension checkpoint copying the final one', () => {
    const s = fresh();
    open(s, '48h');
    const effects = applyDecision(plan, s, { checkpoint: '48h', decision: 'extend', by: 'release-captain' }, T0 + 48 * HOUR, 48);
    expect(effects).toEqual([{ kind: 'extended', text: 'watch extended by 24h to hour 72' }]);
    expect(s.schedule.endHour).toBe(72);
    expect(s.checkpoints.map((c) => c.name)).toEqual(['12h', '24h', '48h', '48h-ext1']);
    expect(s.checkpoints[3]).toEqual({
      name: '48h-ext1',
      title: '48-Hour Final (extension 1)',
      hour: 72,
      state: 'upcoming',
      escalations: 0,
      basedOn: '48h',
    });
    expect(s.phase).toBe('watching');

    // The extension checkpoint decides like the one it copies, and may extend again.
    const ext = s.checkpoints[3];
    openCheckpoint(plan, s, ext, T0 + 72 * HOUR, HOUR);
    expect(decisionError(plan, s, { checkpoint: '48h-ext1', decision: 'continue', by: 'release-captain' })).toMatch(
      /not allowed at checkpoint "48h-ext1"/,
    );
    expect(decisionError(plan, s, { checkpoint: '48h-ext1', decision: 'extend', by: 'release-captain' })).toBeUndefined();
    applyDecision(plan, s, { checkpoint: '48h-ext1', decision: 'extend', by: 'release-captain' }, T0 + 72 * HOUR, 72);
    expect(s.schedule.endHour).toBe(96);
    expect(s.checkpoints[4]).toMatchObject({ name: '48h-ext2', hour: 96, basedOn: '48h', title: '48-Hour Final (extension 2)' });
  });

  it('release ends the watch as released', () => {
    const s = fresh();
    open(s, '48h');
    expect(
      applyDecision(plan, s, { checkpoint: '48h', decision: 'release', by: 'release-captain', note: 'lessons' }, T0 + 48 * HOUR, 48),
    ).toEqual([{ kind: 'ended', text: 'released to normal operations by release-captain' }]);
    expect(s.phase).toBe('released');
    expect(decisionError(plan, s, { checkpoint: '48h', decision: 'release', by: 'release-captain' })).toBe(
      'the watch has ended (released)',
    );
  });

  it('rollback asks for the rollback lever when the plan has one; the watch goes on until it has run', () => {
    const s = fresh();
    open(s, '12h');
    expect(
      applyDecision(plan, s, { checkpoint: '12h', decision: 'rollback', by: 'release-captain', note: 'bad build' }, T0 + 12 * HOUR, 12),
    ).toEqual([{ kind: 'rollback-lever', text: 'rollback requested by release-captain: bad build' }]);
    expect(s.phase).not.toBe('rollback-requested');
  });

  it('rollback without a rollback lever ends the watch asking for a rollback', () => {
    const { rollback: _gone, ...others } = plan.levers;
    const noLever = { ...plan, levers: others };
    const s = fresh();
    open(s, '12h');
    expect(
      applyDecision(noLever, s, { checkpoint: '12h', decision: 'rollback', by: 'release-captain', note: 'bad build' }, T0 + 12 * HOUR, 12),
    ).toEqual([{ kind: 'ended', text: 'rollback requested by release-captain: bad build' }]);
    expect(s.phase).toBe('rollback-requested');
  });
});

describe('openCheckpoint', () => {
  it('evaluates the criteria and sets the first escalation on the hour grid', () => {
    const s = fresh();
    runUntil(s, 12);
    const cp = s.checkpoints[0];
    // The checks of hour 12 finished 6 minutes late; the deadline still counts from hour 12.
    openCheckpoint(plan, s, cp, T0 + 12.1 * HOUR, HOUR);
    expect(cp.state).toBe('pending');
    expect(cp.openedAt).toBe(T0 + 12.1 * HOUR);
    expect(cp.deadlineAt).toBe(T0 + 13 * HOUR);
    expect(cp.criteria?.map((c) => c.met)).toEqual([true, true, true, true]);
  });

  it('scales the deadline with the watch hour', () => {
    const s = fresh();
    expect(deadlineMs(plan, s.checkpoints[1], 2500)).toBe(5000);
    expect(deadlineMs(plan, s.checkpoints[2], HOUR)).toBe(4 * HOUR);
  });
});

describe('evaluateCriterion', () => {
  describe('tier-passed', () => {
    const hourly = criterion('All hourly checks completed successfully')('12h');
    const strict: CriterionSpec = { ...hourly, allowWarn: false } as CriterionSpec;

    it('is met when every due run so far passed', () => {
      const s = fresh();
      runUntil(s, 12);
      expect(evaluateCriterion(plan, s, hourly, 12)).toEqual({ name: hourly.name, met: true, detail: '13/13 hourly runs passed' });
    });

    it('is unmet while runs due are missing', () => {
      const s = fresh();
      runUntil(s, 9);
      expect(evaluateCriterion(plan, s, hourly, 12)).toEqual({
        name: hourly.name,
        met: false,
        detail: '10/13 hourly runs passed; 3 not run yet',
      });
    });

    it('is unmet when a run failed, naming the hours', () => {
      const s = fresh();
      runUntil(s, 12, (tier, h) => (tier === 'hourly' && (h === 3 || h === 7) ? 'fail' : 'ok'));
      expect(evaluateCriterion(plan, s, hourly, 12)).toEqual({
        name: hourly.name,
        met: false,
        detail: '11/13 hourly runs passed; not passed at hours 3, 7',
      });
    });

    it('counts a warned run as passed unless allowWarn is false', () => {
      const s = fresh();
      runUntil(s, 12, (tier, h) => (tier === 'hourly' && h === 5 ? 'warn' : 'ok'));
      expect(evaluateCriterion(plan, s, hourly, 12).met).toBe(true);
      expect(evaluateCriterion(plan, s, strict, 12)).toEqual({
        name: hourly.name,
        met: false,
        detail: '12/13 hourly runs passed; not passed at hours 5',
      });
    });

    it('looks only at hours up to the checkpoint', () => {
      const s = fresh();
      runUntil(s, 14, (tier, h) => (tier === 'hourly' && h === 13 ? 'fail' : 'ok'));
      expect(evaluateCriterion(plan, s, hourly, 12).met).toBe(true);
      expect(evaluateCriterion(plan, s, hourly, 14).met).toBe(false);
    });

    it('expects fewer runs under a reduced cadence', () => {
      const s = fresh();
      runUntil(s, 24);
      s.schedule.cadence.hourly = { every: 2, since: 24 };
      for (let h = 26; h <= 48; h += 2) runTier(s, 'hourly', h);
      const c = criterion('Hourly pulse stable for 48h')('48h');
      expect(evaluateCriterion(plan, s, c, 48)).toEqual({ name: c.name, met: true, detail: '37/37 hourly runs passed' });
    });
  });

  describe('checks-passed', () => {
    const policy = criterion('Policy compliance maintained')('12h');
    const perf = criterion('Performance within SLA')('24h');

    it('is unmet while a check has not run', () => {
      const s = fresh();
      runTier(s, 'hourly', 0);
      expect(evaluateCriterion(plan, s, policy, 12)).toEqual({
        name: policy.name,
        met: false,
        detail: 'not run yet: policy-show, route-decision',
      });
    });

    it('is met when every check passed every run', () => {
      const s = fresh();
      runUntil(s, 12);
      expect(evaluateCriterion(plan, s, policy, 12)).toEqual({ name: policy.name, met: true, detail: 'all 3 passed every run' });
    });

    it('is unmet after any failure, with counts', () => {
      const s = fresh();
      runUntil(s, 12);
      recordCheck(s, plan, result('route-decision', 12, 'fail'));
      expect(evaluateCriterion(plan, s, policy, 12)).toEqual({
        name: policy.name,
        met: false,
        detail: 'not passed: route-decision (1 failed, 0 warned of 5)',
      });
    });

    it('counts warnings only when allowWarn is false', () => {
      const s = fresh();
      runUntil(s, 12);
      recordCheck(s, plan, result('log-watch', 12, 'warn'));
      expect(evaluateCriterion(plan, s, policy, 12).met).toBe(true);
      recordCheck(s, plan, result('fast-pulse', 12, 'warn'));
      expect(evaluateCriterion(plan, s, perf, 24)).toEqual({
        name: perf.name,
        met: false,
        detail: 'not passed: fast-pulse (0 failed, 1 warned of 14)',
      });
    });
  });

  describe('no-incidents', () => {
    const critical = criterion('No critical alerts triggered')('12h');
    const security = criterion('No security incidents')('24h');
    const any: CriterionSpec = { name: 'No incidents at all', kind: 'no-incidents' };

    it('is met with no incidents', () => {
      expect(evaluateCriterion(plan, fresh(), critical, 12)).toEqual({ name: critical.name, met: true, detail: 'none' });
    });

    it('filters by severity', () => {
      const s = fresh();
      s.incidents.push(incident({ id: 'INC-1', severity: 'high', check: 'policy-show', category: 'policy' }));
      expect(evaluateCriterion(plan, s, critical, 12).met).toBe(true);
      s.incidents.push(incident({ id: 'INC-2', severity: 'critical', check: 'fast-pulse', state: 'resolved', rootCause: 'oom' }));
      expect(evaluateCriterion(plan, s, critical, 12)).toEqual({ name: critical.name, met: false, detail: 'incidents INC-2 (fast-pulse)' });
      expect(evaluateCriterion(plan, s, any, 12)).toEqual({
        name: any.name,
        met: false,
        detail: 'incidents INC-1 (policy-show), INC-2 (fast-pulse)',
      });
    });

    it('filters by category', () => {
      const s = fresh();
      s.incidents.push(incident({ id: 'INC-1', category: 'availability' }));
      expect(evaluateCriterion(plan, s, security, 24).met).toBe(true);
      s.incidents.push(incident({ id: 'INC-2', category: 'security', check: 'log-watch', severity: 'high' }));
      expect(evaluateCriterion(plan, s, security, 24)).toEqual({ name: security.name, met: false, detail: 'incidents INC-2 (log-watch)' });
    });

    it('ignores incidents opened after the checkpoint hour', () => {
      const s = fresh();
      s.incidents.push(incident({ openedHour: 12.5 }));
      expect(evaluateCriterion(plan, s, critical, 12).met).toBe(true);
      expect(evaluateCriterion(plan, s, critical, 13).met).toBe(false);
    });
  });

  describe('report-written', () => {
    const c = criterion('Daily report generated and reviewed')('24h');

    it('needs a report at or before the hour', () => {
      const s = fresh();
      expect(evaluateCriterion(plan, s, c, 24)).toEqual({ name: c.name, met: false, detail: 'no report written yet' });
      s.reports.push({ hour: 24, kind: 'daily' });
      expect(evaluateCriterion(plan, s, c, 24)).toEqual({ name: c.name, met: true, detail: 'report of hour 24' });
      expect(evaluateCriterion(plan, s, c, 23).met).toBe(false);
    });
  });

  describe('budget-held', () => {
    const c = criterion('Budget compliance verified')('24h');

    it('is met with nothing spent', () => {
      expect(evaluateCriterion(plan, fresh(), c, 24)).toEqual({
        name: c.name,
        met: true,
        detail: 'nothing spent (ceiling 5.00 USD a day)',
      });
    });

    it('is met at the ceiling and unmet past it on any day', () => {
      const s = fresh();
      recordCheck(s, plan, result('route-decision', 0, 'ok', { cost: 3 }));
      recordCheck(s, plan, result('route-decision', 4, 'ok', { cost: 2 }));
      expect(evaluateCriterion(plan, s, c, 24)).toEqual({ name: c.name, met: true, detail: 'day 1: 5.00 (ceiling 5.00 USD a day)' });
      recordCheck(s, plan, result('log-watch', 30, 'ok', { cost: 5.5 }));
      expect(evaluateCriterion(plan, s, c, 48)).toEqual({
        name: c.name,
        met: false,
        detail: 'day 1: 5.00, day 2: 5.50 (ceiling 5.00 USD a day)',
      });
    });
  });

  describe('incidents-documented', () => {
    const c = criterion('Documentation updated with any issues found')('48h');

    it('is met with no incidents', () => {
      expect(evaluateCriterion(plan, fresh(), c, 48)).toEqual({ name: c.name, met: true, detail: '0 incident(s), all written up' });
    });

    it('needs every incident resolved with a root cause', () => {
      const s = fresh();
      s.incidents.push(incident({ id: 'INC-1', state: 'resolved', rootCause: 'disk full' }));
      s.incidents.push(incident({ id: 'INC-2', state: 'resolved' }));
      s.incidents.push(incident({ id: 'INC-3', state: 'acknowledged', rootCause: 'being looked at' }));
      expect(evaluateCriterion(plan, s, c, 48)).toEqual({
        name: c.name,
        met: false,
        detail: 'not yet resolved with a write-up: INC-2, INC-3',
      });
      s.incidents.splice(1, 2);
      expect(evaluateCriterion(plan, s, c, 48)).toEqual({ name: c.name, met: true, detail: '1 incident(s), all written up' });
    });
  });

  describe('note-given', () => {
    const c = criterion('Lessons learned captured')('48h');

    it.each([
      [undefined, false],
      ['', false],
      ['   ', false],
      ['Keep deep checks every 4h', true],
    ])('note %j → met %p', (note, met) => {
      const r = evaluateCriterion(plan, fresh(), c, 48, note);
      expect(r.met).toBe(met);
      expect(r.detail).toBe(met ? 'given with the decision' : "the decider's note is required");
    });
  });

  it('evaluateCriteria evaluates a checkpoint’s criteria in order', () => {
    const s = fresh();
    runUntil(s, 12);
    const results = evaluateCriteria(plan, s, s.checkpoints[0]);
    expect(results.map((r) => [r.name, r.met])).toEqual([
      ['All hourly checks completed successfully', true],
      ['No critical alerts triggered', true],
      ['Policy compliance maintained', true],
      ['Federation health confirmed', true],
    ]);
  });
});
