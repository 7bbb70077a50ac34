// Reports: one ReportData rendered as Markdown, JSON and a standalone HTML page with SVG charts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HTMLElement, parse, valid } from 'node-html-parser';
import { createReportWriters } from '../../activities/reports';

const { writeReport } = createReportWriters({});
import type { LeverRequest } from '../../core/levers';
import type { CheckResult, Release } from '../../core/messages';
import { buildReport, renderReportJson, renderReportMarkdown, ReportData, reportName } from '../../report/report';
import { renderReportHtml } from '../../report/html';
import { initialState, recordCheck, recordTierRun, type IncidentState, type WatchState } from '../../core/state';
import { incidentTiming, responseTimeBands, responseTimeBound, watchStatus, type WatchStatus } from '../../core/status';
import type { Outcome, Plan } from '../../plan/schema';
import { demoPlan, symphonyPlan } from '../helpers/plans';

const plan = symphonyPlan();
const release: Release = { service: 'symphony', version: 'v1.0', commit: 'a1b2c3d4e5f6', deployedAt: '2025-01-01T00:00:00Z' };
const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

function result(checkId: string, hour: number, outcome: Outcome, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    checkId,
    hour,
    outcome,
    reason: outcome === 'ok' ? 'all conditions hold' : `${checkId} ${outcome}`,
    conditions: [],
    durationMs: 10,
    triggers: [],
    evidence: '',
    startedAt: new Date(T0 + hour * HOUR).toISOString(),
    ...extra,
  };
}

/** Fast-pulse response time (ms) per hour: a slow patch at 13-14 and at 30, else 8-20 s. */
function pulseMs(hour: number): number {
  if (hour === 13) return 45_200;
  if (hour === 14) return 72_000;
  if (hour === 30) return 35_000;
  return 8_000 + ((hour * 7919) % 12_000);
}

function pulseOutcome(ms: number): Outcome {
  return ms < 30_000 ? 'ok' : ms <= 60_000 ? 'warn' : 'fail';
}

function outcomeOf(checkId: string, hour: number): { outcome: Outcome; extra: Partial<CheckResult> } {
  if (checkId === 'fast-pulse') {
    const ms = pulseMs(hour);
    return { outcome: pulseOutcome(ms), extra: { metric: ms, triggers: ms >= 30_000 ? ['performance-trend'] : [] } };
  }
  if (checkId === 'log-watch' && hour === 20) return { outcome: 'warn', extra: { cost: 0 } };
  if (checkId === 'orchestrator-status' && hour === 28) return { outcome: 'warn', extra: { reason: 'Federation peers online: 1 offline' } };
  // Route decisions cost 0.40 a run on day 1 and 1.00 on day 2 (over the 5.00 ceiling).
  if (checkId === 'route-decision') return { outcome: 'ok', extra: { cost: hour < 24 ? 0.4 : 1.0 } };
  if (checkId === 'dashboard-cards') return { outcome: 'ok', extra: { metric: 120 + hour } };
  return { outcome: 'ok', extra: {} };
}

/** Runs every slot of the Symphony plan from hour 0 to `last`, as the workflow would fold them. */
function runWatch(state: WatchState, last: number): void {
  for (let hour = 0; hour <= last; hour++) {
    for (const [tier, spec] of Object.entries(plan.tiers)) {
      const due = spec.at ? spec.at.includes(`${hour}h`) : hour % (spec.every === '4h' ? 4 : 1) === 0;
      if (!due) continue;
      const results = spec.checks.map((id) => {
        const { outcome, extra } = outcomeOf(id, hour);
        return result(id, hour, outcome, extra);
      });
      for (const r of results) recordCheck(state, plan, r);
      recordTierRun(state, plan, tier, hour, results, false);
    }
  }
}

function incident(seq: number, patch: Partial<IncidentState>): IncidentState {
  return {
    id: `watch-1/incident-${seq}`,
    seq,
    check: 'fast-pulse',
    severity: 'medium',
    category: 'availability',
    state: 'open',
    openedHour: 0,
    openedAt: T0,
    reason: 'failed',
    holder: 'duty-engineer',
    ...patch,
  };
}

/** A finished 48-hour watch: slow patches, three incidents, checkpoints decided, a lever, a lost notification. */
function finishedWatch(): { state: WatchState; status: WatchStatus } {
  const state = initialState('watch-1', plan, release, 'deploy-pipeline', T0);
  runWatch(state, 48);
  state.logPatterns = { timeouts: 4, cloud_model: 2, security_violation: 1 };
  state.cursors['log-watch'] = { files: { 'logs/triggers.log': { offset: 2048 } } };
  state.incidents.push(
    // Medium: acknowledged after 0.3 h (SLA 1 h): met.
    incident(1, {
      check: 'fast-pulse',
      severity: 'medium',
      state: 'resolved',
      openedHour: 14,
      openedAt: T0 + 14.1 * HOUR,
      ackedHour: 14.4,
      resolvedHour: 16.2,
      holder: 'duty-engineer-2',
      reason: 'Response time under 30s (alert over 60s): [RESPONSE_TIME] = 72s',
    }),
    // Critical security trigger: acknowledged after 0.9 h (SLA 15 min): missed.
    incident(2, {
      check: 'log-watch',
      severity: 'critical',
      category: 'security',
      state: 'resolved',
      openedHour: 20,
      openedAt: T0 + 20.1 * HOUR,
      ackedHour: 21,
      resolvedHour: 22.5,
      holder: 'release-captain',
      trigger: 'security-violation',
      reason: 'Security policy violation: security_violation seen',
    }),
    // High: never acknowledged, still open at the end: missed.
    incident(3, {
      check: 'orchestrator-status',
      severity: 'high',
      category: 'availability',
      state: 'open',
      openedHour: 28,
      openedAt: T0 + 28.1 * HOUR,
      holder: 'policy-steward',
      reason: 'Federation peers online: 1 offline',
    }),
  );
  const decide = (
    name: string,
    decision: WatchState['checkpoints'][number]['decision'] & string,
    by: string,
    hour: number,
    note?: string,
  ) => {
    const cp = state.checkpoints.find((c) => c.name === name)!;
    Object.assign(cp, {
      state: 'decided',
      decision,
      by,
      decidedHour: hour,
      decidedAt: T0 + hour * HOUR,
      note,
      criteria: [
        {
          name: 'All hourly checks completed successfully',
          met: name !== '12h',
          detail: name === '12h' ? '1 of 13 runs warned' : 'all passed',
        },
      ],
    });
    state.decisions.push({ checkpoint: name, decision, by, note, at: T0 + hour * HOUR, hour, via: 'update' });
  };
  decide('12h', 'continue', 'duty-engineer', 12.4, 'One slow pulse at h13 | watching <closely>.');
  decide('24h', 'continue', 'duty-engineer-2', 24.5);
  decide(
    '48h',
    'release',
    'release-captain',
    48.6,
    'Stable since h31.\nLessons: alert on federation peers earlier. <script>alert(1)</script>',
  );
  const lever: LeverRequest = {
    seq: 1,
    lever: 'restart-services',
    by: 'watch',
    reason: 'fast-pulse failing',
    automatic: true,
    requestedAt: T0 + 14.1 * HOUR,
    requestedHour: 14.1,
    state: 'done',
    finishedHour: 14.2,
    verify: { check: 'orchestrator-status', outcome: 'ok', reason: 'all conditions hold' },
  };
  state.levers.push(lever);
  state.findings.push({ day: 2, trigger: 'budget-overrun', description: 'Budget overruns', detail: 'spent 6.00 of 5.00 USD' });
  state.notifications = { sent: 17, undelivered: [{ eventId: 'incident-2:trigger', sink: 'slack', error: 'HTTP 500 after 8 attempts' }] };
  state.reports.push({ hour: 24, kind: 'daily', path: 'reports/watch-1/day-1.md' });
  state.phase = 'released';
  state.endedAt = T0 + 48.6 * HOUR;
  return { state, status: watchStatus(plan, state, T0 + 48.6 * HOUR, HOUR, 0) };
}

// ---- reading the Markdown back ----------------------------------------------------------------

/** The rows of the `index`-th table under `## title`, as cells (header and rule dropped). */
function mdTable(md: string, title: string, index = 0): string[][] {
  const start = md.indexOf(`\n## ${title}\n`);
  expect(start).toBeGreaterThan(-1);
  const end = md.indexOf('\n## ', start + 4);
  const lines = md.slice(start, end < 0 ? undefined : end).split('\n');
  const tables: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of lines) {
    if (line.startsWith('|')) {
      if (!current) tables.push((current = []));
      current.push(
        line
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .map((c) => c.trim()),
      );
    } else current = undefined;
  }
  return tables[index].slice(2);
}

function mdSection(md: string, title: string): string {
  const start = md.indexOf(`\n## ${title}\n`);
  const end = md.indexOf('\n## ', start + 4);
  return md.slice(start, end < 0 ? undefined : end);
}

const num = (text: string) => Number(text.replace(/[%a-zA-Z\s]/g, ''));

describe('response-time thresholds from the plan', () => {
  it('reads the upper bound of simple response-time conditions', () => {
    expect(responseTimeBound('[RESPONSE_TIME] < 30s')).toBe(30_000);
    expect(responseTimeBound('[RESPONSE_TIME] <= 60s')).toBe(60_000);
    expect(responseTimeBound(' [RESPONSE_TIME]<1m30s ')).toBe(90_000);
    expect(responseTimeBound('[RESPONSE_TIME] < 300')).toBe(300);
    expect(responseTimeBound('2s > [RESPONSE_TIME]')).toBe(2_000);
    expect(responseTimeBound('[RESPONSE_TIME] > 5s')).toBeUndefined();
    expect(responseTimeBound('[RESPONSE_TIME] < 30s and [STATUS] == 200')).toBeUndefined();
    expect(responseTimeBound('[STATUS] == 200')).toBeUndefined();
    expect(responseTimeBound(undefined)).toBeUndefined();
  });

  it('takes the pass and warn bands of the charted check: 30 s / 60 s, scaled to 1 s / 2 s in the demo', () => {
    expect(responseTimeBands(plan)).toEqual({
      check: 'fast-pulse',
      passMs: 30_000,
      warnMs: 60_000,
      pass: '[RESPONSE_TIME] < 30s',
      warn: '[RESPONSE_TIME] <= 60s',
    });
    expect(responseTimeBands(demoPlan())).toMatchObject({ check: 'fast-pulse', passMs: 1_000, warnMs: 2_000 });
  });

  it('falls back to no lines when the charted check has no response-time condition', () => {
    const noBands: Plan = { ...plan, checks: { 'dashboard-cards': plan.checks['dashboard-cards'] } };
    expect(responseTimeBands(noBands)).toEqual({ check: 'dashboard-cards' });
    expect(responseTimeBands({ ...plan, checks: { 'log-watch': plan.checks['log-watch'] } })).toBeUndefined();
  });
});

describe('incident timing', () => {
  const i = (patch: Partial<IncidentState>) => ({ severity: 'critical', openedHour: 10, ...patch });
  it('judges the ack SLA in watch hours', () => {
    expect(incidentTiming(plan, i({ ackedHour: 10.2 }), 10, 12)).toMatchObject({ ackSlaHours: 0.25, ackSla: 'met', durationHours: 2 });
    expect(incidentTiming(plan, i({ ackedHour: 10.4 }), 10, 12)).toMatchObject({ ackSla: 'missed' });
    // Resolved (recovered) before anyone acknowledged it, inside the SLA.
    expect(incidentTiming(plan, i({ resolvedHour: 10.2 }), 10, 12)).toMatchObject({ ackSla: 'met', durationHours: 0.2 });
    // Not answered: pending inside the SLA, missed past it.
    expect(incidentTiming(plan, i({}), 10, 10.2)).toMatchObject({ ackSla: 'pending', durationHours: 0.2 });
    expect(incidentTiming(plan, i({}), 10, 11)).toMatchObject({ ackSla: 'missed', durationHours: 1 });
    expect(incidentTiming(plan, i({ severity: 'low', ackedHour: 13.5 }), 10, 14)).toMatchObject({ ackSlaHours: 4, ackSla: 'met' });
    expect(incidentTiming(plan, i({ severity: 'unknown' }), 10, 14)).toEqual({ openedAtHour: 10, durationHours: 4 });
  });
});

describe('watch status for reports', () => {
  const { status } = finishedWatch();

  it('carries series, tier outcome hours, checks by category, trigger hits and levers', () => {
    expect(status.checks['fast-pulse'].series).toHaveLength(49);
    expect(status.checks['fast-pulse'].series[14]).toEqual([14, 2, 72_000]);
    expect(status.tiers.hourly).toMatchObject({ runs: 49, failedAt: [14], warnedAt: [13, 20, 30], checks: ['fast-pulse', 'log-watch'] });
    expect(status.responseTime).toMatchObject({ check: 'fast-pulse', passMs: 30_000, warnMs: 60_000 });
    const federation = status.categories.find((g) => g.category === 'federation')!.checks;
    expect(federation.map((c) => c.check)).toEqual(['federation-ping', 'federation-grep', 'federation-loopback']);
    expect(federation[0]).toMatchObject({ runs: 2, outcome: 'ok', hour: 48 });
    expect(status.categories.map((g) => g.category)).toEqual(['availability', 'policy', 'reporting', 'budget', 'federation']);
    expect(status.triggerHits['performance-trend']).toEqual({ 'day 1': 2, 'day 2': 1 });
    expect(status.incidents.map((i) => i.ackSla)).toEqual(['met', 'missed', 'missed']);
    expect(status.incidents.map((i) => i.durationHours)).toEqual([2.1, 2.4, 20.5]);
    expect(status.levers).toHaveLength(1);
    expect(status.logPatterns).toEqual({ timeouts: 4, cloud_model: 2, security_violation: 1 });
    expect(status.logOffsets).toEqual({ 'log-watch': { 'logs/triggers.log': 2048 } });
  });
});

/** A span as the report writes it ("15 min", "2.1 h") in watch hours. */
function hoursOf(text: string): number {
  const m = /^([\d.]+) (s|min|h|d)$/.exec(text);
  if (!m) throw new Error(`not a span: ${text}`);
  return Number(m[1]) * { s: 1 / 3600, min: 1 / 60, h: 1, d: 24 }[m[2] as 's' | 'min' | 'h' | 'd'];
}

describe('final report', () => {
  const { status } = finishedWatch();
  const data = buildReport(status, { kind: 'final', hour: 48.6 });
  const md = renderReportMarkdown(data);
  const html = renderReportHtml(data);
  const json = JSON.parse(renderReportJson(data, status)) as ReportData & { status: WatchStatus };
  if (process.env.REPORT_HTML_OUT) writeFileSync(process.env.REPORT_HTML_OUT, html);

  it('computes the numbers the protocol asks for', () => {
    expect(data.name).toBe('final');
    const hourly = data.tiers.find((t) => t.tier === 'hourly')!;
    expect(hourly).toMatchObject({ runs: 49, passed: 45, warned: 3, failed: 1, passRate: 91.8 });
    expect(data.tiers.find((t) => t.tier === 'deep')).toMatchObject({ runs: 13, passed: 12, warned: 1, passRate: 92.3 });
    expect(data.tiers.find((t) => t.tier === 'daily')).toMatchObject({ runs: 2, passed: 2, passRate: 100 });
    expect(data.tiersByDay.filter((d) => d.tier === 'hourly').map((d) => [d.day, d.runs, d.passed])).toEqual([
      [1, 24, 21],
      [2, 24, 24 - 1],
      [3, 1, 1],
    ]);
    expect(data.incidents).toMatchObject({ total: 3, open: 1, bySeverity: { medium: 1, critical: 1, high: 1 } });
    expect(data.sla).toMatchObject({ total: 3, met: 1, missed: 2, pending: 0, compliance: 33.3 });
    expect(data.budget!.days).toEqual([
      { day: 1, spent: 2.4, ceiling: 5, overBudget: false, percentOfCeiling: 48 },
      { day: 2, spent: 6, ceiling: 5, overBudget: true, percentOfCeiling: 120 },
      { day: 3, spent: 1, ceiling: 5, overBudget: false, percentOfCeiling: 20 },
    ]);
    expect(data.checkpoints.map((c) => [c.name, c.decision, c.by, c.decidedHour])).toEqual([
      ['12h', 'continue', 'duty-engineer', 12.4],
      ['24h', 'continue', 'duty-engineer-2', 24.5],
      ['48h', 'release', 'release-captain', 48.6],
    ]);
    expect(data.levers[0]).toMatchObject({ lever: 'restart-services', automatic: true, state: 'done', verify: 'orchestrator-status: ok' });
    expect(data.logs).toMatchObject({
      patternsRecorded: true,
      patterns: [
        { pattern: 'timeouts', count: 4 },
        { pattern: 'cloud_model', count: 2 },
        { pattern: 'security_violation', count: 1 },
      ],
    });
    expect(data.notifications.undelivered).toHaveLength(1);
  });

  it('writes the same numbers in the JSON as in the Markdown', () => {
    // The JSON is the ReportData plus the raw status.
    expect(json.status.watchId).toBe('watch-1');
    expect({ ...json, status: undefined }).toEqual(JSON.parse(JSON.stringify({ ...data, status: undefined })));

    // Tier runs and pass rates.
    const tierRows = mdTable(md, 'Tier runs');
    expect(tierRows.map((r) => r[0])).toEqual(json.tiers.map((t) => t.tier));
    for (const t of json.tiers) {
      const row = tierRows.find((r) => r[0] === t.tier)!;
      expect(row.slice(1, 6).map(Number)).toEqual([t.runs, t.passed, t.warned, t.failed, t.late]);
      expect(num(row[6])).toBe(t.passRate);
    }
    const byDay = mdTable(md, 'Tier runs', 1);
    expect(byDay.map((r) => [Number(r[0]), r[1], Number(r[2]), Number(r[3]), num(r[6])])).toEqual(
      json.tiersByDay.map((d) => [d.day, d.tier, d.runs, d.passed, d.passRate]),
    );

    // Incident counts, durations and SLA verdicts.
    expect(mdSection(md, 'Incidents')).toContain(
      `Incidents: ${json.incidents.total} (critical 1, high 1, medium 1); open: ${json.incidents.open}.`,
    );
    const incidentRows = mdTable(md, 'Incidents');
    expect(incidentRows).toHaveLength(json.incidents.total);
    expect(incidentRows.map((r) => [Number(r[0]), r[1], hoursOf(r[7]), hoursOf(r[8]), r[9], r[10]])).toEqual(
      json.incidents.items.map((i) => [i.seq, i.check, i.durationHours, i.ackSlaHours, i.ackSla, i.handledBy]),
    );

    // SLA compliance.
    const { met, missed, pending, compliance } = json.sla;
    expect(mdSection(md, 'SLA compliance')).toContain(
      `Acknowledged in time: ${met} of ${met + missed} decided (${compliance!.toFixed(1)}%); missed: ${missed}; pending: ${pending}.`,
    );
    const slaRows = mdTable(md, 'SLA compliance');
    expect(slaRows.map((r) => [r[0], Number(r[2]), Number(r[3]), Number(r[4]), num(r[6])])).toEqual(
      json.sla.bySeverity.map((s) => [s.severity, s.total, s.met, s.missed, s.compliance]),
    );

    // Budget per day.
    const budgetRows = mdTable(md, 'Budget per day');
    expect(budgetRows.map((r) => [Number(r[0]), num(r[1]), num(r[2]), r[4] === 'over budget'])).toEqual(
      json.budget!.days.map((d) => [d.day, d.spent, d.ceiling, d.overBudget]),
    );

    // Summary line.
    expect(md).toContain(`- Tier runs: ${json.summary.tierRuns}, pass rate ${json.summary.passRate!.toFixed(1)}%`);
    expect(md).toContain(
      `- Incidents: ${json.summary.incidents}, open ${json.summary.openIncidents}; SLA compliance ${json.summary.slaCompliance!.toFixed(1)}%`,
    );
  });

  it('shows checkpoint decisions, levers, checks by category, log triggers and undelivered notifications', () => {
    const cps = mdSection(md, 'Checkpoints');
    expect(cps).toContain('### 48-Hour Final (hour 48): decided — release by release-captain at h48.6');
    expect(cps).toContain('> Stable since h31.');
    expect(cps).toContain('> Lessons: alert on federation peers earlier. &lt;script>alert(1)&lt;/script>');
    expect(mdTable(md, 'Checkpoints')[0]).toEqual([
      'h12.4',
      new Date(T0 + 12.4 * HOUR).toISOString(),
      '12h',
      'continue',
      'duty-engineer',
      'update',
      'One slow pulse at h13 \\| watching &lt;closely>.',
    ]);
    expect(mdTable(md, 'Levers pulled')[0].slice(0, 7)).toEqual(['1', 'restart-services', 'h14.1', 'watch', 'yes', '', 'done']);
    expect(
      mdTable(md, 'Checks by category')
        .filter((r) => r[0] === 'federation')
        .map((r) => [r[1], r[3]]),
    ).toEqual([
      ['federation-ping', 'healthy'],
      ['federation-grep', 'not run yet'],
      ['federation-loopback', 'not run yet'],
    ]);
    expect(mdTable(md, 'Log patterns')).toEqual([
      ['`timeouts`', '4'],
      ['`cloud_model`', '2'],
      ['`security_violation`', '1'],
    ]);
    expect(mdTable(md, 'Log patterns', 2)).toContainEqual(['2', '`performance-trend`', '1']);
    expect(mdTable(md, 'Notifications')).toEqual([['`incident-2:trigger`', 'slack', 'HTTP 500 after 8 attempts']]);
  });

  it('renders a standalone HTML page that parses and holds both charts', () => {
    expect(valid(html)).toBe(true);
    const root = parse(html);
    expect(root.querySelectorAll('script')).toHaveLength(0);
    expect(root.querySelectorAll('link')).toHaveLength(0);
    expect(html).not.toMatch(/\bsrc=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(root.querySelector('title')!.text).toBe('Final report: symphony v1.0');

    // The response-time chart: one point per measured hour, the 30 s and 60 s lines labelled.
    const rt = root.querySelector('svg[data-chart="response-time"]')!;
    expect(rt).toBeTruthy();
    expect(rt.querySelectorAll('circle.point')).toHaveLength(49);
    expect(rt.querySelectorAll('circle.point-fail')).toHaveLength(1);
    expect(rt.querySelectorAll('circle.point-warn')).toHaveLength(2);
    const pass = rt.querySelector('g.threshold-pass')!;
    const warn = rt.querySelector('g.threshold-warn')!;
    expect(pass.getAttribute('data-threshold-ms')).toBe('30000');
    expect(warn.getAttribute('data-threshold-ms')).toBe('60000');
    expect(pass.querySelector('line')).toBeTruthy();
    expect(pass.querySelector('text')!.text).toContain('30 s');
    expect(warn.querySelector('text')!.text).toContain('60 s');
    const ticks = rt.querySelectorAll('text.tick-label').map((t) => t.text);
    expect(ticks).toEqual(['0h', '4h', '8h', '12h', '16h', '20h', '24h', '28h', '32h', '36h', '40h', '44h', '48h']);
    expect(rt.querySelector('circle.point-fail title')!.text).toBe('hour 14: 72 s (fail)');

    // The outcome strip: one row per tier, one cell per watch hour, each with a tooltip.
    const strip = root.querySelector('svg[data-chart="outcome-strip"]')!;
    const rows = strip.querySelectorAll('g.strip-row');
    expect(rows.map((r) => r.getAttribute('data-tier'))).toEqual(Object.keys(plan.tiers));
    for (const row of rows) {
      const cells = row.querySelectorAll('rect.cell');
      expect(cells).toHaveLength(49);
      for (const c of cells) expect(c.querySelector('title')!.text.length).toBeGreaterThan(0);
    }
    const hourly = rows[0] as HTMLElement;
    expect(hourly.querySelectorAll('rect.cell-ok')).toHaveLength(45);
    expect(hourly.querySelectorAll('rect.cell-warn')).toHaveLength(3);
    expect(hourly.querySelectorAll('rect.cell-fail')).toHaveLength(1);
    expect(hourly.querySelector('rect.cell-fail title')!.text).toBe('hourly, hour 14: fail — fast-pulse fail');
    expect(rows[2].querySelectorAll('rect.cell-ok')).toHaveLength(2);
    expect(rows[2].querySelectorAll('rect.cell-none')).toHaveLength(47);

    // The tables carry the same numbers, and people's text stays text.
    const tierTable = root.querySelector('section#tiers table')!;
    const hourlyRow = tierTable
      .querySelectorAll('tbody tr')[0]
      .querySelectorAll('td')
      .map((td) => td.text);
    expect(hourlyRow.slice(0, 7)).toEqual(['hourly', '49', '45', '3', '1', '0', '91.8%']);
    expect(root.querySelector('section#sla p')!.text).toContain('(33.3%)');
    const notes = root.querySelectorAll('section#checkpoints blockquote').map((q) => q.text);
    expect(notes.join('\n')).toContain('<script>alert(1)</script>');
  });
});

describe('daily report at hour 24', () => {
  const state = initialState('watch-1', plan, release, 'deploy-pipeline', T0);
  runWatch(state, 24);
  const status = watchStatus(plan, state, T0 + 24.2 * HOUR, HOUR, 0);
  const data = buildReport(status, { kind: 'daily', hour: 24 });

  it('is day 1, with the hours still to watch shown as such', () => {
    expect(reportName({ kind: 'daily', hour: 24 })).toBe('day-1');
    expect(data).toMatchObject({ name: 'day-1', day: 1, title: 'Daily report, day 1' });
    expect(data.incidents.total).toBe(0);
    expect(data.sla.compliance).toBeNull();
    const root = parse(renderReportHtml(data));
    const hourly = root.querySelector('svg[data-chart="outcome-strip"] g.strip-row[data-tier="hourly"]')!;
    expect(hourly.querySelectorAll('rect.cell-future')).toHaveLength(24);
    expect(root.querySelector('svg[data-chart="response-time"] rect.future')).toBeTruthy();
    expect(renderReportMarkdown(data)).toContain('Incidents: 0. None opened.');
  });
});

describe('writeReport', () => {
  it('writes the Markdown, the JSON and the HTML of one report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reports-'));
    const saved = process.env.RELEASE_WATCH_REPORTS;
    delete process.env.RELEASE_WATCH_REPORTS;
    try {
      const { status } = finishedWatch();
      const res = await writeReport({ kind: 'final', hour: 48.6, status, reportsDir: dir });
      expect(res).toEqual({
        path: join(dir, 'watch-1', 'final.md'),
        json: join(dir, 'watch-1', 'final.json'),
        html: join(dir, 'watch-1', 'final.html'),
      });
      const md = readFileSync(res.path, 'utf8');
      const json = JSON.parse(readFileSync(res.json, 'utf8'));
      expect(md).toMatch(/^# Final report: symphony v1.0/);
      expect(json).toMatchObject({
        format: 'release-watch/report@1',
        name: 'final',
        sla: { compliance: 33.3 },
        status: { watchId: 'watch-1' },
      });
      expect(valid(readFileSync(res.html, 'utf8'))).toBe(true);
    } finally {
      if (saved !== undefined) process.env.RELEASE_WATCH_REPORTS = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
