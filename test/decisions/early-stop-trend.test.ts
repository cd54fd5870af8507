import { earlyStopVerdict, type EarlyStopRule, type MetricPoint } from '../../src/decisions/early-stop';
import { earlyStopTrendVerdict, trendWindow } from '../../src/decisions/early-stop-trend';

const rule: EarlyStopRule = {
  patience: 2,
  minDelta: 0.01,
  metric: 'validationLoss',
  direction: 'minimize',
  minEpochs: 0,
};
const curve = (...values: (number | undefined)[]): MetricPoint[] =>
  values.map((value, i) => ({ epoch: i + 1, value }));
/** A straight line falling by `perCheckpoint` from `start`, `n` checkpoints long. */
const line = (start: number, perCheckpoint: number, n: number) =>
  curve(...Array.from({ length: n }, (_, i) => start - perCheckpoint * i));

describe('early stop on the trend of the newest 2 × patience + 1 checkpoints', () => {
  it('an empty history, or fewer checkpoints than the window, keeps training', () => {
    expect(trendWindow(2)).toBe(5);
    expect(earlyStopTrendVerdict([], rule)).toEqual({ stop: false, reason: 'no checkpoint yet' });
    // Flat, but only 4 of the 5 checkpoints the trend needs.
    expect(earlyStopTrendVerdict(curve(0.5, 0.5, 0.5, 0.5), rule)).toEqual({
      stop: false,
      reason: '4 of the 5 checkpoints a trend is drawn through',
    });
    expect(earlyStopTrendVerdict(curve(0.5, 0.5, 0.5, 0.5, 0.5), rule)).toMatchObject({
      stop: true,
      atEpoch: 5,
    });
  });

  it('a trend gaining exactly minDelta over patience checkpoints is no improvement: stop; a hair more trains on', () => {
    // 0.005 a checkpoint is 0.01 over 2 (in binary a hair either side of it).
    expect(earlyStopTrendVerdict(line(0.5, 0.005, 5), rule)).toMatchObject({ stop: true, atEpoch: 5 });
    expect(earlyStopTrendVerdict(line(1.5, 0.005, 5), rule)).toMatchObject({ stop: true, atEpoch: 5 });
    expect(earlyStopTrendVerdict(line(0.5, 0.0051, 5), rule)).toMatchObject({ stop: false });
  });

  it('patience sets both the span of the gain and the window: patience 3 judges 7 checkpoints over 3', () => {
    const three = { ...rule, patience: 3 };
    // 0.0034 a checkpoint is 0.0102 over 3: more than minDelta.
    expect(earlyStopTrendVerdict(line(0.5, 0.0034, 7), three).stop).toBe(false);
    expect(earlyStopTrendVerdict(line(0.5, 0.0033, 7), three)).toMatchObject({ stop: true, atEpoch: 7 });
    expect(earlyStopTrendVerdict(line(0.5, 0.0033, 6), three).stop).toBe(false);
  });

  it('one lucky low checkpoint does not stop a curve that still falls (the checkpoint-by-checkpoint rule does)', () => {
    // Falling about 0.012 a checkpoint, with one value 0.03 low at epoch 4.
    const noisy = curve(0.6, 0.588, 0.576, 0.534, 0.552, 0.54);
    expect(earlyStopVerdict(noisy, rule).stop).toBe(true);
    expect(earlyStopTrendVerdict(noisy, rule).stop).toBe(false);
  });

  it('names the best checkpoint seen (the earliest of equals), which the trend need not pass through', () => {
    const verdict = earlyStopTrendVerdict(curve(0.9, 0.52, 0.5, 0.53, 0.51, 0.5, 0.52), rule);
    expect(verdict).toEqual({
      stop: true,
      atEpoch: 7,
      bestEpoch: 3,
      bestValue: 0.5,
      reason:
        'no improvement > 0.01 in validationLoss for 2 checkpoints on the trend of the last 5 (-0.002; best 0.5 at epoch 3)',
    });
  });

  it('maximize: a rising trend trains on, and the same boundary holds', () => {
    const max = { ...rule, metric: 'accuracy', direction: 'maximize' as const };
    expect(earlyStopTrendVerdict(line(0.5, -0.0051, 5), max).stop).toBe(false);
    expect(earlyStopTrendVerdict(line(0.5, -0.005, 5), max)).toMatchObject({ stop: true, bestEpoch: 5 });
    // Falling accuracy: stop, the best is the first.
    expect(earlyStopTrendVerdict(line(0.5, 0.01, 5), max)).toMatchObject({ stop: true, bestEpoch: 1 });
  });

  it('never before a checkpoint of minEpochs, and stops at it', () => {
    const late = { ...rule, minEpochs: 6 };
    expect(earlyStopTrendVerdict(line(0.5, 0, 5), late).stop).toBe(false);
    expect(earlyStopTrendVerdict(line(0.5, 0, 6), late)).toMatchObject({ stop: true, atEpoch: 6 });
  });

  it('a checkpoint in the window without the metric (missing or NaN) keeps training; one before the window does not', () => {
    expect(earlyStopTrendVerdict(curve(0.5, 0.5, 0.5, undefined, 0.5, 0.5), rule).stop).toBe(false);
    expect(earlyStopTrendVerdict(curve(0.5, 0.5, 0.5, Number.NaN, 0.5, 0.5), rule).stop).toBe(false);
    expect(earlyStopTrendVerdict(curve(undefined, 0.5, 0.5, 0.5, 0.5, 0.5), rule)).toMatchObject({
      stop: true,
      bestEpoch: 2,
    });
  });

  it('never at the last epoch: nothing left to save', () => {
    expect(earlyStopTrendVerdict(line(0.5, 0, 5), rule, 5).stop).toBe(false);
    expect(earlyStopTrendVerdict(line(0.5, 0, 5), rule, 6).stop).toBe(true);
  });

  it('judges by epoch whatever the listing order', () => {
    const shuffled = [5, 1, 4, 2, 3].map((epoch) => ({ epoch, value: 0.5 }));
    expect(earlyStopTrendVerdict(shuffled, rule)).toMatchObject({ stop: true, atEpoch: 5, bestEpoch: 1 });
  });
});
