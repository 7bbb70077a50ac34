import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogCursor } from '../../core/messages';
import { classifyLines, lineCost, readLogs, wholeLines, type LogClasses, type LogLine, type LogReadSpec } from '../../probes/log/read';

const classes: LogClasses = {
  normal: [{ name: 'decision_allowed', regex: '"decision":\\s*"allowed"' }],
  warning: [
    { name: 'cloud_model', regex: '"model":\\s*"cloud/' },
    { name: 'override', regex: 'override', files: ['logs/triggers.log'] },
  ],
  alert: [
    { name: 'decision_denied', regex: '"decision":\\s*"denied"' },
    { name: 'timeouts', regex: 'timeout', atLeast: 3 },
  ],
};

describe('classifyLines', () => {
  const line = (text: string, file = 'logs/overrides.jsonl'): LogLine => ({ file, text });
  const rules = { classes, samples: 2, costField: 'cost' };

  it('counts lines per pattern and per class, a line in its worst class', () => {
    const tally = classifyLines(
      [
        line('{"decision": "allowed", "cost": 0}'),
        line('{"decision": "allowed", "model": "cloud/gpt", "cost": 0.5}'),
        line('{"decision": "DENIED"}'),
        line('nothing to see'),
      ],
      rules,
    );
    expect(tally.lines).toBe(4);
    expect(tally.counts).toEqual({ normal: 1, warning: 1, alert: 1 });
    expect(tally.patterns).toEqual({ decision_allowed: 2, cloud_model: 1, override: 0, decision_denied: 1, timeouts: 0 });
  });

  it('counts a class for an atLeast pattern only once it matched often enough in the run', () => {
    const twice = classifyLines([line('upstream timeout'), line('Timeout again')], rules);
    expect(twice.patterns.timeouts).toBe(2);
    expect(twice.counts.alert).toBe(0);
    const thrice = classifyLines([line('timeout'), line('timeout'), line('TIMEOUT')], rules);
    expect(thrice.counts.alert).toBe(3);
  });

  it('applies a pattern only to the files it names', () => {
    const tally = classifyLines([line('manual override', 'logs/triggers.log'), line('override in jsonl')], rules);
    expect(tally.patterns.override).toBe(1);
    expect(tally.counts.warning).toBe(1);
  });

  it('keeps a bounded number of bounded samples per class', () => {
    const long = `{"decision": "denied", "pad": "${'p'.repeat(1_000)}"}`;
    const tally = classifyLines([line(long), line(long), line(long)], rules);
    expect(tally.samples.alert).toHaveLength(2);
    expect(tally.samples.alert[0].length).toBeLessThanOrEqual(300);
    expect(tally.samples.normal).toEqual([]);
  });

  it('sums the cost field of JSON lines', () => {
    const tally = classifyLines(
      [line('{"cost": 0.25}'), line('{"cost": 1.5}'), line('cost 9'), line('{"cost": "2"}'), line('{broken')],
      rules,
    );
    expect(tally.cost).toBe(1.75);
    expect(lineCost('{"usage": {"cost": 3}}', 'usage.cost')).toBe(3);
    expect(lineCost('{"cost": 3}', undefined)).toBe(0);
  });
});

describe('wholeLines', () => {
  it('leaves a partial last line for the next run', () => {
    expect(wholeLines(Buffer.from('a\r\nb\npart'), false)).toEqual({ lines: ['a', 'b'], consumed: 5 });
    expect(wholeLines(Buffer.from('part'), false)).toEqual({ lines: [], consumed: 0 });
  });

  it('takes one over-long line as it is, so reading moves on', () => {
    expect(wholeLines(Buffer.from('aaaa'), true)).toEqual({ lines: ['aaaa'], consumed: 4 });
  });
});

describe('readLogs', () => {
  let dir: string;
  let triggers: string;
  let overrides: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rw-log-'));
    triggers = join(dir, 'triggers.log');
    overrides = join(dir, 'overrides.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function logSpec(more: Partial<LogReadSpec> = {}): LogReadSpec {
    return {
      files: [
        { path: triggers, written: 'logs/triggers.log', optional: false },
        { path: overrides, written: 'logs/overrides.jsonl', optional: false },
      ],
      classes,
      costField: 'cost',
      samples: 3,
      maxBytesPerRun: 1_048_576,
      ...more,
    };
  }

  it('reads both files and returns a cursor at their ends', async () => {
    writeFileSync(triggers, 'override by ops\n');
    writeFileSync(overrides, '{"decision": "allowed", "cost": 0.5}\n{"decision": "denied", "cost": 0.25}\n');
    const { summary, failure, cursor } = await readLogs(logSpec());
    expect(failure).toBeUndefined();
    expect(summary.lines).toBe(3);
    expect(summary.counts).toEqual({ normal: 1, warning: 1, alert: 1 });
    expect(summary.cost).toBe(0.75);
    expect(summary.samples.alert).toEqual(['{"decision": "denied", "cost": 0.25}']);
    expect(cursor.files[triggers].offset).toBe(16);
    expect(summary.rotated).toEqual([]);
  });

  it('counts lines appended between runs once', async () => {
    writeFileSync(triggers, '');
    writeFileSync(overrides, '{"decision": "denied"}\n');
    const first = await readLogs(logSpec());
    expect(first.summary.counts.alert).toBe(1);
    appendFileSync(overrides, '{"decision": "allowed"}\n{"decision": "allowed"}\n');
    const second = await readLogs(logSpec(), first.cursor);
    expect(second.summary.lines).toBe(2);
    expect(second.summary.counts).toEqual({ normal: 2, warning: 0, alert: 0 });
    const third = await readLogs(logSpec(), second.cursor);
    expect(third.summary.lines).toBe(0);
  });

  it('leaves a partial last line until it is complete', async () => {
    writeFileSync(triggers, '');
    writeFileSync(overrides, '{"decision": "allowed"}\n{"decision": "de');
    const first = await readLogs(logSpec());
    expect(first.summary.lines).toBe(1);
    appendFileSync(overrides, 'nied"}\n');
    const second = await readLogs(logSpec(), first.cursor);
    expect(second.summary.lines).toBe(1);
    expect(second.summary.counts.alert).toBe(1);
    expect(second.summary.samples.alert).toEqual(['{"decision": "denied"}']);
  });

  it('reads a truncated file again from its start', async () => {
    writeFileSync(triggers, '');
    writeFileSync(overrides, '{"decision": "allowed"}\n{"decision": "allowed"}\n');
    const first = await readLogs(logSpec());
    truncateSync(overrides, 0);
    appendFileSync(overrides, '{"decision": "denied"}\n');
    const second = await readLogs(logSpec(), first.cursor);
    expect(second.summary.rotated).toEqual([overrides]);
    expect(second.summary.counts).toEqual({ normal: 0, warning: 0, alert: 1 });
  });

  it('notices a rotated file even when the new one is already as long as the old', async () => {
    writeFileSync(triggers, '');
    writeFileSync(overrides, '{"decision": "allowed"}\n');
    const first = await readLogs(logSpec());
    renameSync(overrides, `${overrides}.1`);
    writeFileSync(overrides, '{"decision": "denied"}\n{"decision": "denied"}\n');
    const second = await readLogs(logSpec(), first.cursor);
    expect(second.summary.rotated).toEqual([overrides]);
    expect(second.summary.counts.alert).toBe(2);
  });

  it('notices a file rewritten in place by its first bytes', async () => {
    writeFileSync(triggers, '');
    writeFileSync(overrides, '{"decision": "allowed"}\n');
    const first = await readLogs(logSpec());
    const cursor: LogCursor = { files: { ...first.cursor.files } };
    writeFileSync(overrides, '{"decision": "denied"}\n{"decision": "denied"}\n');
    cursor.files[overrides] = { ...cursor.files[overrides], ino: undefined };
    const second = await readLogs(logSpec(), cursor);
    expect(second.summary.rotated).toEqual([overrides]);
    expect(second.summary.counts.alert).toBe(2);
  });

  it('fails for a missing file unless it is optional, and still reads the others', async () => {
    writeFileSync(overrides, '{"decision": "denied"}\n');
    const { summary, failure, cursor } = await readLogs(logSpec());
    expect(failure).toBe(`log file missing: ${triggers}`);
    expect(summary.counts.alert).toBe(1);
    expect(cursor.files[overrides]).toBeDefined();
    const optional = await readLogs(logSpec({ files: [{ path: triggers, written: 'logs/triggers.log', optional: true }] }));
    expect(optional.failure).toBeUndefined();
    expect(optional.summary.lines).toBe(0);
  });

  it('reads at most maxBytesPerRun of whole lines and goes on next run', async () => {
    writeFileSync(triggers, '');
    const lineText = '{"decision": "allowed"}\n';
    writeFileSync(overrides, lineText.repeat(10));
    const first = await readLogs(logSpec({ maxBytesPerRun: lineText.length * 3 + 5 }));
    expect(first.summary.lines).toBe(3);
    const second = await readLogs(logSpec({ maxBytesPerRun: 1_048_576 }), first.cursor);
    expect(second.summary.lines).toBe(7);
  });
});
