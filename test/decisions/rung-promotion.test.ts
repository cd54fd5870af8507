import {
  pendingAtRung,
  rungPromotions,
  rungQuotas,
  type RungArrival,
} from '../../src/decisions/rung-promotion';

const at = (values: number[], decided: RungArrival['decided'][] = []): RungArrival[] =>
  values.map((value, index) => ({ index, value, ...(decided[index] ? { decided: decided[index] } : {}) }));

const verdicts = (arrived: RungArrival[], pending: number, direction: 'minimize' | 'maximize' = 'minimize') =>
  rungPromotions(arrived, pending, 0.5, direction).map((v) => [v.index, v.verdict]);

describe('how many trials can reach each rung', () => {
  it('all at the first, then the best keep fraction of the one before, at least one', () => {
    expect(rungQuotas(16, 3, 0.5)).toEqual([16, 8, 4]);
    expect(rungQuotas(10, 2, 0.3)).toEqual([10, 3]);
    expect(rungQuotas(3, 3, 0.5)).toEqual([3, 1, 1]);
    expect(rungQuotas(5, 2, 1)).toEqual([5, 5]);
  });

  it('no trials, no rungs', () => {
    expect(rungQuotas(0, 2, 0.5)).toEqual([0, 0]);
    expect(rungQuotas(8, 0, 0.5)).toEqual([]);
  });
});

describe('trials still to come to a rung', () => {
  it('the quota less those there, never more than the trials alive below it, never negative', () => {
    expect(pendingAtRung(16, 4, 12)).toBe(12);
    expect(pendingAtRung(8, 2, 14)).toBe(6);
    // Trials failed below the rung: fewer can come than its quota says.
    expect(pendingAtRung(8, 2, 3)).toBe(3);
    expect(pendingAtRung(8, 2, 0)).toBe(0);
    // More came than the quota (ties promoted together): none to come.
    expect(pendingAtRung(4, 5, 2)).toBe(0);
  });
});

describe("a rung's promotions", () => {
  it('the first trial at a rung waits while enough trials are still to come to outrank it', () => {
    // 16 will come, the best 8 train on: rank 1 with 15 to come could still end 16th.
    expect(verdicts(at([0.5]), 15)).toEqual([[0, 'wait']]);
  });

  it('promoted exactly when rank + still to come equals the kept count; waits one above it', () => {
    // 4 there + 4 to come: the best 4 train on. Rank 1 with 4 to come could end 5th (1 + 4 > 4): waits.
    expect(verdicts(at([0.1, 0.2, 0.3, 0.4]), 4)).toEqual([
      [0, 'wait'],
      [1, 'wait'],
      [2, 'wait'],
      [3, 'wait'],
    ]);
    // 6 there + 2 to come: 4 kept. Rank 1 + 2 = 3 and rank 2 + 2 = 4 (equal): promoted; rank 3 + 2 = 5 waits.
    expect(verdicts(at([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), 2)).toEqual([
      [0, 'promote'],
      [1, 'promote'],
      [2, 'wait'],
      [3, 'wait'],
      [4, 'stop'],
      [5, 'stop'],
    ]);
  });

  it('stopped exactly when more than the kept count already rank better; rank equal to it is not stopped', () => {
    // 4 there + 0 to come: 2 kept. Rank 2 trains on, rank 3 is stopped.
    expect(verdicts(at([0.1, 0.2, 0.3, 0.4]), 0)).toEqual([
      [0, 'promote'],
      [1, 'promote'],
      [2, 'stop'],
      [3, 'stop'],
    ]);
  });

  it('nobody left to come decides every waiting trial; decided trials get no new verdict but still rank', () => {
    const arrived = at([0.3, 0.1, 0.2, 0.4], [undefined, 'promoted', undefined, undefined]);
    expect(verdicts(arrived, 0)).toEqual([
      [0, 'stop'],
      [2, 'promote'],
      [3, 'stop'],
    ]);
  });

  it('ties share the better rank: two equal values at the kept edge both train on', () => {
    expect(verdicts(at([0.1, 0.2, 0.2, 0.4]), 0)).toEqual([
      [0, 'promote'],
      [1, 'promote'],
      [2, 'promote'],
      [3, 'stop'],
    ]);
  });

  it('maximize: the larger value ranks first', () => {
    expect(verdicts(at([0.9, 0.5, 0.7, 0.1]), 0, 'maximize')).toEqual([
      [0, 'promote'],
      [1, 'stop'],
      [2, 'promote'],
      [3, 'stop'],
    ]);
  });

  it('a trial without a value (NaN) is unsure: promoted at once and not counted against the others', () => {
    const v = rungPromotions(at([Number.NaN, 0.3, 0.2]), 0, 0.5, 'minimize');
    expect(v.map((x) => [x.index, x.verdict])).toEqual([
      [0, 'promote'],
      [1, 'stop'],
      [2, 'promote'],
    ]);
    // Two valued trials: one kept, as if the unsure one were not there.
    expect(v[2]).toMatchObject({ rank: 1, of: 2, kept: 1 });
  });

  it('at least one trains on: a lone trial with none to come is promoted; no arrivals, no verdicts', () => {
    expect(verdicts(at([0.7]), 0)).toEqual([[0, 'promote']]);
    expect(rungPromotions([], 5, 0.5, 'minimize')).toEqual([]);
  });

  it('keep 1 promotes every trial at once, whatever is still to come', () => {
    expect(rungPromotions(at([0.9, 0.1]), 10, 1, 'minimize').map((v) => v.verdict)).toEqual([
      'promote',
      'promote',
    ]);
  });

  it('says where the trial stands and what it waits for', () => {
    const [v] = rungPromotions(at([0.5]), 3, 0.5, 'minimize');
    expect(v).toMatchObject({ verdict: 'wait', rank: 1, of: 4, kept: 2 });
    expect(v.why).toBe('rank 1 of 1 at this rung with 3 to come, the best 2 of 4 train on: waits, paused');
  });
});
