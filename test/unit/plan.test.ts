import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { formatPlanError, loadPlan, PlanInvalid, validatePlanObject, validatePlanText } from '../../plan/validate';
import { PLANS } from '../helpers/plans';

const SYMPHONY = join(PLANS, 'symphony-orchestra.yaml');
const DEMO = join(PLANS, 'demo.yaml');
const DECISIONS = 'continue, escalate, reduce-monitoring, extend, release, rollback';
const LEVERS = 'kill-switch, conservative-mode, restart-services, rollback';

type Raw = any;
const raw: Raw = parse(readFileSync(SYMPHONY, 'utf8'));

/** The `path: message` lines of the Symphony plan after `mutate`. */
function errorsAfter(mutate: (plan: Raw) => void): string[] {
  const plan = structuredClone(raw);
  mutate(plan);
  const result = validatePlanObject(plan);
  return result.ok ? [] : result.errors.map(formatPlanError);
}

describe('the committed plans', () => {
  it('symphony-orchestra.yaml validates', () => {
    const result = validatePlanText(readFileSync(SYMPHONY, 'utf8'), SYMPHONY);
    expect(result.ok ? [] : result.errors.map(formatPlanError)).toEqual([]);
    const plan = loadPlan(SYMPHONY);
    expect(plan.name).toBe('symphony-orchestra');
    expect(Object.keys(plan.tiers)).toEqual(['hourly', 'deep', 'daily']);
    expect(plan.checkpoints.map((c) => c.name)).toEqual(['12h', '24h', '48h']);
  });

  it('fills in defaults', () => {
    const plan = loadPlan(SYMPHONY);
    expect(plan.checks['dashboard-cards'].probe).toMatchObject({ kind: 'http', method: 'GET', headers: {}, maxBodyBytes: 65_536 });
    expect(plan.checks['orchestrator-status']).toMatchObject({ failAfter: 1, recoverAfter: 2, dryRun: false });
    expect(plan.checkpoints[0].gated).toEqual([]);
    expect(plan.levers['conservative-mode']?.approval).toEqual({ required: false, approvers: [], within: '30m' });
  });

  (existsSync(DEMO) ? it : it.skip)('demo.yaml validates (with what it extends)', () => {
    const plan = loadPlan(DEMO);
    expect(plan.clock.hour).toBe('2500ms');
    expect(plan.name).toBe('symphony-demo');
  });
});

describe('plan errors, each with its path', () => {
  it('reports a YAML syntax error with its line', () => {
    const result = validatePlanText('version: 1\nname: symphony\npeople: [a, b\nservice: x\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.length).toBeGreaterThan(0);
    for (const e of result.errors) {
      expect(e.path).toMatch(/^line [1-9]\d*$/);
      expect(e.message).toMatch(/^YAML: /);
    }
  });

  it('names the line of a duplicate key', () => {
    const result = validatePlanText('version: 1\nname: a\nname: b\n');
    expect(result.ok ? [] : result.errors.map(formatPlanError)).toEqual(['line 3: YAML: Map keys must be unique']);
  });

  it('refuses a plan that is not a mapping', () => {
    expect(validatePlanText('').ok).toBe(false);
    const result = validatePlanText('- just\n- a list\n');
    expect(result.ok ? [] : result.errors.map(formatPlanError)).toEqual(['expected a map of fields, got a list']);
  });

  it.each<[string, (p: Raw) => void, string[]]>([
    [
      'unknown decision',
      (p) => p.checkpoints[1].decisions.unshift('go'),
      [`checkpoints[1].decisions[0]: unknown decision "go" (one of ${DECISIONS})`],
    ],
    [
      'bad duration',
      (p) => (p.severities.critical.ack = '15 minutes'),
      ['severities.critical.ack: not a duration: "15 minutes" (use e.g. 15m, 4h, 1h30m)'],
    ],
    [
      'bad duration in a tier',
      (p) => (p.tiers.deep.every = 'four hours'),
      ['tiers.deep.every: not a duration: "four hours" (use e.g. 15m, 4h, 1h30m)'],
    ],
    [
      'unknown check in a tier',
      (p) => p.tiers.hourly.checks.push('fast-puls'),
      ['tiers.hourly.checks[2]: unknown check "fast-puls" (did you mean "fast-pulse"?)'],
    ],
    [
      'unknown check to investigate',
      (p) => (p.checks['fast-pulse'].investigate = ['nope']),
      ['checks.fast-pulse.investigate[0]: unknown check "nope"'],
    ],
    [
      'unknown person among deciders',
      (p) => p.checkpoints[0].deciders.push('nobody'),
      ['checkpoints[0].deciders[3]: unknown person "nobody"'],
    ],
    [
      'unknown person in the rotation',
      (p) => (p.rotation.windows[1].backup = 'ghost'),
      ['rotation.windows[1].backup: unknown person "ghost"'],
    ],
    [
      'unknown approver of a lever',
      (p) => p.levers.rollback.approval.approvers.push('intern'),
      ['levers.rollback.approval.approvers[2]: unknown person "intern"'],
    ],
    [
      'unknown lever name in a trigger',
      (p) => (p.escalation.immediate[0].unlessLever = 'nuke'),
      [`escalation.immediate[0].unlessLever: unknown lever "nuke" (levers: ${LEVERS})`],
    ],
    [
      'a trigger naming a lever the plan does not define',
      (p) => delete p.levers['kill-switch'],
      ['escalation.immediate[0].unlessLever: unknown lever "kill-switch" (levers: conservative-mode, restart-services, rollback)'],
    ],
    [
      'a lever name that is not an id',
      (p) => (p.levers['Self Destruct'] = p.levers.rollback),
      ['levers.Self Destruct: use lower-case letters, digits and dashes'],
    ],
    [
      'unknown severity of a check',
      (p) => (p.checks['fast-pulse'].severity = 'urgent'),
      ['checks.fast-pulse.severity: unknown severity "urgent"'],
    ],
    [
      'unknown severity of a condition',
      (p) => (p.checks['fast-pulse'].conditions[3].severity = 'meh'),
      ['checks.fast-pulse.conditions[3].severity: unknown severity "meh"'],
    ],
    [
      'unknown severity in a criterion',
      (p) => (p.checkpoints[0].criteria[1].severity = 'catastrophic'),
      ['checkpoints[0].criteria[1].severity: unknown severity "catastrophic"'],
    ],
    [
      'unknown tier in a criterion',
      (p) => (p.checkpoints[0].criteria[0].tier = 'weekly'),
      ['checkpoints[0].criteria[0].tier: unknown tier "weekly"'],
    ],
    [
      'unknown check in a criterion',
      (p) => p.checkpoints[0].criteria[2].checks.push('nope'),
      ['checkpoints[0].criteria[2].checks[3]: unknown check "nope"'],
    ],
    ['unknown tier to reduce', (p) => (p.monitoring.reduced.weekly = '2h'), ['monitoring.reduced.weekly: unknown tier "weekly"']],
    [
      'gated decision not offered',
      (p) => (p.checkpoints[0].gated = ['release']),
      [`checkpoints[0].gated[0]: "release" is not among this checkpoint's decisions`],
    ],
    ['rotation gap', (p) => (p.rotation.windows[1].to = '20h'), ['rotation.windows: nobody is on call from 20h to 24h']],
    ['rotation overlap', (p) => (p.rotation.windows[1].from = '10h'), ['rotation.windows: windows overlap at 10h']],
    [
      'rotation short of the end',
      (p) => (p.rotation.windows[2].to = '40h'),
      ['rotation.windows: nobody is on call from 40h to the end (48h)'],
    ],
    [
      'rotation window backwards',
      (p) => (p.rotation.windows[2] = { ...p.rotation.windows[2], from: '48h', to: '24h' }),
      ['rotation.windows[2]: ends (24h) before it starts (48h)', 'rotation.windows: nobody is on call from 24h to 48h'],
    ],
    [
      'unknown placeholder in a condition',
      (p) => (p.checks['dashboard-cards'].conditions[0] = '[BODDY].ok == true'),
      ['checks.dashboard-cards.conditions[0]: unknown placeholder [BODDY] (did you mean [BODY]?)'],
    ],
    [
      'placeholder of another probe kind',
      (p) => (p.checks['dashboard-cards'].conditions[1].warn = '[EXIT_CODE] == 0'),
      ['checks.dashboard-cards.conditions[1].warn: [EXIT_CODE] is not available for an http probe'],
    ],
    [
      'unknown placeholder in a trigger',
      (p) => (p.escalation.immediate[3].when = '[LOGS].alert > 0'),
      ['escalation.immediate[3].when: unknown placeholder [LOGS] (did you mean [LOG]?)'],
    ],
    [
      'unknown var in a probe',
      (p) => (p.checks['fast-pulse'].probe.cwd = '${hmoe}'),
      ['checks.fast-pulse.probe: unknown var "${hmoe}" (did you mean "${home}"?)'],
    ],
    [
      'unknown var in a lever step',
      (p) => p.levers.rollback.steps[0].argv.push('${release.branch}'),
      ['levers.rollback.steps: unknown var "${release.branch}"'],
    ],
    [
      'a release var in a probe',
      (p) => (p.checks['fast-pulse'].probe.cwd = '${release.commit}'),
      ['checks.fast-pulse.probe: unknown var "${release.commit}"'],
    ],
    ['missing required field', (p) => delete p.checks['fast-pulse'].probe, ['checks.fast-pulse.probe: required']],
    ['a clock that is not a map', (p) => (p.clock = '1h'), ['clock: expected a map of fields, got text "1h"']],
    ['extra unknown field in a check', (p) => (p.checks['fast-pulse'].colour = 'red'), ['checks.fast-pulse: unknown field "colour"']],
    ['extra unknown field at the top', (p) => (p.owner = 'me'), ['unknown field "owner"']],
    [
      'extra unknown field in a probe',
      (p) => (p.checks['dashboard-cards'].probe.retries = 3),
      ['checks.dashboard-cards.probe: unknown field "retries"'],
    ],
    [
      'unknown probe kind',
      (p) => (p.checks['dashboard-cards'].probe.kind = 'ftp'),
      ['checks.dashboard-cards.probe.kind: probe.kind must be one of http, command, log, prometheus'],
    ],
    ['wrong version', (p) => (p.version = 2), ['version: version must be 1']],
    ['checkpoint past the end', (p) => (p.checkpoints[2].at = '60h'), [`checkpoints[2].at: 60h is past the watch's end (48h)`]],
    ['duplicate checkpoint', (p) => (p.checkpoints[1].name = '12h'), ['checkpoints[1].name: duplicate checkpoint "12h"']],
    [
      'budget criterion without a budget',
      (p) => delete p.budget,
      ['escalation.scheduled[0].budget: the plan has no budget', 'checkpoints[1].criteria[1]: the plan has no budget'],
    ],
  ])('%s', (_label, mutate, expected) => {
    expect(errorsAfter(mutate)).toEqual(expected);
  });
});

describe('all errors at once', () => {
  it('reports several reference errors together', () => {
    expect(
      errorsAfter((p) => {
        p.checks['fast-pulse'].severity = 'urgent';
        p.tiers.hourly.checks.push('nope');
        p.rotation.windows[1].backup = 'ghost';
        p.checkpoints[0].criteria[0].tier = 'weekly';
      }),
    ).toEqual([
      'checks.fast-pulse.severity: unknown severity "urgent"',
      'tiers.hourly.checks[2]: unknown check "nope"',
      'rotation.windows[1].backup: unknown person "ghost"',
      'checkpoints[0].criteria[0].tier: unknown tier "weekly"',
    ]);
  });

  it('reports reference errors next to schema errors: schema first, then references', () => {
    expect(
      errorsAfter((p) => {
        p.clock.hour = 'soon';
        p.checks['fast-pulse'].colour = 'red';
        p.checkpoints[1].decisions[0] = 'go';
        p.checks['fast-pulse'].severity = 'urgent';
        p.checks['dashboard-cards'].conditions[0] = '[BODDY].ok == true';
        p.tiers.hourly.checks.push('nope');
        p.rotation.windows[1].backup = 'ghost';
        p.checkpoints[0].criteria[0].tier = 'weekly';
        p.checks['fast-pulse'].probe.cwd = '${hmoe}';
      }),
    ).toEqual([
      'clock.hour: not a duration: "soon" (use e.g. 15m, 4h, 1h30m)',
      'checks.fast-pulse: unknown field "colour"',
      `checkpoints[1].decisions[0]: unknown decision "go" (one of ${DECISIONS})`,
      'checks.fast-pulse.severity: unknown severity "urgent"',
      'checks.fast-pulse.probe: unknown var "${hmoe}" (did you mean "${home}"?)',
      'checks.dashboard-cards.conditions[0]: unknown placeholder [BODDY] (did you mean [BODY]?)',
      'tiers.hourly.checks[2]: unknown check "nope"',
      'rotation.windows[1].backup: unknown person "ghost"',
      'checkpoints[0].criteria[0].tier: unknown tier "weekly"',
      // reduce-monitoring was the decision replaced by "go", so its gate points at nothing.
      `checkpoints[1].gated[0]: "reduce-monitoring" is not among this checkpoint's decisions`,
    ]);
  });

  it('does not report a value the schema refused a second time as a broken reference', () => {
    expect(
      errorsAfter((p) => {
        p.checkpoints[0].deciders[0] = 5;
        p.checks['fast-pulse'].severity = 7;
        p.escalation.immediate[0].unlessLever = 'nuke';
      }),
    ).toEqual([
      'checks.fast-pulse.severity: expected text, got the number 7',
      'checkpoints[0].deciders[0]: expected text, got the number 5',
      `escalation.immediate[0].unlessLever: unknown lever "nuke" (levers: ${LEVERS})`,
    ]);
  });

  it('checks the contents of an object refused for an unknown field', () => {
    expect(
      errorsAfter((p) => {
        p.checks['fast-pulse'].probe.retries = 3;
        p.checks['fast-pulse'].probe.cwd = '${hmoe}';
      }),
    ).toEqual([
      'checks.fast-pulse.probe: unknown field "retries"',
      'checks.fast-pulse.probe: unknown var "${hmoe}" (did you mean "${home}"?)',
    ]);
  });

  it('skips references into a section it cannot read instead of inventing errors', () => {
    expect(errorsAfter((p) => (p.people = ['duty-engineer']))).toEqual(['people: expected a map, got a list']);
    expect(errorsAfter((p) => (p.checks = null))).toEqual(['checks: expected a map, got null']);
    // A probe of no known kind: its conditions cannot be checked, and no placeholder is blamed.
    expect(errorsAfter((p) => (p.checks['fast-pulse'].probe.kind = 'ftp'))).toEqual([
      'checks.fast-pulse.probe.kind: probe.kind must be one of http, command, log, prometheus',
    ]);
  });

  it('still checks references when the watch length is unreadable', () => {
    expect(
      errorsAfter((p) => {
        p.clock.duration = 'long';
        p.rotation.windows[1].backup = 'ghost';
      }),
    ).toEqual(['clock.duration: not a duration: "long" (use e.g. 15m, 4h, 1h30m)', 'rotation.windows[1].backup: unknown person "ghost"']);
  });
});

describe('loadPlan', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'release-watch-plan-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('throws PlanInvalid with every error and the file name', () => {
    const plan = structuredClone(raw);
    plan.checkpoints[1].decisions.unshift('go');
    plan.tiers.hourly.checks.push('nope');
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, JSON.stringify(plan));
    let thrown: unknown;
    try {
      loadPlan(file);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PlanInvalid);
    const e = thrown as PlanInvalid;
    expect(e.errors.map(formatPlanError)).toEqual([
      `checkpoints[1].decisions[0]: unknown decision "go" (one of ${DECISIONS})`,
      'tiers.hourly.checks[2]: unknown check "nope"',
    ]);
    expect(e.message).toBe(`${file}: 2 error(s)\n${e.errors.map(formatPlanError).join('\n')}`);
  });

  it('says when the file cannot be read', () => {
    expect(() => loadPlan(join(dir, 'missing.yaml'))).toThrow(/cannot read plan/);
  });
});
