// `release-watch init`: a small, commented plan for a service from a few answers. The plan it writes is
// validated before it is written, and runs unchanged.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { projectRoot } from '../config/paths';
import { Usage } from './commands/common';
import { Refused } from './errors';

export interface InitOptions {
  service?: string;
  url?: string;
  log?: string;
  logFormat?: string;
  command?: string[];
  person?: string[];
  profile?: string;
  keys?: string;
  hour?: string;
}

export interface Answers {
  service: string;
  url?: string;
  log?: { path: string; format: 'text' | 'jsonl' };
  command?: string[];
  people: Array<{ id: string; name: string }>;
  profile: 'dev' | 'prod';
  keys?: string;
  hour: string;
}

const ID = /^[a-z0-9][a-z0-9-]*$/;

/** The answers from the flags; in a terminal, what is missing is asked. */
export async function answersFrom(
  o: InitOptions,
  io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; interactive: boolean } = defaultIo(),
): Promise<Answers> {
  const ask = io.interactive ? createInterface({ input: io.input, output: io.output }) : undefined;
  try {
    const question = async (q: string, fallback?: string) => {
      if (!ask) return fallback;
      const a = (await ask.question(`${q}${fallback ? ` [${fallback}]` : ''}: `)).trim();
      return a || fallback;
    };
    const service = o.service ?? (await question('Service name (lower-case letters, digits, dashes)'));
    if (!service) throw new Usage('--service is required (the service the plan watches)');
    if (!ID.test(service)) throw new Usage(`--service must be lower-case letters, digits and dashes (got "${service}")`);
    const url = o.url ?? (await question('HTTP health URL (empty for none)'));
    const logPath = o.log ?? (o.url === undefined ? await question('A log file to watch, on the worker (empty for none)') : undefined);
    const format = o.logFormat ?? 'text';
    if (format !== 'text' && format !== 'jsonl') throw new Usage(`--log-format must be text or jsonl (got "${format}")`);
    const command =
      o.command ??
      splitWords(o.url === undefined ? await question('A command whose exit code says it is healthy (empty for none)') : undefined);
    if (!url && !logPath && !command?.length) throw new Usage('give at least one thing to check: --url, --log or --command');
    if (url) checkUrl(url);
    let personSpecs = o.person ?? [];
    if (!personSpecs.length) {
      const typed = await question('Who is on call, in order (id:Name, comma-separated)');
      personSpecs = (typed ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    }
    if (!personSpecs.length) throw new Usage('--person is required at least once (id:Name: who is on call)');
    const people = personSpecs.map(parsePerson);
    const ids = people.map((p) => p.id);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice) throw new Usage(`--person ${twice} is given twice`);
    const profile = o.profile ?? 'dev';
    if (profile !== 'dev' && profile !== 'prod') throw new Usage(`--profile must be dev or prod (got "${profile}")`);
    if (profile === 'prod' && !o.keys)
      throw new Usage(
        '--profile prod signs every answer: give --keys <dir> to make a key for each person (or make them with release-watch keygen)',
      );
    return {
      service,
      ...(url ? { url } : {}),
      ...(logPath ? { log: { path: logPath, format } } : {}),
      ...(command?.length ? { command } : {}),
      people,
      profile,
      ...(o.keys ? { keys: o.keys } : {}),
      hour: o.hour ?? '1h',
    };
  } finally {
    ask?.close();
  }
}

function defaultIo() {
  return { input: process.stdin, output: process.stdout, interactive: !!process.stdin.isTTY && !!process.stdout.isTTY };
}

function splitWords(text: string | undefined): string[] | undefined {
  const words = text?.trim().split(/\s+/).filter(Boolean);
  return words?.length ? words : undefined;
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Usage(`--url is not a URL: "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Usage(`--url must be http or https (got "${parsed.protocol}")`);
}

function parsePerson(spec: string): { id: string; name: string } {
  const [id, ...rest] = spec.split(':');
  const name = rest.join(':').trim() || id;
  if (!ID.test(id)) throw new Usage(`--person "${spec}": the id before ":" must be lower-case letters, digits and dashes`);
  return { id, name };
}

const q = (s: string) => JSON.stringify(s);

/** Upper-case environment variable names from the service: checkout-api → CHECKOUT_API_HEALTH_URL. */
function envName(service: string, what: string): string {
  return `${service.replace(/-/g, '_').toUpperCase()}_${what}`;
}

/** The plan's text: the answers, with comments that say what each part is for and how to change it. */
export function starterPlanText(a: Answers, schemaRef: string, publicKeys: Record<string, string> = {}): string {
  const checks: string[] = [];
  const lines: string[] = [
    `# yaml-language-server: $schema=${schemaRef}`,
    `# The release-watch plan of ${a.service}, written by \`release-watch init\`.`,
    `# Check it with: release-watch validate <this file>. The plan reference is in release-watch's README.`,
    'version: 1',
    `service: ${a.service}`,
    a.profile === 'prod'
      ? 'profile: prod            # every decision, acknowledgement and approval is signed by its person (Ed25519)'
      : 'profile: dev             # answers are not signed; before production: profile prod and a publicKey per person (release-watch keygen)',
    '',
    'clock:',
    `  hour: ${a.hour}               # real length of a watch hour (a few seconds to try the plan quickly)`,
    '  duration: 48h',
    '',
    '# Where the worker finds the service: its environment overrides each default.',
    'vars:',
  ];
  if (a.url) lines.push(`  health_url: { default: ${q(a.url)}, env: ${envName(a.service, 'HEALTH_URL')} }`);
  if (a.log) lines.push(`  log_file: { default: ${q(a.log.path)}, env: ${envName(a.service, 'LOG_FILE')} }`);
  if (!a.url && !a.log) lines.push('  {}');
  lines.push('', 'people:');
  for (const p of a.people) lines.push(`  ${p.id}: { name: ${q(p.name)}${publicKeys[p.id] ? `, publicKey: ${publicKeys[p.id]}` : ''} }`);
  if (a.people.length > 1) {
    const [primary, backup, escalation] = [a.people[0], a.people[1], a.people[a.people.length - 1]].map((p) => p.id);
    lines.push(
      '',
      '# Who is paged when: the primary first, then the backup, then the escalation contact.',
      'rotation:',
      '  windows:',
      `    - { name: whole watch, from: 0h, to: 48h, primary: ${primary}, backup: ${backup}, escalation: ${escalation} }`,
    );
  }
  lines.push('', '# Response times: the built-in critical (15m to acknowledge), high (30m), medium (1h), low (4h).', '', 'checks:');
  if (a.url) {
    checks.push('health');
    lines.push(
      '  health:',
      `    description: ${a.service} answers its health check`,
      '    severity: critical',
      '    category: availability',
      '    probe: { kind: http, url: "${health_url}", timeout: 10s }',
      '    conditions:',
      '      - "[STATUS] == 200"',
      '      - { name: Answers within a second, pass: "[RESPONSE_TIME] < 1s", warn: "[RESPONSE_TIME] < 5s" }',
      '    failAfter: 2            # failures in a row before an incident opens',
      '    metric: "[RESPONSE_TIME]"',
    );
  }
  if (a.log) {
    checks.push('log-errors');
    const jsonl = a.log.format === 'jsonl';
    lines.push(
      '  log-errors:',
      `    description: no errors in ${a.service}'s log since the last run`,
      '    severity: high',
      '    category: availability',
      '    probe:',
      '      kind: log',
      `      files: [{ path: "\${log_file}", format: ${a.log.format} }]`,
      '      classes:',
      jsonl
        ? '        alert: [{ name: error, field: level, regex: "^(error|fatal)$" }]'
        : '        alert: [{ name: error, regex: "\\\\b(ERROR|FATAL)\\\\b" }]',
      jsonl
        ? '        warning: [{ name: warning, field: level, regex: "^warn" }]'
        : '        warning: [{ name: warning, regex: "\\\\bWARN" }]',
      '    conditions:',
      '      - { name: No errors, pass: "[LOG].alert == 0" }',
      '      - { name: Few warnings, pass: "[LOG].warning < 10", warn: "[LOG].warning < 100" }',
    );
  }
  if (a.command) {
    checks.push('command');
    lines.push(
      '  command:',
      `    description: ${a.command.join(' ')} succeeds`,
      '    severity: high',
      '    category: availability',
      `    probe: { kind: command, argv: [${a.command.map(q).join(', ')}], timeout: 30s }`,
      '    conditions: ["[EXIT_CODE] == 0"]',
    );
  }
  const deciders = a.people.slice(0, 2).map((p) => p.id);
  lines.push(
    '',
    'tiers:',
    `  hourly: { every: 1h, checks: [${checks.join(', ')}] }`,
    `  daily: { at: [24h, 48h], checks: [${checks.join(', ')}], report: true }   # writes the daily report`,
    '',
    '# Go/no-go: each waits for a decision by a decider; "release" is refused while a criterion is unmet.',
    'checkpoints:',
    '  - name: 24h',
    '    at: 24h',
    '    criteria:',
    '      - { name: Every hourly run passed, kind: tier-passed, tier: hourly }',
    '      - { name: No critical incident, kind: no-incidents, severity: critical }',
    '    decisions: [continue, escalate, rollback]',
    `    deciders: [${deciders.join(', ')}]`,
    '    deadline: 2h              # unanswered this long: the escalation contact is reminded, then again every 2h',
    '  - name: 48h',
    '    at: 48h',
    '    criteria:',
    '      - { name: Every hourly run passed, kind: tier-passed, tier: hourly }',
    '      - { name: Incidents written up, kind: incidents-documented }',
    '      - { name: Daily report written, kind: report-written }',
    '    decisions: [release, extend, rollback]',
    `    deciders: [${deciders.join(', ')}]`,
    '    gated: [release]',
    '',
    'notify:',
    '  sinks:',
    '    - { kind: console }',
    "    # - { kind: slack, urlEnv: SLACK_WEBHOOK_URL }              # the URL from the worker's environment",
    '    # - { kind: pagerduty, routingKeyEnv: PAGERDUTY_ROUTING_KEY }',
    `  reportsDir: reports`,
    '',
  );
  return lines.join('\n');
}

/** Writes the plan (and, for a prod profile, a key per person), after validating it. */
export async function writeStarterPlan(a: Answers, o: { out?: string; force?: boolean }): Promise<{ file: string; summary: string }> {
  const file = resolve(o.out ?? `${a.service}.yaml`);
  if (existsSync(file) && !o.force) throw new Refused(`${file} exists: not overwriting it (add --force, or choose --out)`);
  const publicKeys: Record<string, string> = {};
  const keyFiles: string[] = [];
  if (a.profile === 'prod') {
    const { generateKeyPair, writeKeyFile } = await import('./keys');
    mkdirSync(a.keys!, { recursive: true });
    for (const p of a.people) {
      const keyFile = join(a.keys!, `${p.id}.key`);
      if (existsSync(keyFile)) throw new Refused(`${keyFile} exists: not overwriting a key (choose another --keys folder)`);
    }
    for (const p of a.people) {
      const pair = generateKeyPair();
      const keyFile = join(a.keys!, `${p.id}.key`);
      writeKeyFile(keyFile, p.id, pair);
      publicKeys[p.id] = pair.publicKey;
      keyFiles.push(keyFile);
    }
  }
  const text = starterPlanText(a, schemaReference(file), publicKeys);
  const { validatePlanText, formatPlanError } = await import('../plan/validate');
  const checked = validatePlanText(text, file);
  if (!checked.ok) throw new Error(`the starter plan did not validate (a bug): ${checked.errors.map(formatPlanError).join('; ')}`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, { flag: o.force ? 'w' : 'wx' });
  const next = [
    `wrote ${file} (${Object.keys(checked.plan.checks).length} checks, ${a.people.length} ${a.people.length === 1 ? 'person' : 'people'}, checkpoints at 24h and 48h)`,
    ...(keyFiles.length ? [`secret keys (keep them private; each person signs with theirs): ${keyFiles.join(', ')}`] : []),
    'next:',
    `  release-watch validate ${relative(process.cwd(), file)}`,
    '  release-watch setup                 # once per Temporal namespace',
    '  release-watch worker                # on a machine that reaches the service (and its log and command)',
    `  release-watch start --plan ${relative(process.cwd(), file)} --service ${a.service} --release <version>`,
  ];
  return { file, summary: next.join('\n') };
}

/** Where the plan's editor hint finds the schema: the copy in this release-watch, relative to the plan. */
function schemaReference(file: string): string {
  const local = join(projectRoot(), 'plan.schema.json');
  const rel = relative(dirname(file), local);
  return rel.startsWith('..') && !resolve(file).startsWith(projectRoot()) ? local : rel;
}
