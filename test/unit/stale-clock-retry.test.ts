// A status query the watch refuses for a stale clock (workflows/clock.ts) is sent again until its
// deadline; any other error is not. The clock and the waits are the test's own, so nothing sleeps.
import { retryStaleClock } from '../../client/watches';

const stale = () =>
  new Error(
    'stale workflow clock: the history grew from 3 to 7 events but the clock still reads 2026-12-06T05:03:46.927Z; not acting on it',
  );

function clock() {
  let t = 0;
  const waits: number[] = [];
  return { now: () => t, sleep: async (ms: number) => void (waits.push(ms), (t += ms)), waits };
}

test('a stale-clock refusal is asked again, with growing waits, until the watch answers', async () => {
  const c = clock();
  let asked = 0;
  const answer = await retryStaleClock(
    'w1',
    10_000,
    async () => {
      asked += 1;
      if (asked <= 5) throw stale();
      return 'status';
    },
    c.sleep,
    c.now,
  );
  expect(answer).toBe('status');
  expect(asked).toBe(6);
  expect(c.waits).toEqual([100, 200, 400, 800, 1000]);
});

test("past the deadline the refusal is reported with the watch, what to do, and the watch's own words", async () => {
  const c = clock();
  let asked = 0;
  const failed = retryStaleClock(
    'w2',
    1_000,
    async () => {
      asked += 1;
      throw stale();
    },
    c.sleep,
    c.now,
  );
  await expect(failed).rejects.toThrow(
    /^watch "w2" did not answer in time: its worker has events it has not run yet.*try again in a moment \(stale workflow clock: /,
  );
  // 100 + 200 + 400 = 700 ms waited; the next wait (800) would pass the deadline.
  expect(c.waits).toEqual([100, 200, 400]);
  expect(asked).toBe(4);
});

test('any other error is not retried', async () => {
  const c = clock();
  let asked = 0;
  const failed = retryStaleClock(
    'w3',
    10_000,
    async () => {
      asked += 1;
      throw new Error('no worker answered for watch "w3" within 10 s');
    },
    c.sleep,
    c.now,
  );
  await expect(failed).rejects.toThrow(/^no worker answered/);
  expect(asked).toBe(1);
  expect(c.waits).toEqual([]);
});
