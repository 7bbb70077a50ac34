import { FaultError, lookupOf, normalizeFault } from '../../sim/faults';
import { createState } from '../../sim/state';
import { createTimelineApplier, faultsAt, stepsBetween, validateTimeline, type TimelineStep } from '../../sim/timeline';
import { DEMO_TIMELINE } from '../../sim/scenario';
import { cardsView, decide, policyView } from '../../sim/views';

const steps: TimelineStep[] = [
  { hour: 6, clear: ['slow'], set: [{ name: 'service-offline', params: { service: 'litellm' } }] },
  { hour: 2, set: [{ name: 'slow', params: { seconds: 70 } }] },
  { hour: 8, clear: ['*'] },
  { hour: 6, set: [{ name: 'kill-switch' }] },
];

describe('timeline (pure)', () => {
  it('computes the faults active at each hour, in hour order', () => {
    expect(faultsAt(steps, 0)).toEqual([]);
    expect(faultsAt(steps, 2)).toEqual([{ name: 'slow', params: { seconds: 70 } }]);
    expect(faultsAt(steps, 5.9)).toEqual([{ name: 'slow', params: { seconds: 70 } }]);
    expect(faultsAt(steps, 6)).toEqual([
      { name: 'service-offline', params: { service: 'litellm' } },
      { name: 'kill-switch', params: {} },
    ]);
    expect(faultsAt(steps, 48)).toEqual([]);
  });

  it('fills default parameters', () => {
    expect(faultsAt([{ hour: 0, set: [{ name: 'peers-offline' }] }], 0)).toEqual([{ name: 'peers-offline', params: { count: 2 } }]);
  });

  it('selects the steps of a window of hours', () => {
    expect(stepsBetween(steps, 2, 6).map((s) => s.hour)).toEqual([6, 6]);
    expect(stepsBetween(steps, -Infinity, 2).map((s) => s.hour)).toEqual([2]);
  });

  it('applies each step once as hours pass, leaving other changes alone', () => {
    const calls: string[] = [];
    const sim = {
      setFault: (n: string) => calls.push(`set ${n}`),
      clearFault: (n: string) => calls.push(`clear ${n}`),
      clearAll: () => calls.push('clear *'),
    };
    const applier = createTimelineApplier(sim, steps);
    applier.advanceTo(1);
    expect(calls).toEqual([]);
    applier.advanceTo(2);
    applier.advanceTo(2);
    expect(calls).toEqual(['set slow']);
    applier.advanceTo(7);
    expect(calls).toEqual(['set slow', 'clear slow', 'set service-offline', 'set kill-switch']);
    applier.advanceTo(3);
    applier.advanceTo(8);
    expect(calls.slice(4)).toEqual(['clear *']);
    expect(applier.hour).toBe(8);
  });

  it('validates a timeline with paths', () => {
    expect(validateTimeline(DEMO_TIMELINE)).toEqual([]);
    expect(validateTimeline({})).toEqual(['timeline: must be an array of steps']);
    const errors = validateTimeline([
      { hour: -1 },
      { hour: 1, set: [{ name: 'nope' }, { name: 'slow', params: { seconds: 'x' } }], clear: ['bad'] },
    ]);
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(/^timeline\[0\]\.hour/);
    expect(errors[1]).toMatch(/^timeline\[1\]\.set\[0\]: unknown fault "nope"/);
    expect(errors[2]).toMatch(/^timeline\[1\]\.set\[1\]: slow: seconds must be a number/);
    expect(errors[3]).toMatch(/^timeline\[1\]\.clear\[0\]/);
  });
});

describe('fault parameters and views (pure)', () => {
  it('refuses bad parameters', () => {
    expect(() => normalizeFault('service-offline', { service: 'neo4j' })).toThrow(FaultError);
    expect(() => normalizeFault('elevated-loa', { loa: 1 })).toThrow(/loa must be an integer from 2/);
    expect(() => normalizeFault('garbage', [])).toThrow(/must be an object/);
    expect(normalizeFault('elevated-loa', { loa: 3 })).toEqual({ name: 'elevated-loa', params: { loa: 3 } });
  });

  it('caps autonomy and route LOA in conservative mode', () => {
    const state = createState(1);
    const faults = lookupOf([{ name: 'elevated-loa', params: { loa: 3 } }]);
    expect(policyView(state, faults).autonomy).toBe(3);
    expect(decide({ task: 'code', loa: 1 }, state, faults).loa).toBe(3);
    state.loaCap = 1;
    expect(policyView(state, faults).autonomy).toBe(1);
    expect(decide({ task: 'code', loa: 1 }, state, faults).loa).toBe(1);
  });

  it('derives the cards from the faults', () => {
    const state = createState(1);
    const red = (faults: Parameters<typeof cardsView>[1]) =>
      cardsView(state, faults)
        .cards.filter((c) => c.status === 'red')
        .map((c) => c.name);
    expect(red(lookupOf([]))).toEqual([]);
    expect(red(lookupOf([{ name: 'service-offline', params: { service: 'both' } }]))).toEqual(['ollama', 'litellm']);
    expect(red(lookupOf([{ name: 'peers-offline' }]))).toEqual(['federation']);
    expect(red(lookupOf([{ name: 'autonomy-zero' }]))).toEqual(['policy']);
  });
});
