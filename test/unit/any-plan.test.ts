// Results that hold for any plan, each found when the product was tried with a service that is not
// Symphony: spans read as people write them, incident timelines under a compressed clock to the second,
// JSON log lines matched on their fields.
import { formatHours } from '../../core/hours';
import { renderIncidentDoc, type IncidentInput, type IncidentRecord } from '../../core/incidents';
import { classifyLines } from '../../probes/log/read';
import { span } from '../../report/report';

test('spans of watch hours read as people write them, never 0.16666666666666666 h', () => {
  expect([10 / 60, 0.25, 0.5, 1, 1.5, 2.25, 12.5, 48, 96].map(formatHours)).toEqual([
    '10 min',
    '15 min',
    '30 min',
    '1 h',
    '1.5 h',
    '2.25 h',
    '12.5 h',
    '48 h',
    '4 d',
  ]);
  expect([0.5 / 60, 7.5 / 60].map(formatHours)).toEqual(['30 s', '7.5 min']);
  expect(span(10 / 60)).toBe('10 min');
  expect(span(undefined)).toBe('–');
});

const input: IncidentInput = {
  watchId: 'watch-orders-api-v2',
  id: 'watch-orders-api-v2/incident-1',
  seq: 1,
  check: 'health',
  checkDescription: 'the API answers /healthz',
  severity: 'sev1',
  meaning: 'Orders cannot be placed',
  category: 'availability',
  reason: '[STATUS] = 503',
  evidence: 'GET /healthz → 503',
  openedAt: Date.parse('2026-12-05T10:00:00.000Z'),
  openedHour: 2,
  hourMs: 1500,
  ackMs: 250,
  resolveMs: 1500,
  chain: ['dana', 'eli', 'fay'],
  pagerSeverity: 'critical',
  sinks: [],
  reportsDir: 'reports',
  vars: {},
  investigate: [],
  roster: { people: {}, profile: 'dev' },
};
const rec: IncidentRecord = {
  state: 'resolved',
  holder: 'dana',
  step: 0,
  pages: [
    { step: 0, to: 'dana', at: input.openedAt, why: 'opened' },
    { step: 1, to: 'eli', at: input.openedAt + 250, why: 'not acknowledged within 10 min (escalation 1)' },
  ],
  ackedAt: input.openedAt + 400,
  ackedBy: 'dana',
  resolvedAt: input.openedAt + 2_900,
  resolvedBy: 'dana',
  rootCause: 'bad migration',
  resolution: 'rolled back',
  investigation: [],
};

test('under a compressed clock, an incident document stamps every moment to the second', () => {
  const doc = renderIncidentDoc(input, rec);
  expect(doc).toContain('**Time:** 2026-12-05 10:00:00 UTC (watch hour 2.0)');
  expect(doc).toContain('- 2026-12-05 10:00:00 UTC: paged eli (not acknowledged within 10 min (escalation 1))');
  expect(doc).toContain('- 2026-12-05 10:00:02 UTC: resolved by dana');
  // On a real clock, minutes are enough.
  expect(renderIncidentDoc({ ...input, hourMs: 3_600_000 }, rec)).toContain('**Time:** 2026-12-05 10:00 UTC');
});

test('JSON log lines are matched on a field of the parsed line, not on their text', () => {
  const lines = [
    '{"status":503,"level":"error","path":"/orders"}',
    '{"status":200,"level":"info","path":"/status/500"}',
    'not json at all 500',
    '{"status":404}',
  ].map((text) => ({
    file: 'requests.jsonl',
    text,
  }));
  const tally = classifyLines(lines, {
    classes: {
      alert: [{ name: 'server_errors', regex: '^5[0-9][0-9]$', field: 'status' }],
      warning: [{ name: 'client_errors', regex: '^4', field: 'status' }],
      normal: [{ name: 'info', regex: '^info$', field: 'level' }],
    },
    samples: 3,
  });
  // The 200 whose path mentions 500, and the text line with 500 in it, are not server errors.
  expect(tally.patterns).toEqual({ server_errors: 1, client_errors: 1, info: 1 });
  expect(tally.counts).toEqual({ alert: 1, warning: 1, normal: 1 });
});
