import { judgeLook } from '../../src/decisions/supervision';
import { lookedAtJob, watchPlan } from '../fixtures/watch';
import {
  byEpoch,
  earlyStopSavings,
  earlyStopVerdict,
  stoppedEarlyText,
  type EarlyStopRule,
  type MetricPoint,
} from '../../src/decisions/early-stop';

const rule: EarlyStopRule = {
  patience: 2,
  minDelta: 0.1,
  metric: 'validationLoss',
  direction: 'minimize',
  minEpochs: 0,
};
const curve = (...values: (number | undefined)[]): MetricPoint[] =>
  values.map((value, i) => ({ epoch: i + 1, value }));

describe('early stop: when the checkpoints stopped improving', () => {
  it('an empty history keeps training', () => {
    expect(earlyStopVerdict([], rule)).toEqual({ stop: false, reason: 'no checkpoint yet' });
  });

  it('stops after exactly `patience` checkpoints without an improvement, not one before', () => {
    expect(earlyStopVerdict(curve(1.0, 0.95), rule).stop).toBe(false);
    const verdict = earlyStopVerdict(curve(1.0, 0.95, 0.97), rule);
    expect(verdict).toEqual({
      stop: true,
      atEpoch: 3,
      bestEpoch: 1,
      bestValue: 1.0,
      reason: 'no improvement > 0.1 in validationLoss for 2 checkpoints (best 1 at epoch 1)',
    });
  });

  it('an improvement of exactly minDelta is no improvement (decimal values that differ by a binary hair too)', () => {
    // 0.4 − 0.3 is 0.10000000000000003 in binary: still exactly minDelta.
    expect(earlyStopVerdict(curve(0.4, 0.3, 0.3), rule)).toMatchObject({ stop: true, bestEpoch: 1 });
    expect(earlyStopVerdict(curve(1.5, 1.4, 1.4), rule)).toMatchObject({ stop: true, bestEpoch: 1 });
  });

  it('an improvement just above minDelta resets the count', () => {
    expect(earlyStopVerdict(curve(0.5, 0.45, 0.3999), rule)).toMatchObject({ stop: false });
    expect(earlyStopVerdict(curve(0.5, 0.45, 0.3999, 0.39, 0.38), rule)).toMatchObject({
      stop: true,
      bestEpoch: 3,
      atEpoch: 5,
    });
  });

  it('small gains that add up to more than minDelta against the best count as an improvement', () => {
    // 0.06 + 0.06 below the best at epoch 1: the third checkpoint improves on it by 0.12.
    expect(earlyStopVerdict(curve(1.0, 0.94, 0.88), rule).stop).toBe(false);
  });

  it('maximize: higher is better, and the same boundary holds', () => {
    const max = { ...rule, metric: 'accuracy', direction: 'maximize' as const };
    expect(earlyStopVerdict(curve(0.5, 0.6, 0.6), max)).toMatchObject({ stop: true, bestEpoch: 1 });
    expect(earlyStopVerdict(curve(0.5, 0.55, 0.61), max).stop).toBe(false);
    // A falling accuracy is no improvement when maximizing, though it would be when minimizing.
    expect(earlyStopVerdict(curve(0.9, 0.5, 0.3), max)).toMatchObject({ stop: true });
    expect(earlyStopVerdict(curve(0.9, 0.5, 0.3), rule).stop).toBe(false);
  });

  it('never stops before a checkpoint of minEpochs exists, and stops at it', () => {
    const withMin = { ...rule, minEpochs: 4 };
    expect(earlyStopVerdict(curve(1, 1, 1), withMin)).toMatchObject({
      stop: false,
      reason: 'epoch 3 is before minEpochs 4',
    });
    expect(earlyStopVerdict(curve(1, 1, 1, 1), withMin)).toMatchObject({ stop: true, atEpoch: 4 });
  });

  it('a recent checkpoint without the metric (missing or NaN) keeps the job training', () => {
    for (const missing of [undefined, Number.NaN, Number.POSITIVE_INFINITY]) {
      const verdict = earlyStopVerdict(curve(1.0, 1.0, missing), rule);
      expect(verdict.stop).toBe(false);
      expect(verdict.reason).toMatch(/carries no validationLoss/);
    }
    // Only a checkpoint without values ever: unsure.
    expect(earlyStopVerdict(curve(undefined, undefined, undefined), rule).stop).toBe(false);
  });

  it('an old checkpoint without the metric is skipped: the newest `patience` decide', () => {
    expect(earlyStopVerdict(curve(1.0, undefined, 1.0, 1.0), rule)).toMatchObject({ stop: true, atEpoch: 4 });
  });

  it('never stops at the last epoch: nothing left to save', () => {
    expect(earlyStopVerdict(curve(1, 1, 1), rule, 3)).toMatchObject({ stop: false });
    expect(earlyStopVerdict(curve(1, 1, 1), rule, 4)).toMatchObject({ stop: true });
  });

  it('judges by epoch whatever the listing order, a later listing of an epoch replacing an earlier one', () => {
    const shuffled = [
      { epoch: 3, value: 0.97 },
      { epoch: 1, value: 1.0 },
      { epoch: 2, value: 0.95 },
    ];
    expect(earlyStopVerdict(shuffled, rule)).toMatchObject({ stop: true, atEpoch: 3 });
    expect(byEpoch([...shuffled, { epoch: 3, value: 0.5 }])).toEqual([
      { epoch: 1, value: 1.0 },
      { epoch: 2, value: 0.95 },
      { epoch: 3, value: 0.5 },
    ]);
    expect(earlyStopVerdict([...shuffled, { epoch: 3, value: 0.5 }], rule).stop).toBe(false);
  });
});

describe('what an early stop saved, at the job’s own pace', () => {
  it('GPU-hours and cost per epoch so far, times the epochs left', () => {
    expect(earlyStopSavings(8, 20, { gpuHours: 8, cost: 34 })).toEqual({
      epochsLeft: 12,
      gpuHoursSaved: 12,
      costSaved: 51,
    });
  });

  it('a figure the job did not report stays unknown, not 0', () => {
    expect(earlyStopSavings(5, 10, { cost: 10 })).toEqual({ epochsLeft: 5, costSaved: 10 });
  });

  it('nothing to say without a total, before the first epoch, or at the end', () => {
    expect(earlyStopSavings(5, undefined, { gpuHours: 5 })).toBeUndefined();
    expect(earlyStopSavings(0, 10, { gpuHours: 5 })).toBeUndefined();
    expect(earlyStopSavings(10, 10, { gpuHours: 5 })).toBeUndefined();
  });

  it('the phase line names the epoch, the total and the rule', () => {
    expect(stoppedEarlyText({ atEpoch: 9, totalEpochs: 20, minDelta: 0.01, patience: 3 })).toBe(
      'stopped early at epoch 9 of 20 (no improvement > 0.01 for 3 checkpoints)',
    );
  });
});

describe('a watch with early stop reports each new epoch', () => {
  const plan = { ...watchPlan, reportAtEpoch: 5 };
  it('reports a running job that reached the epoch, not one before it', () => {
    expect(
      judgeLook(
        plan,
        lookedAtJob({ progress: { currentStep: 100, currentEpoch: 5 } }),
        { lastProgressAtMs: 0 },
        1000,
      ),
    ).toEqual({
      report: 'new-epoch',
    });
    expect(
      judgeLook(
        plan,
        lookedAtJob({ progress: { currentStep: 100, currentEpoch: 4 } }),
        { lastProgressAtMs: 0 },
        1000,
      ),
    ).not.toHaveProperty('report');
  });
  it('without it, a new epoch waits for the next report', () => {
    expect(
      judgeLook(
        watchPlan,
        lookedAtJob({ progress: { currentStep: 100, currentEpoch: 9 } }),
        { lastProgressAtMs: 0 },
        1000,
      ),
    ).not.toHaveProperty('report');
  });
});
