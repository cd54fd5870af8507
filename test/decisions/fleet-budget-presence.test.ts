import {
  FLEET_BUDGET_PRESENCE_FRESH_MS,
  freshPresence,
  skipsFleetBudget,
} from '../../src/decisions/fleet-budget-presence';

const AT = Date.parse('2026-12-06T10:00:00Z');

describe('fleet budget presence: how long a worker trusts what it learned', () => {
  it('nothing learned: ask', () => {
    expect(freshPresence(undefined, AT)).toBeUndefined();
  });

  it('just learned: trusted, whichever the answer', () => {
    expect(freshPresence({ presence: 'none', learnedAtMs: AT }, AT)).toBe('none');
    expect(freshPresence({ presence: 'set', learnedAtMs: AT }, AT + 1)).toBe('set');
  });

  it('one millisecond short of the bound: trusted; at the bound: asked again', () => {
    const learned = { presence: 'none' as const, learnedAtMs: AT };
    expect(freshPresence(learned, AT + FLEET_BUDGET_PRESENCE_FRESH_MS - 1)).toBe('none');
    expect(freshPresence(learned, AT + FLEET_BUDGET_PRESENCE_FRESH_MS)).toBeUndefined();
  });

  it('a bound of its own', () => {
    expect(freshPresence({ presence: 'none', learnedAtMs: AT }, AT + 99, 100)).toBe('none');
    expect(freshPresence({ presence: 'none', learnedAtMs: AT }, AT + 100, 100)).toBeUndefined();
  });

  it('a clock that went back, or a time that is not a number: asked again', () => {
    expect(freshPresence({ presence: 'none', learnedAtMs: AT }, AT - 1)).toBeUndefined();
    expect(freshPresence({ presence: 'none', learnedAtMs: NaN }, AT)).toBeUndefined();
    expect(freshPresence({ presence: 'none', learnedAtMs: AT }, NaN)).toBeUndefined();
  });
});

describe('fleet budget presence: when a pipeline skips its reservation', () => {
  it('only on a clean "no budget"', () => {
    expect(skipsFleetBudget('none')).toBe(true);
    expect(skipsFleetBudget('set')).toBe(false);
    expect(skipsFleetBudget('unknown')).toBe(false);
  });
});
