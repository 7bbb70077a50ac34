import { conditionError, describeValues, evaluate, formatMs, holds, judge, valueOf, type ProbeValues } from '../../core/conditions';
import { placeholderScope } from '../../probes';
const httpPlaceholders = placeholderScope('http')!.placeholders;

const command: ProbeValues = {
  EXIT_CODE: 0,
  RESPONSE_TIME: 1_200,
  STDOUT: {
    sixWord: 'all six words are here now',
    services: { ollama: 'online', litellm: 'offline' },
    federation: {
      enabled: true,
      peers: [
        { name: 'a', online: true },
        { name: 'b', online: false },
        { name: 'c', online: false },
      ],
    },
    decision: 'allowed',
    loa: 1,
    cost: 0.25,
    spent: 3,
    ceiling: 5,
  },
  STDERR: '',
};
const http: ProbeValues = {
  STATUS: 200,
  RESPONSE_TIME: 45_200,
  BODY: { services: { ollama: true }, cards: [{ status: 'green' }, { status: 'green' }] },
};
const log: ProbeValues = {
  RESPONSE_TIME: 3,
  LOG: { alert: 0, warning: 2, normal: 10, patterns: { cloud_model: 1, elevated_loa: 1, security_violation: 0 }, lines: 12, cost: 0.5 },
};

describe('conditionError', () => {
  it.each([
    ['[STATUS] == 200', 'http'],
    ['[RESPONSE_TIME] < 30s', 'http'],
    ['[BODY].services.ollama == true', 'http'],
    ['every([BODY].cards, "status", "green")', 'http'],
    ['[BODY].cards[0].status == "green"', 'http'],
    ['words([STDOUT].sixWord) == 6', 'command'],
    ['matches([STDOUT], "Autonomy: 1\\b")', 'command'],
    ['not matches([STDOUT].model, "^cloud/")', 'command'],
    ['count([STDOUT].federation.peers, "online", false) < 2', 'command'],
    ['[EXIT_CODE] <= 1 and len([STDERR]) == 0', 'command'],
    ['[LOG].patterns.cloud_model + [LOG].patterns.elevated_loa > 0', 'log'],
    ['[LOG].alert == 0 || ([LOG].warning < 3 && !has([LOG].patterns.missing))', 'log'],
    ['true', 'log'],
  ] as const)('accepts %s for a %s probe', (expr, kind) => {
    expect(conditionError(expr, placeholderScope(kind)!)).toBeUndefined();
  });

  it.each([
    ['[BODDY].x == 1', 'http', 'unknown placeholder [BODDY]'],
    ['[STATUS] == 200', 'command', '[STATUS] is not available for a command probe'],
    ['[STDOUT] == ""', 'http', '[STDOUT] is not available for an http probe'],
    ['[BODY] == 1', 'log', '[BODY] is not available for a log probe'],
    ['size([BODY]) == 1', 'http', 'unknown function size()'],
    ['len([BODY], 2) == 1', 'http', 'len() takes 1 argument, got 2'],
    ['count([BODY].cards, "status") == 1', 'http', 'count() takes 3 arguments, got 2'],
    ['[STATUS] == ', 'http', 'syntax error'],
    ['([STATUS] == 200', 'http', 'syntax error'],
    ['[STATUS] 200', 'http', 'expected one expression'],
    ['status == 200', 'http', 'unknown name "status"'],
    ['[STATUS] === 200', 'http', 'operator === is not supported'],
    ['[STATUS] % 2 == 0', 'http', 'operator % is not supported'],
    ['[STATUS] ? 1 : 0', 'http', 'the ?: operator is not supported'],
    ['[LOG].alerts == 0', 'log', 'unknown field [LOG].alerts'],
    ['[STATUS].code == 1', 'http', '[STATUS] has no fields'],
    ['matches([STDOUT], "(unclosed")', 'command', 'matches(): Invalid regular expression'],
    ['[1, 2] == 1', 'http', 'lists are not supported'],
    ['   ', 'http', 'empty condition'],
  ] as const)('refuses %s for a %s probe', (expr, kind, message) => {
    expect(conditionError(expr, placeholderScope(kind)!)).toContain(message);
  });
});

describe('evaluate', () => {
  it('reads placeholders and member paths', () => {
    expect(evaluate('[BODY].cards[0].status', http)).toBe('green');
    expect(evaluate('[BODY]["services"].ollama', http)).toBe(true);
    expect(evaluate('[STDOUT].federation.peers[2].name', command)).toBe('c');
  });

  it('gives undefined for missing paths and never throws over missing data', () => {
    expect(evaluate('[BODY].nope.deeper[3]', http)).toBeUndefined();
    expect(evaluate('[BODY].cards[9].status', http)).toBeUndefined();
    expect(evaluate('[BODY].services.ollama', {})).toBeUndefined();
    expect(evaluate('[STDOUT].services.ollama == "online"', { STDOUT: 'plain text' })).toBe(false);
  });

  it('treats any comparison with missing data as false', () => {
    for (const op of ['==', '!=', '<', '<=', '>', '>=']) expect(evaluate(`[BODY].missing ${op} 1`, http)).toBe(false);
    expect(evaluate('[BODY].missing == null', http)).toBe(false);
    expect(evaluate('not [BODY].missing', http)).toBeUndefined();
  });

  it('does not read inherited properties', () => {
    expect(evaluate('[BODY].constructor', http)).toBeUndefined();
    expect(evaluate('[BODY].__proto__', http)).toBeUndefined();
  });

  it('reads durations as milliseconds, but not inside strings', () => {
    expect(evaluate('30s', {})).toBe(30_000);
    expect(evaluate('500ms + 1m + 2h', {})).toBe(500 + 60_000 + 7_200_000);
    expect(evaluate('1h30m', {})).toBe(5_400_000);
    expect(evaluate('"30s"', {})).toBe('30s');
    expect(evaluate('\'wait 5m\' == "wait 5m"', {})).toBe(true);
    expect(evaluate('[RESPONSE_TIME] < 30s', http)).toBe(false);
    expect(evaluate('[RESPONSE_TIME] <= 60s', http)).toBe(true);
  });

  it('keeps backslashes in strings as written, so regexes read naturally', () => {
    expect(evaluate('matches("Autonomy: 1", "Autonomy: 1\\b")', {})).toBe(true);
    expect(evaluate('matches("Autonomy: 12", "Autonomy: 1\\b")', {})).toBe(false);
    expect(evaluate('matches("a 42", "\\d+")', {})).toBe(true);
    expect(evaluate('"say \\"hi\\"" == \'say "hi"\'', {})).toBe(true);
  });

  it('does arithmetic and logic', () => {
    expect(evaluate('[LOG].patterns.cloud_model + [LOG].patterns.elevated_loa', log)).toBe(2);
    expect(evaluate('(2 + 3) * 4 - 10 / 2', {})).toBe(15);
    expect(evaluate('-[EXIT_CODE] == 0', command)).toBe(true);
    expect(evaluate('1 / 0', {})).toBeUndefined();
    expect(evaluate('"a" + "b" == "ab"', {})).toBe(true);
    expect(evaluate('[STATUS] == 200 and [RESPONSE_TIME] > 1s', http)).toBe(true);
    expect(evaluate('[STATUS] == 500 or not ([STATUS] == 200)', http)).toBe(false);
    expect(evaluate('!false && true || false', {})).toBe(true);
    expect(evaluate('[STDOUT].spent <= [STDOUT].ceiling', command)).toBe(true);
  });

  it('compares a number with its numeric text, and strings with strings', () => {
    expect(evaluate('"200" == 200', {})).toBe(true);
    expect(evaluate('"12" < 9', {})).toBe(false);
    expect(evaluate('"abc" < "abd"', {})).toBe(true);
    expect(evaluate('true < 2', {})).toBe(false);
    expect(evaluate('null == null', {})).toBe(true);
  });

  describe('functions', () => {
    it('len counts characters, items and keys', () => {
      expect(evaluate('len("abc")', {})).toBe(3);
      expect(evaluate('len([BODY].cards)', http)).toBe(2);
      expect(evaluate('len([BODY].services)', http)).toBe(1);
      expect(evaluate('len([BODY].missing)', http)).toBeUndefined();
    });

    it('words counts the words of a string', () => {
      expect(evaluate('words([STDOUT].sixWord)', command)).toBe(6);
      expect(evaluate('words("  one  two ")', {})).toBe(2);
      expect(evaluate('words([STDOUT].loa)', command)).toBeUndefined();
    });

    it('matches is a case-sensitive regex test, false for non-strings', () => {
      expect(evaluate('matches([STDOUT].decision, "^allow")', command)).toBe(true);
      expect(evaluate('matches([STDOUT].decision, "^ALLOW")', command)).toBe(false);
      expect(evaluate('matches([STDOUT].loa, "1")', command)).toBe(false);
      expect(evaluate('matches([STDOUT].missing, ".")', command)).toBe(false);
    });

    it('has tells present from missing', () => {
      expect(evaluate('has([STDOUT].loa)', command)).toBe(true);
      expect(evaluate('has([STDOUT].nope)', command)).toBe(false);
      expect(evaluate('has(null)', {})).toBe(false);
    });

    it('count, every and any look at one field of each item', () => {
      expect(evaluate('count([STDOUT].federation.peers, "online", false)', command)).toBe(2);
      expect(evaluate('every([BODY].cards, "status", "green")', http)).toBe(true);
      expect(evaluate('every([STDOUT].federation.peers, "online", true)', command)).toBe(false);
      expect(evaluate('any([STDOUT].federation.peers, "online", true)', command)).toBe(true);
      expect(evaluate('every([BODY].nothing, "status", "green")', http)).toBe(false);
      expect(evaluate('every([BODY].empty, "status", "green")', { BODY: { empty: [] } })).toBe(false);
      expect(evaluate('count([BODY].cards, "status", "green")', { BODY: { cards: 'no' } })).toBeUndefined();
    });
  });

  it('throws only for an invalid expression; a placeholder no probe gave is missing data', () => {
    expect(() => evaluate('[STATUS] ==', {})).toThrow('syntax error');
    expect(evaluate('[BODDY]', {})).toBeUndefined();
    expect(holds('[BODDY]', {})).toBe(false);
  });
});

describe('holds and valueOf', () => {
  it('holds only for exactly true', () => {
    expect(holds('[STATUS] == 200', http)).toBe(true);
    expect(holds('[STATUS]', http)).toBe(false);
    expect(holds('[BODY].missing', http)).toBe(false);
  });

  it('valueOf gives numbers for metrics and costs', () => {
    expect(valueOf('[RESPONSE_TIME]', http)).toBe(45_200);
    expect(valueOf('[STDOUT].cost', command)).toBe(0.25);
    expect(valueOf('[LOG].cost', log)).toBe(0.5);
    expect(valueOf('[BODY].missing', http)).toBeUndefined();
    expect(valueOf('[BODY].cards', http)).toBeUndefined();
    expect(valueOf('"1.5"', {})).toBe(1.5);
    expect(valueOf('[BODDY]', {})).toBeUndefined();
  });
});

describe('judge', () => {
  const responseTime = {
    name: 'Response time under 30s (alert over 60s)',
    pass: '[RESPONSE_TIME] < 30s',
    warn: '[RESPONSE_TIME] <= 60s',
    severity: 'medium',
  };

  it('passes when every condition holds', () => {
    const verdict = judge(['[STATUS] == 200', { name: 'cards', pass: 'every([BODY].cards, "status", "green")' }], http, 'high');
    expect(verdict.outcome).toBe('ok');
    expect(verdict.reason).toBe('all conditions hold');
    expect(verdict.severity).toBeUndefined();
    expect(verdict.conditions.map((c) => c.outcome)).toEqual(['ok', 'ok']);
    expect(verdict.conditions[0]).toMatchObject({ name: '[STATUS] == 200', detail: '[STATUS] = 200' });
  });

  it('warns inside the warn band and fails beyond it', () => {
    expect(judge([responseTime], { RESPONSE_TIME: 12_000 }, 'critical').outcome).toBe('ok');
    const slow = judge([responseTime], { RESPONSE_TIME: 45_200 }, 'critical', httpPlaceholders);
    expect(slow).toMatchObject({
      outcome: 'warn',
      severity: 'medium',
      reason: 'Response time under 30s (alert over 60s): [RESPONSE_TIME] = 45.2s',
    });
    const verySlow = judge([responseTime], { RESPONSE_TIME: 61_000 }, 'critical', httpPlaceholders);
    expect(verySlow).toMatchObject({ outcome: 'fail', severity: 'medium' });
    expect(verySlow.conditions[0].detail).toBe('[RESPONSE_TIME] = 61s');
  });

  it('fails a missing value rather than passing it', () => {
    const verdict = judge([responseTime, '[STATUS] == 200'], {}, 'high', httpPlaceholders);
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toBe('Response time under 30s (alert over 60s): [RESPONSE_TIME] = missing');
  });

  it('lets the worst outcome win, with the worst severity among the failed conditions', () => {
    const verdict = judge(
      [
        responseTime,
        { name: 'Federation enabled', pass: '[STDOUT].federation.enabled == false', severity: 'high' },
        { name: 'litellm operational', pass: '[STDOUT].services.litellm == "online"' },
        { name: 'odd severity', pass: 'false', severity: 'whatever' },
      ],
      { ...command, RESPONSE_TIME: 45_000 },
      'critical',
    );
    expect(verdict.outcome).toBe('fail');
    expect(verdict.severity).toBe('critical');
    expect(verdict.reason).toBe('Federation enabled: [STDOUT].federation.enabled = true');
    expect(verdict.conditions.map((c) => [c.outcome, c.severity])).toEqual([
      ['warn', 'medium'],
      ['fail', 'high'],
      ['fail', 'critical'],
      ['fail', 'whatever'],
    ]);
  });

  it('ranks unknown severities lowest', () => {
    const verdict = judge(
      [
        { name: 'a', pass: 'false', severity: 'whatever' },
        { name: 'b', pass: 'false', severity: 'low' },
      ],
      {},
      'high',
    );
    expect(verdict.severity).toBe('low');
  });

  it('shows function results and paths in the detail, bounded to 200 characters', () => {
    const verdict = judge(['count([STDOUT].federation.peers, "online", false) == 0'], command, 'high');
    expect(verdict.conditions[0].detail).toMatch(
      /^count\(\[STDOUT\]\.federation\.peers, "online", false\) = 2, \[STDOUT\]\.federation\.peers = /,
    );
    const huge = { STDOUT: { a: 'x'.repeat(5_000), b: 'y'.repeat(5_000), c: 'z'.repeat(5_000) } };
    const detail = describeValues(['[STDOUT].a == [STDOUT].b and [STDOUT].c == ""'], huge)!;
    expect(detail.length).toBeLessThanOrEqual(200);
  });

  it('fails an invalid condition with the reason instead of throwing', () => {
    const verdict = judge(['[BODDY] == 1'], http, 'low', httpPlaceholders);
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toContain('unknown placeholder [BODDY]');
  });
});

describe('formatMs', () => {
  it('prints milliseconds and seconds', () => {
    expect(formatMs(850)).toBe('850ms');
    expect(formatMs(45_200)).toBe('45.2s');
    expect(formatMs(61_000)).toBe('61s');
  });
});

test("of several failed conditions, the gravest in the plan's own order names the incident's severity", () => {
  const conditions = [
    { name: 'slow', pass: '[RESPONSE_TIME] < 1s', severity: 'sev2' },
    { name: 'down', pass: '[STATUS] == 200', severity: 'sev1' },
  ];
  const values = { STATUS: 503, RESPONSE_TIME: 4000 };
  expect(judge(conditions, values, 'sev2', httpPlaceholders, ['sev1', 'sev2']).severity).toBe('sev1');
  expect(judge(conditions, values, 'sev2', httpPlaceholders, ['sev2', 'sev1']).severity).toBe('sev2');
});
