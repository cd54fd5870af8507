import {
  configWith,
  drawFromRange,
  epochsDone,
  nextRungLookMs,
  gridSize,
  gridTrials,
  planTrials,
  randomTrials,
  rungValue,
  rungVerdict,
  sweepBudgetReached,
  sweepWinner,
} from '../../src/decisions/halving';
import type { Checkpoint } from '../../src/domain/types';

const lossSelection = {
  metric: 'validationLoss',
  direction: 'minimize',
  tieBreak: 'earliest-epoch',
} as const;

describe('grid trials', () => {
  it('every combination once, the first parameter varying slowest', () => {
    const trials = gridTrials({ 'training.learning_rate': [1e-4, 3e-4], 'parameters.rank': [8, 16, 32] });
    expect(trials.map((t) => t.params)).toEqual([
      { 'training.learning_rate': 1e-4, 'parameters.rank': 8 },
      { 'training.learning_rate': 1e-4, 'parameters.rank': 16 },
      { 'training.learning_rate': 1e-4, 'parameters.rank': 32 },
      { 'training.learning_rate': 3e-4, 'parameters.rank': 8 },
      { 'training.learning_rate': 3e-4, 'parameters.rank': 16 },
      { 'training.learning_rate': 3e-4, 'parameters.rank': 32 },
    ]);
    expect(trials.map((t) => t.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(gridSize({ a: [1, 2], b: [1, 2, 3] })).toBe(6);
  });

  it('a grid starts in a seeded random order: every combination once, the same order for the same seed', () => {
    const parameters = { a: [1, 2, 3, 4], b: ['x', 'y'] };
    const planned = planTrials({ parameters, strategy: 'grid', seed: 3 });
    expect(planned.map((t) => t.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const key = (t: { params: Record<string, unknown> }) => JSON.stringify(t.params);
    expect(planned.map(key).sort()).toEqual(gridTrials(parameters).map(key).sort());
    expect(planned.map(key)).not.toEqual(gridTrials(parameters).map(key));
    expect(planTrials({ parameters, strategy: 'grid', seed: 3 })).toEqual(planned);
    expect(planTrials({ parameters, strategy: 'grid', seed: 4 }).map(key)).not.toEqual(planned.map(key));
  });

  it('one parameter with one value is one trial; no parameter is no trial; a range has no grid', () => {
    expect(gridTrials({ a: [5] })).toEqual([{ index: 0, params: { a: 5 } }]);
    expect(gridTrials({})).toEqual([]);
    expect(gridSize({ a: [1, 2], b: { min: 1, max: 2, scale: 'linear' } })).toBe(0);
    expect(() => gridTrials({ b: { min: 1, max: 2, scale: 'linear' } })).toThrow(/b is a range/);
  });
});

describe('random trials', () => {
  const space = {
    'training.learning_rate': { min: 1e-5, max: 1e-3, scale: 'log' },
    'parameters.rank': [8, 16, 32],
  } as const;

  it('the same seed draws the same trials; another seed others', () => {
    expect(randomTrials(space, 5, 7)).toEqual(randomTrials(space, 5, 7));
    expect(randomTrials(space, 5, 7)).not.toEqual(randomTrials(space, 5, 8));
    expect(planTrials({ parameters: space, strategy: 'random', trials: 3, seed: 7 })).toEqual(
      randomTrials(space, 3, 7),
    );
  });

  it('draws stay within their range and lists give only their values', () => {
    for (const t of randomTrials(space, 200, 3)) {
      const lr = t.params['training.learning_rate'] as number;
      expect(lr).toBeGreaterThanOrEqual(1e-5);
      expect(lr).toBeLessThan(1e-3);
      expect([8, 16, 32]).toContain(t.params['parameters.rank']);
    }
  });

  it('a log range is uniform in the exponent: about half the draws fall below the geometric middle', () => {
    const below = randomTrials(space, 1000, 5).filter(
      (t) => (t.params['training.learning_rate'] as number) < 1e-4,
    ).length;
    expect(below).toBeGreaterThan(430);
    expect(below).toBeLessThan(570);
  });

  it('range boundaries: u = 0 gives min, linear and log; whole-number ranges reach both ends', () => {
    expect(drawFromRange({ min: 0.1, max: 0.5, scale: 'linear' }, 0)).toBe(0.1);
    expect(drawFromRange({ min: 1e-5, max: 1e-3, scale: 'log' }, 0)).toBeCloseTo(1e-5, 12);
    expect(drawFromRange({ min: 0.1, max: 0.5, scale: 'linear' }, 0.5)).toBeCloseTo(0.3, 12);
    expect(drawFromRange({ min: 1e-5, max: 1e-3, scale: 'log' }, 0.5)).toBeCloseTo(1e-4, 12);
    const whole = { min: 4, max: 64, scale: 'log', integer: true } as const;
    expect(drawFromRange(whole, 0)).toBe(4);
    expect(drawFromRange(whole, 0.999999)).toBe(64);
    expect(drawFromRange({ min: 1, max: 3, scale: 'linear', integer: true }, 0.999999)).toBe(3);
    const ranks = new Set(randomTrials({ r: whole }, 400, 1).map((t) => t.params.r));
    for (const r of ranks) expect(Number.isInteger(r)).toBe(true);
  });

  it('zero trials is none', () => {
    expect(randomTrials(space, 0, 1)).toEqual([]);
  });
});

describe('a trial config', () => {
  it('sets each dotted path, adding missing sections, and leaves the original untouched', () => {
    const config = { strategy: 'lora', training: { epochs: 8, learning_rate: 2e-4 } };
    const out = configWith(config, { 'training.learning_rate': 1e-3, 'parameters.rank': 32 });
    expect(out).toEqual({
      strategy: 'lora',
      training: { epochs: 8, learning_rate: 1e-3 },
      parameters: { rank: 32 },
    });
    expect(config.training.learning_rate).toBe(2e-4);
  });
});

describe('a trial value at a rung', () => {
  const ckpt = (id: string, epoch: number, validationLoss?: number, deployable = true): Checkpoint => ({
    id,
    epoch,
    type: 'automatic',
    metrics: validationLoss === undefined ? {} : { validationLoss },
    deployable,
  });

  it('the best checkpoint up to and including the rung epoch, never a later one', () => {
    const list = [ckpt('e1', 1, 0.9), ckpt('e2', 2, 0.7), ckpt('e3', 3, 0.5)];
    expect(rungValue(list, 2, lossSelection)).toBe(0.7);
    expect(rungValue(list, 1, lossSelection)).toBe(0.9);
  });

  it('no checkpoint with the metric up to the rung: NaN', () => {
    expect(rungValue([ckpt('e1', 1)], 1, lossSelection)).toBeNaN();
    expect(rungValue([], 1, lossSelection)).toBeNaN();
    expect(rungValue([ckpt('e3', 3, 0.5)], 2, lossSelection)).toBeNaN();
  });
});

describe('the rung decision (ASHA)', () => {
  it('the first trial at a rung trains on', () => {
    expect(rungVerdict([], 9.9, 0.5, 'minimize')).toMatchObject({ stop: false, rank: 1, of: 1, kept: 1 });
  });

  it('keep 1/2: the second trial trains on only when better than the first', () => {
    expect(rungVerdict([0.5], 0.6, 0.5, 'minimize')).toMatchObject({ stop: true, rank: 2, of: 2, kept: 1 });
    expect(rungVerdict([0.5], 0.4, 0.5, 'minimize').stop).toBe(false);
  });

  it('a tie with the cut trains on (ties share the better rank)', () => {
    expect(rungVerdict([0.5], 0.5, 0.5, 'minimize')).toMatchObject({ stop: false, rank: 1 });
    expect(rungVerdict([0.3, 0.5, 0.5], 0.5, 0.5, 'minimize')).toMatchObject({
      stop: false,
      rank: 2,
      kept: 2,
    });
  });

  it('exactly at the keep fraction trains on; one place below it stops', () => {
    // 4 trials, keep 1/2: the best 2 train on.
    expect(rungVerdict([0.1, 0.3, 0.4], 0.2, 0.5, 'minimize')).toMatchObject({
      stop: false,
      rank: 2,
      kept: 2,
    });
    expect(rungVerdict([0.1, 0.2, 0.4], 0.3, 0.5, 'minimize')).toMatchObject({
      stop: true,
      rank: 3,
      kept: 2,
    });
  });

  it('judged against the trials at the rung so far, not all: the third of three with keep 1/2 keeps only the best', () => {
    expect(rungVerdict([0.1, 0.3], 0.2, 0.5, 'minimize')).toMatchObject({
      stop: true,
      rank: 2,
      of: 3,
      kept: 1,
    });
  });

  it('maximizing: higher is better', () => {
    expect(rungVerdict([0.8], 0.9, 0.5, 'maximize').stop).toBe(false);
    expect(rungVerdict([0.8], 0.7, 0.5, 'maximize').stop).toBe(true);
  });

  it('keep = 1 never stops', () => {
    expect(rungVerdict([0.1, 0.2, 0.3], 9, 1, 'minimize')).toMatchObject({ stop: false, rank: 4, kept: 4 });
  });

  it('a fraction that floating point puts a hair under a whole number still keeps that many', () => {
    // 0.3 × 10 = 3.0000000000000004, 0.29 × 100 = 28.999999999999996
    const ten = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    expect(rungVerdict(ten, 0.35, 0.3, 'minimize')).toMatchObject({ rank: 4, kept: 3, stop: true });
    const hundred = Array.from({ length: 99 }, (_, i) => i);
    expect(rungVerdict(hundred, 27.5, 0.29, 'minimize')).toMatchObject({ rank: 29, kept: 29, stop: false });
  });

  it('no metric (NaN) is unsure: the trial trains on, and it does not count against the others', () => {
    expect(rungVerdict([0.1, 0.2], Number.NaN, 0.5, 'minimize')).toMatchObject({ stop: false });
    // One earlier trial had no value: this one is judged against the one that had.
    expect(rungVerdict([Number.NaN, 0.1], 0.2, 0.5, 'minimize')).toMatchObject({
      stop: true,
      of: 2,
      kept: 1,
    });
    expect(rungVerdict([Number.NaN], 0.9, 0.5, 'minimize')).toMatchObject({ stop: false, of: 1 });
  });
});

describe('the sweep winner', () => {
  it('the best of the trials not stopped at a rung; a better rung-stopped one does not count', () => {
    expect(
      sweepWinner(
        [
          { index: 0, end: 'rung-stopped', value: 0.1 },
          { index: 1, end: 'completed', value: 0.4 },
          { index: 2, end: 'budget-stopped', value: 0.3 },
          { index: 3, end: 'failed', value: 0.2 },
        ],
        'minimize',
      ),
    ).toBe(2);
  });

  it('ties go to the earlier trial; maximizing takes the highest', () => {
    const trials = [
      { index: 4, end: 'completed', value: 0.5 },
      { index: 2, end: 'completed', value: 0.5 },
      { index: 3, end: 'completed', value: 0.2 },
    ] as const;
    expect(sweepWinner(trials, 'minimize')).toBe(3);
    expect(sweepWinner(trials, 'maximize')).toBe(2);
  });

  it('none with a value: no winner', () => {
    expect(sweepWinner([{ index: 0, end: 'completed', value: Number.NaN }], 'minimize')).toBeUndefined();
    expect(sweepWinner([], 'minimize')).toBeUndefined();
  });
});

describe('the sweep budget', () => {
  it('reached at exactly maxCost; unknown costs count nothing; no budget never', () => {
    expect(sweepBudgetReached([4, 6], 10)).toBe(true);
    expect(sweepBudgetReached([4, 5.99], 10)).toBe(false);
    expect(sweepBudgetReached([undefined, Number.NaN, 9], 10)).toBe(false);
    expect(sweepBudgetReached([1e9], undefined)).toBe(false);
  });
});

describe('epochs done and the next look for a rung', () => {
  it('while running, from the steps (not the epoch in progress); ended, its epoch', () => {
    const running = { status: 'running', epoch: 3, totalEpochs: 8, totalSteps: 4000 };
    expect(epochsDone({ ...running, step: 999 })).toBe(1);
    expect(epochsDone({ ...running, step: 1000 })).toBe(2);
    expect(epochsDone({ status: 'running', epoch: 3 })).toBe(2);
    expect(epochsDone({ status: 'running' })).toBe(0);
    expect(epochsDone({ status: 'completed', epoch: 8 })).toBe(8);
    expect(epochsDone({ status: 'pending' })).toBe(0);
  });

  it('looks when the pace says the rung is reached, within minInterval and freshness', () => {
    const timings = { minIntervalMs: 1_000, freshnessMs: 60_000 };
    const p = { status: 'running', totalEpochs: 8, totalSteps: 800, step: 100, remainingMs: 70_000 };
    // 100 of the 700 steps left reach epoch 2: a seventh of 70 s.
    expect(nextRungLookMs(p, 2, timings)).toBe(10_000);
    expect(nextRungLookMs({ ...p, remainingMs: 7_000_000 }, 2, timings)).toBe(60_000);
    expect(nextRungLookMs({ ...p, step: 200 }, 2, timings)).toBe(1_000);
    expect(nextRungLookMs({ ...p, remainingMs: undefined }, 2, timings)).toBe(60_000);
    expect(nextRungLookMs({ status: 'pending' }, 2, timings)).toBe(60_000);
  });
});
