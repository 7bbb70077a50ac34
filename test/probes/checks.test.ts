import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../../activities';
import { createRunCheck } from '../../activities/checks';

const runCheck = createRunCheck(process.env);
import type { CheckRequest, LogCursor, Release } from '../../core/messages';
import { Check, type CheckSpec } from '../../plan/schema';

const release: Release = { service: 'symphony', version: 'v1.0', commit: 'abcdef1', deployedAt: '2025-01-01T00:00:00Z' };
const NODE = process.execPath;

function request(check: unknown, more: Partial<CheckRequest> = {}): CheckRequest {
  return {
    watchId: 'watch-1',
    checkId: 'probe-under-test',
    hour: 3,
    check: Check.parse(check) as CheckSpec,
    vars: { node: { default: [NODE] } },
    release,
    triggers: [],
    ...more,
  };
}

/** A command check whose stdout is this JSON. */
function jsonCheck(stdout: unknown, conditions: unknown[], extra: Record<string, unknown> = {}) {
  return {
    description: 'fast pulse',
    severity: 'critical',
    category: 'availability',
    probe: {
      kind: 'command',
      argv: ['${node}', '-e', `console.log(${JSON.stringify(JSON.stringify(stdout))})`],
      json: true,
      timeout: '20s',
    },
    conditions,
    ...extra,
  };
}

const responseTime = {
  name: 'Response time under 30s (alert over 60s)',
  pass: '[RESPONSE_TIME] < 30s',
  warn: '[RESPONSE_TIME] <= 60s',
  severity: 'medium',
};

describe('runCheck', () => {
  it('passes a healthy command check, with metric, cost and triggers', async () => {
    const result = await runCheck(
      request(
        jsonCheck(
          { sixWord: 'one two three four five six', services: { ollama: 'online' }, cost: 0.4 },
          [
            { name: 'Six-word health checks pass', pass: 'words([STDOUT].sixWord) == 6' },
            { name: 'ollama operational', pass: '[STDOUT].services.ollama == "online"' },
            responseTime,
          ],
          { metric: '[RESPONSE_TIME]', cost: '[STDOUT].cost' },
        ),
        {
          triggers: [
            { name: 'slow', when: '[RESPONSE_TIME] >= 30s' },
            { name: 'local', when: '[STDOUT].cost < 1' },
          ],
        },
      ),
    );
    expect(result).toMatchObject({
      checkId: 'probe-under-test',
      hour: 3,
      outcome: 'ok',
      reason: 'all conditions hold',
      cost: 0.4,
      triggers: ['local'],
    });
    expect(result.severity).toBeUndefined();
    expect(result.metric).toBeGreaterThan(0);
    expect(result.conditions).toHaveLength(3);
    expect(result.evidence).toContain('exit 0');
    expect(Date.parse(result.startedAt)).not.toBeNaN();
  });

  it('fails with the worst severity and a one-line reason', async () => {
    const result = await runCheck(
      request(
        jsonCheck({ services: { ollama: 'offline', litellm: 'online' } }, [
          { name: 'ollama operational', pass: '[STDOUT].services.ollama == "online"' },
          { name: 'litellm operational', pass: '[STDOUT].services.litellm == "online"', severity: 'low' },
        ]),
      ),
    );
    expect(result).toMatchObject({
      outcome: 'fail',
      severity: 'critical',
      reason: 'ollama operational: [STDOUT].services.ollama = "offline"',
    });
    expect(result.evidence).toContain('fail: ollama operational');
  });

  it('fails output that is not JSON where JSON was asked for, saying so', async () => {
    const check = jsonCheck({}, ['[STDOUT].ok == true']);
    check.probe.argv = ['sh', '-c', 'echo "Segmentation fault"; exit 139'];
    const result = await runCheck(request(check));
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/^stdout is not JSON: /);
    expect(result.evidence).toContain('stdout is not JSON');
    expect(result.evidence).toContain('Segmentation fault');
    expect(result.evidence).toContain('exit 139');
  });

  it('fails a hanging command with the timeout as reason', async () => {
    const check = jsonCheck({}, [responseTime]);
    Object.assign(check.probe, { argv: ['sleep', '30'], timeout: '300ms' });
    const result = await runCheck(request(check, { triggers: [{ name: 'slow', when: '[RESPONSE_TIME] >= 250ms' }] }));
    expect(result).toMatchObject({ outcome: 'fail', reason: 'timed out after 300ms', triggers: ['slow'] });
    expect(result.evidence).toContain('probe: timed out after 300ms');
  }, 10_000);

  it('fails a missing program', async () => {
    const check = jsonCheck({}, ['[EXIT_CODE] == 0']);
    check.probe.argv = ['no-such-tool-rw', 'orchestra-fast'];
    const result = await runCheck(request(check));
    expect(result).toMatchObject({ outcome: 'fail', severity: 'critical', reason: 'program not found: no-such-tool-rw' });
  });

  it('fails, without running anything, when a release field is not safe', async () => {
    const check = jsonCheck({}, ['[EXIT_CODE] == 0']);
    check.probe.argv = ['echo', '${release.commit}'];
    const result = await runCheck(request(check, { release: { ...release, commit: '$(reboot)' } }));
    expect(result.outcome).toBe('fail');
    expect(result.reason).toBe('cannot resolve the probe: release.commit "$(reboot)" is not a hex commit SHA of 7 to 40 characters');
  });

  it('fails on an unknown var', async () => {
    const check = jsonCheck({}, ['[EXIT_CODE] == 0']);
    check.probe.argv = ['${nope}'];
    const result = await runCheck(request(check));
    expect(result.reason).toBe('cannot resolve the probe: unknown var "${nope}"');
  });

  it('keeps evidence under 2,000 characters whatever the output', async () => {
    const check = jsonCheck({}, ['[EXIT_CODE] == 1']);
    check.probe.argv = [NODE, '-e', 'for (let i = 0; i < 5000; i++) console.log("line " + i + " " + "z".repeat(200))'];
    const result = await runCheck(request(check));
    expect(result.evidence.length).toBeLessThanOrEqual(2_000);
    expect(result.evidence).toContain('more lines');
  });

  describe('log checks', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'rw-check-log-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const logCheck = {
      description: 'log watch',
      severity: 'high',
      category: 'policy',
      probe: {
        kind: 'log',
        files: [{ path: '${logsDir}/overrides.jsonl', format: 'jsonl' }],
        costField: 'cost',
        classes: {
          normal: [{ name: 'decision_allowed', regex: '"decision":\\s*"allowed"' }],
          warning: [{ name: 'cloud_model', regex: '"model":\\s*"cloud/' }],
          alert: [{ name: 'security_violation', regex: 'security[ _-]?violation' }],
        },
      },
      conditions: [
        { name: 'No alert patterns', pass: '[LOG].alert == 0' },
        { name: 'No warning patterns', pass: '[LOG].warning == 0', warn: '[LOG].alert == 0', severity: 'medium' },
      ],
      cost: '[LOG].cost',
    };

    it('reads from the cursor, judges the new lines and returns the next cursor', async () => {
      const file = join(dir, 'overrides.jsonl');
      writeFileSync(file, '{"decision": "allowed", "cost": 0}\n');
      const vars = { logsDir: { default: dir } };
      const triggers = [{ name: 'security-violation', when: '[LOG].patterns.security_violation > 0' }];
      const first = await runCheck(request(logCheck, { vars, triggers }));
      expect(first).toMatchObject({ outcome: 'ok', cost: 0, triggers: [] });
      expect((first.cursor as LogCursor).files[file].offset).toBe(35);

      appendFileSync(file, '{"decision": "allowed", "model": "cloud/x", "cost": 0.75}\n');
      const second = await runCheck(request(logCheck, { vars, triggers, cursor: first.cursor }));
      expect(second).toMatchObject({ outcome: 'warn', severity: 'medium', cost: 0.75 });
      expect(second.reason).toBe('No warning patterns: [LOG].warning = 1, [LOG].alert = 0');

      appendFileSync(file, '{"event": "security violation", "cost": 0}\n');
      const third = await runCheck(request(logCheck, { vars, triggers, cursor: second.cursor }));
      expect(third).toMatchObject({ outcome: 'fail', severity: 'high', triggers: ['security-violation'] });
      expect(third.evidence).toContain('alert: {"event": "security violation", "cost": 0}');
    });

    it('fails a missing log file', async () => {
      const result = await runCheck(request(logCheck, { vars: { logsDir: { default: join(dir, 'gone') } } }));
      expect(result).toMatchObject({
        outcome: 'fail',
        severity: 'high',
        reason: `log file missing: ${join(dir, 'gone', 'overrides.jsonl')}`,
      });
    });
  });

  describe('http checks', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer((_req, res) =>
        res.setHeader('content-type', 'application/json').end('{"cards":[{"status":"green"},{"status":"red"}]}'),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('judges status and body', async () => {
      const result = await runCheck(
        request(
          {
            description: 'cards',
            severity: 'high',
            category: 'availability',
            probe: { kind: 'http', url: '${dashboard}/api/cards' },
            conditions: ['[STATUS] == 200', { name: 'All status cards green', pass: 'every([BODY].cards, "status", "green")' }],
            metric: '[RESPONSE_TIME]',
          },
          { vars: { dashboard: { default: base } } },
        ),
      );
      expect(result.outcome).toBe('fail');
      expect(result.reason).toMatch(/^All status cards green: \[BODY\]\.cards = \[/);
      expect(result.evidence).toContain(`GET ${base}/api/cards → 200`);
    });
  });

  it('is registered for the worker, made from its environment', () => {
    expect(Object.keys(createActivities({ env: {} })).sort()).toEqual([
      'notify',
      'pullLever',
      'runCheck',
      'runTier',
      'writeIncidentDoc',
      'writeReport',
    ]);
    expect(typeof createActivities({ env: {} }).runCheck).toBe('function');
  });
});
