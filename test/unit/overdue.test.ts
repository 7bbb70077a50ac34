import { overdueDeadlines } from '../../core/schedule';

describe('overdueDeadlines', () => {
  const ack = 15 * 60_000;
  const due = Date.UTC(2026, 10, 26, 12, 0);

  test('a deadline still ahead is not overdue', () => {
    expect(overdueDeadlines(due, due - 1, ack)).toEqual({ count: 0, next: due });
  });

  test('a deadline reached to the millisecond is overdue', () => {
    expect(overdueDeadlines(due, due, ack)).toEqual({ count: 1, next: due + ack });
  });

  test('counts every deadline on the grid up to now and gives the first one ahead', () => {
    expect(overdueDeadlines(due, due + 3 * ack + 1, ack)).toEqual({ count: 4, next: due + 4 * ack });
    expect(overdueDeadlines(due, due + 3 * ack, ack)).toEqual({ count: 4, next: due + 4 * ack });
    expect(overdueDeadlines(due, due + 3 * ack - 1, ack)).toEqual({ count: 3, next: due + 3 * ack });
  });

  test('days overdue is one count, not one entry per deadline', () => {
    const { count, next } = overdueDeadlines(due, due + 3 * 86_400_000, ack);
    expect(count).toBe(3 * 96 + 1);
    expect(next).toBe(due + count * ack);
  });

  test('a zero spacing never loops: one deadline, the next just ahead', () => {
    expect(overdueDeadlines(due, due + 5, 0)).toEqual({ count: 1, next: due + 6 });
  });
});
