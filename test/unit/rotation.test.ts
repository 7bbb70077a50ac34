import { escalationChain, onCallAt, personLabel } from '../../core/rotation';
import type { Plan } from '../../plan/schema';
import { symphonyPlan } from '../helpers/plans';

const plan = symphonyPlan();

const PRIMARY = { window: 'primary', primary: 'duty-engineer', backup: 'policy-steward', escalation: 'release-captain' };
const SECONDARY = { window: 'secondary', primary: 'duty-engineer-2', backup: 'rag-owner', escalation: 'release-captain' };
const EXTENDED = { window: 'extended', primary: 'db-owner', backup: 'policy-steward', escalation: 'release-captain' };

describe('onCallAt', () => {
  it.each([
    [0, PRIMARY],
    [11, PRIMARY],
    [11.9, PRIMARY],
    [12, SECONDARY],
    [23, SECONDARY],
    [24, EXTENDED],
    [47, EXTENDED],
    // The last window's end is exclusive, and past it (an extended watch) its people stay on call.
    [48, EXTENDED],
    [60, EXTENDED],
  ])('at hour %p', (hour, expected) => {
    expect(onCallAt(plan, hour)).toEqual(expected);
  });

  it('does not depend on the order the windows are written in', () => {
    const shuffled: Plan = { ...plan, rotation: { ...plan.rotation, windows: [...plan.rotation.windows].reverse() } };
    expect(onCallAt(shuffled, 0)).toEqual(PRIMARY);
    expect(onCallAt(shuffled, 12)).toEqual(SECONDARY);
    expect(onCallAt(shuffled, 60)).toEqual(EXTENDED);
  });
});

describe('escalationChain', () => {
  it('pages primary, backup, escalation, twice (loops: 2)', () => {
    expect(escalationChain(plan, 3)).toEqual([
      'duty-engineer',
      'policy-steward',
      'release-captain',
      'duty-engineer',
      'policy-steward',
      'release-captain',
    ]);
  });

  it('follows the window of the hour', () => {
    expect(escalationChain(plan, 12).slice(0, 3)).toEqual(['duty-engineer-2', 'rag-owner', 'release-captain']);
    expect(escalationChain(plan, 30).slice(0, 3)).toEqual(['db-owner', 'policy-steward', 'release-captain']);
    expect(escalationChain(plan, 60).slice(0, 3)).toEqual(['db-owner', 'policy-steward', 'release-captain']);
  });

  it.each([1, 2, 3])('repeats the chain `loops` times (%p)', (loops) => {
    const p: Plan = { ...plan, rotation: { ...plan.rotation, loops } };
    const chain = escalationChain(p, 0);
    expect(chain).toHaveLength(3 * loops);
    for (let i = 0; i < loops; i++) expect(chain.slice(3 * i, 3 * i + 3)).toEqual(['duty-engineer', 'policy-steward', 'release-captain']);
  });
});

describe('personLabel', () => {
  it('shows name and handle, the name alone, or the id of an unknown person', () => {
    expect(personLabel(plan, 'release-captain')).toBe('Release Captain (@release-captain)');
    const p: Plan = { ...plan, people: { ...plan.people, anon: { name: 'Anon' } } };
    expect(personLabel(p, 'anon')).toBe('Anon');
    expect(personLabel(plan, 'ghost')).toBe('ghost');
  });
});
