// Plans as files people write: every error with its place (line and column), a suggestion for a misspelt
// name, the JSON Schema editors read kept in sync with the zod schema, and every shipped plan valid
// against it (checked by a real JSON Schema validator, as an editor would).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { planJsonSchema, planJsonSchemaText } from '../../plan/json-schema';
import { formatPlanErrorAt, validatePlanText } from '../../plan/validate';

const ROOT = join(__dirname, '..', '..');
const PLANS = join(ROOT, 'plans');
const shipped = [
  ...readdirSync(PLANS)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(PLANS, f)),
  ...readdirSync(join(PLANS, 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(PLANS, 'examples', f)),
];

const MINIMAL = `version: 1
service: my-api
profile: dev
people:
  alice: { name: Alice }
checks:
  health: { probe: { kind: http, url: "https://my-api.internal/healthz" }, conditions: ["[STATUS] == 200"] }
tiers:
  hourly: { every: 1h, checks: [health] }
`;

describe('the smallest plan', () => {
  it('one HTTP check, one person, one tier validates, every other part left to its default', () => {
    const r = validatePlanText(MINIMAL, 'my-api.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan).toMatchObject({
      name: 'my-api',
      clock: { hour: '1h', duration: '48h' },
      rotation: { windows: [{ from: '0h', to: '48h', primary: 'alice', backup: 'alice', escalation: 'alice' }] },
      checks: { health: { description: 'health', severity: 'high', category: 'general', failAfter: 1 } },
    });
    expect(Object.keys(r.plan.severities)).toEqual(['critical', 'high', 'medium', 'low']);
  });

  it('asks for what it cannot default, and says why', () => {
    const twoPeople = MINIMAL.replace('  alice: { name: Alice }', '  alice: { name: Alice }\n  bob: { name: Bob }');
    expect(errors(twoPeople)).toEqual([
      'my-api.yaml:4:1: rotation: required: the plan has 2 people; say who is on call when (rotation.windows)',
    ]);
    const severities =
      MINIMAL + 'severities:\n  sev1: { meaning: Outage, ack: 5m, resolve: 1h }\n  sev2: { meaning: Degraded, ack: 30m, resolve: 4h }\n';
    expect(errors(severities)).toEqual([
      "my-api.yaml:7:3: checks.health.severity: required: the plan has several severities (sev1, sev2); say which this check's failure is",
    ]);
    const prod = MINIMAL.replace('profile: dev\n', '');
    expect(errors(prod)[0]).toBe(
      'my-api.yaml:4:3: people.alice.publicKey: a prod profile signs approvals: every person needs a public key (make one with `release-watch keygen`, or set signedApprovals: false)',
    );
    const pagerDuty = severities.replace('sev1, sev2', '') + 'notify: { sinks: [{ kind: pagerduty, routingKeyEnv: PD_KEY }] }\n';
    expect(errors(pagerDuty.replace('"[STATUS] == 200"] }', '"[STATUS] == 200"], severity: sev1 }'))).toEqual([
      'my-api.yaml:11:3: severities.sev1.pagerduty: required with a PagerDuty sink: the event severity to send (one of critical, error, warning, info)',
      'my-api.yaml:12:3: severities.sev2.pagerduty: required with a PagerDuty sink: the event severity to send (one of critical, error, warning, info)',
    ]);
  });
});

function errors(text: string, file = 'my-api.yaml'): string[] {
  const r = validatePlanText(text, file);
  return r.ok ? [] : r.errors.map((e) => formatPlanErrorAt(e));
}

describe('errors point at their place, and suggest the name meant', () => {
  it('a misspelt field, value and name each get their line, column and a "did you mean"', () => {
    const text = MINIMAL.replace('conditions:', 'conditons:')
      .replace('kind: http', 'kind: htp')
      .replace('checks: [health]', 'checks: [helth]');
    expect(errors(text)).toEqual([
      'my-api.yaml:7:22: checks.health.probe.kind: probe.kind must be one of http, command, log, prometheus',
      'my-api.yaml:7:3: checks.health.conditions: required',
      'my-api.yaml:7:75: checks.health: unknown field "conditons" (did you mean "conditions"?)',
      'my-api.yaml:9:33: tiers.hourly.checks[0]: unknown check "helth" (did you mean "health"?)',
    ]);
  });

  it('a placeholder, a log pattern and a severity misspelt in conditions', () => {
    const text =
      `${MINIMAL}  logs:
    probe:
      kind: log
      files: [{ path: app.log }]
      classes: { alert: [{ name: oom, regex: "out of memory" }] }
    conditions: ["[LOG].patterns.oomm == 0", "[LOGG].alert == 0", { pass: "[LOG].alert == 0", severity: hihg }]
`.replace('tiers:\n  hourly: { every: 1h, checks: [health] }\n', '') + 'tiers:\n  hourly: { every: 1h, checks: [health, logs] }\n';
    expect(errors(text)).toEqual([
      'my-api.yaml:13:18: checks.logs.conditions[0]: unknown pattern "oomm" (did you mean "oom"?) in [LOG].patterns (this check\'s patterns: oom)',
      'my-api.yaml:13:46: checks.logs.conditions[1]: unknown placeholder [LOGG] (did you mean [LOG]?)',
      'my-api.yaml:13:95: checks.logs.conditions[2].severity: unknown severity "hihg" (did you mean "high"?)',
    ]);
  });

  it('an error in what a plan extends points at the file it is in', () => {
    const dir = join(ROOT, 'test', 'corpus', 'plans');
    const r = validatePlanText(
      'extends: base/base.yaml\nclock: { hour: 1s }\ntiers: { hourly: { every: 2h, checks: [nope] } }\n',
      join(dir, 'x.yaml'),
    );
    expect(r.ok ? [] : r.errors.map((e) => formatPlanErrorAt(e))).toEqual([
      `${join(dir, 'x.yaml')}:3:40: tiers.hourly.checks[0]: unknown check "nope"`,
    ]);
    // A prod profile set here needs keys for the people the base names: those errors point into the base.
    const base = validatePlanText('extends: base/base.yaml\nprofile: prod\n', join(dir, 'x.yaml'));
    expect(base.ok ? [] : base.errors.map((e) => formatPlanErrorAt(e).replace(/: a prod profile.*/, ''))).toEqual([
      `${join(dir, 'base', 'base.yaml')}:11:3: people.alice.publicKey`,
      `${join(dir, 'base', 'base.yaml')}:12:3: people.bob.publicKey`,
      `${join(dir, 'base', 'base.yaml')}:13:3: people.carol.publicKey`,
    ]);
  });
});

describe('the JSON Schema', () => {
  it('the committed plan.schema.json is what `release-watch schema` prints (regenerate with it when the schema changes)', () => {
    expect(readFileSync(join(ROOT, 'plan.schema.json'), 'utf8')).toBe(planJsonSchemaText());
  });

  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(planJsonSchema());

  it.each(shipped)('%s carries the yaml-language-server line and is valid against the schema', (file) => {
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=(\.\.\/)+plan\.schema\.json$/);
    const ok = validate(parse(text));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('refuses what release-watch refuses: an unknown field, a bad duration, a probe of no kind', () => {
    expect(validate(parse(MINIMAL))).toBe(true);
    for (const bad of [
      MINIMAL.replace('conditions:', 'conditons:'),
      MINIMAL.replace('every: 1h', 'every: hourly'),
      MINIMAL.replace('kind: http', 'kind: htp'),
    ]) {
      expect(validate(parse(bad))).toBe(false);
    }
  });
});
