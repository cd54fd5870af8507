import { costByNow, nextCostReportPercentage } from '../../src/decisions/fleet-stop';
import { judgeLook } from '../../src/decisions/supervision';
import { lookedAtJob, watchPlan } from '../fixtures/watch';

/**
 * A supervision's looks between two reports add no history: it hands its job back when the cost its
 * pipeline tells the fleet budget moved by a step, at the progress where the reading's pace puts it.
 */
describe('the progress at which the cost has moved by a step', () => {
  // $0.28 at 1.1 %: $0.2545 a percent.
  const reading = { cost: 0.28, percentage: 1.1 };

  it('is where the estimate moved by the step from the estimate now', () => {
    const at = nextCostReportPercentage(reading, 1.1, 3)!;
    expect(costByNow(reading, at)).toBeCloseTo(3.28, 9);
    const later = nextCostReportPercentage(reading, 40, 3)!;
    expect(costByNow(reading, later)! - costByNow(reading, 40)!).toBeCloseTo(3, 9);
  });

  it('takes the reading itself when progress now is unknown or went back', () => {
    expect(costByNow(reading, nextCostReportPercentage(reading, undefined, 3))).toBeCloseTo(3.28, 9);
    expect(costByNow(reading, nextCostReportPercentage(reading, 0.5, 3))).toBeCloseTo(3.28, 9);
  });

  it('none at or past the end of training: the end is reported anyway', () => {
    // $12.75 at 50 % ($25.50 at the end): the step from $22.50 lands exactly at the end.
    const half = { cost: 12.75, percentage: 50 };
    expect(nextCostReportPercentage(half, 100 * (22.5 / 25.5) - 1e-6, 3)).toBeLessThan(100);
    expect(nextCostReportPercentage(half, 100 * (22.5 / 25.5), 3)).toBeUndefined();
    expect(nextCostReportPercentage(half, 99, 3)).toBeUndefined();
  });

  it('without a pace yet and no progress seen: the first progress above 0, whose look reads the cost', () => {
    for (const noPace of [undefined, { cost: 0 }, { cost: 0, percentage: 0 }, { cost: 0.28 }])
      for (const now of [undefined, 0]) {
        const first = nextCostReportPercentage(noPace, now, 3)!;
        expect(first).toBeGreaterThan(0);
        expect(first).toBeLessThanOrEqual(Number.MIN_VALUE);
      }
  });

  it('none once progress was seen without a pace (a $0 reading), without a step, or with a bad reading', () => {
    expect(nextCostReportPercentage(undefined, 10, 3)).toBeUndefined();
    expect(nextCostReportPercentage({ cost: 0.28, percentage: 0 }, 10, 3)).toBeUndefined();
    expect(nextCostReportPercentage({ cost: 0.28 }, 10, 3)).toBeUndefined();
    expect(nextCostReportPercentage({ cost: 0, percentage: 5 }, 10, 3)).toBeUndefined();
    expect(nextCostReportPercentage({ cost: 0, percentage: 5 }, 5, 3)).toBeUndefined();
    expect(nextCostReportPercentage(undefined, 0, 0)).toBeUndefined();
    expect(nextCostReportPercentage({ cost: NaN, percentage: 5 }, 10, 3)).toBeUndefined();
    expect(nextCostReportPercentage(reading, 10, 0)).toBeUndefined();
    expect(nextCostReportPercentage(reading, 10, -1)).toBeUndefined();
    expect(nextCostReportPercentage(reading, 10, NaN)).toBeUndefined();
    expect(nextCostReportPercentage(reading, 10, Infinity)).toBeUndefined();
  });
});

describe('a watch with a percentage to report at', () => {
  const plan = { ...watchPlan, reportAtPercentage: 12.9 };
  const at = (percentage: number, status: 'running' | 'pending' = 'running') =>
    judgeLook(
      { ...plan, knownStatus: status },
      lookedAtJob({ status, progress: { currentStep: 100, percentage } }),
      { lastProgressAtMs: 0 },
      1000,
    );

  it('hands a running job back once it reaches it (exactly at it too), not before', () => {
    expect(at(12.9)).toEqual({ report: 'cost-step' });
    expect(at(30)).toEqual({ report: 'cost-step' });
    expect(at(12.8)).not.toHaveProperty('report');
  });

  it('at the first progress above 0 when asked for it, not at 0 or without a percentage', () => {
    const first = { ...watchPlan, reportAtPercentage: Number.MIN_VALUE };
    const look = (percentage: number | undefined) =>
      judgeLook(
        first,
        lookedAtJob({ progress: { currentStep: 100, ...(percentage !== undefined ? { percentage } : {}) } }),
        { lastProgressAtMs: 0 },
        1000,
      );
    expect(look(0.01)).toEqual({ report: 'cost-step' });
    expect(look(0)).not.toHaveProperty('report');
    expect(look(undefined)).not.toHaveProperty('report');
  });

  it('a job that is not running is not handed back for it', () => {
    expect(at(50, 'pending')).not.toHaveProperty('report');
  });

  it('without it, progress waits for the next report', () => {
    expect(
      judgeLook(
        watchPlan,
        lookedAtJob({ progress: { currentStep: 100, percentage: 99 } }),
        { lastProgressAtMs: 0 },
        1000,
      ),
    ).not.toHaveProperty('report');
  });
});
