// `release-watch init` in a terminal: what is not given as a flag is asked, in order, and the answers make
// the same plan the flags would.
import { PassThrough } from 'node:stream';
import { answersFrom, starterPlanText } from '../../client/init';
import { validatePlanText } from '../../plan/validate';

function terminal(lines: string[]) {
  const input = new PassThrough();
  const output = new PassThrough();
  let asked = '';
  output.on('data', (b: Buffer) => (asked += b.toString()));
  // Each answer once its question is on the screen, as a person types it.
  let next = 0;
  output.on('data', () => {
    if (next < lines.length) input.write(`${lines[next++]}\n`);
  });
  return { io: { input, output, interactive: true }, asked: () => asked };
}

test('the questions, in order, and a plan from the answers that validates', async () => {
  const t = terminal(['checkout-api', 'https://checkout.internal/healthz', '', '', 'alice:Alice Ng, bob:Bob Roy']);
  const answers = await answersFrom({}, t.io);
  expect(t.asked().split(': ').slice(0, 5)).toEqual([
    'Service name (lower-case letters, digits, dashes)',
    'HTTP health URL (empty for none)',
    'A log file to watch, on the worker (empty for none)',
    'A command whose exit code says it is healthy (empty for none)',
    'Who is on call, in order (id:Name, comma-separated)',
  ]);
  expect(answers).toEqual({
    service: 'checkout-api',
    url: 'https://checkout.internal/healthz',
    people: [
      { id: 'alice', name: 'Alice Ng' },
      { id: 'bob', name: 'Bob Roy' },
    ],
    profile: 'dev',
    hour: '1h',
  });
  const r = validatePlanText(starterPlanText(answers, '../plan.schema.json'), 'checkout-api.yaml');
  expect(r.ok && Object.keys(r.plan.checks)).toEqual(['health']);
});

test('a flag is not asked again; a bad answer is refused with the reason', async () => {
  const t = terminal(['Checkout API']);
  await expect(answersFrom({ url: 'https://x.internal/h', person: ['a:A'] }, t.io)).rejects.toThrow(
    '--service must be lower-case letters, digits and dashes (got "Checkout API")',
  );
  expect(t.asked()).toBe('Service name (lower-case letters, digits, dashes): ');
});
