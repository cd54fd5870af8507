import { lookedAtJob, watchPlan } from '../fixtures/watch';
import type { TrainingJob } from '../../src/domain/types';
import {
  costReadingDue,
  isResumableFailure,
  isStalled,
  judgeLook,
  nextPollDelayMs,
  observeProgress,
  progressCounter,
  progressMark,
  remainingMs,
  spreadFraction,
  stallAfterLook,
  sweepSpreadMs,
  sweepWindowMs,
} from '../../src/decisions/supervision';

describe('which failures a resume from the last checkpoint can cure', () => {
  it.each([
    'Spot instance preempted',
    'PREEMPTED by the scheduler',
    'spot instance reclaimed',
    'pod evicted',
    'worker lost heartbeat',
    'node failure on gpu-12',
    'node lost',
    'INSUFFICIENT_RESOURCES while rescheduling',
    'no capacity in region',
    'CUDA error: an illegal memory access',
    'NCCL watchdog fired',
    'collective timeout after 1800s',
  ])('%j is resumable', (reason) => {
    expect(isResumableFailure(reason)).toBe(true);
  });

  it.each([
    'Dataset format invalid',
    'Learning rate out of range',
    'worker crashed',
    'node restarted',
    'cuda out of memory',
    '',
    undefined,
  ])('%j is not', (reason) => {
    expect(isResumableFailure(reason)).toBe(false);
  });
});

describe('how often a job is looked at', () => {
  const bounds = { freshnessMs: 300_000, minIntervalMs: 30_000 };

  it('a quarter of the time since the start, between the minimum and the freshness bound', () => {
    expect(nextPollDelayMs({ ...bounds, elapsedMs: 0 })).toBe(30_000);
    expect(nextPollDelayMs({ ...bounds, elapsedMs: 400_000 })).toBe(100_000);
    expect(nextPollDelayMs({ ...bounds, elapsedMs: 1_200_000 })).toBe(300_000);
    expect(nextPollDelayMs({ ...bounds, elapsedMs: 10 * 3_600_000 })).toBe(300_000);
    expect(nextPollDelayMs({ ...bounds, elapsedMs: 400_002 })).toBe(100_001);
  });

  it('half the time left near the ETA; an ETA already passed looks again after the minimum', () => {
    const late = { ...bounds, elapsedMs: 10 * 3_600_000 };
    expect(nextPollDelayMs({ ...late, remainingMs: 400_000 })).toBe(200_000);
    expect(nextPollDelayMs({ ...late, remainingMs: 0 })).toBe(30_000);
    expect(nextPollDelayMs({ ...late, remainingMs: -600_000 })).toBe(30_000);
    expect(nextPollDelayMs({ ...late, remainingMs: 10 * 3_600_000 })).toBe(300_000);
    // Whichever is nearer wins: the start…
    expect(nextPollDelayMs({ ...bounds, elapsedMs: 200_000, remainingMs: 400_000 })).toBe(50_000);
    // …or the end.
    expect(nextPollDelayMs({ ...bounds, elapsedMs: 800_000, remainingMs: 240_000 })).toBe(120_000);
  });

  it('a minimum above the freshness bound yields to the freshness bound', () => {
    expect(nextPollDelayMs({ freshnessMs: 60_000, minIntervalMs: 120_000, elapsedMs: 0 })).toBe(60_000);
  });
});

describe('the time left, from the provider’s ETA or its remaining seconds', () => {
  const now = Date.parse('2026-11-26T10:00:00Z');
  it('the ETA first, then remainingSeconds, else unknown', () => {
    expect(remainingMs({ estimatedCompletion: '2026-11-26T10:05:00Z', progress: {} }, now)).toBe(300_000);
    expect(
      remainingMs({ estimatedCompletion: '2026-11-26T09:59:00Z', progress: { remainingSeconds: 999 } }, now),
    ).toBe(-60_000);
    expect(remainingMs({ progress: { remainingSeconds: 90 } }, now)).toBe(90_000);
    expect(remainingMs({ progress: { remainingSeconds: 0 } }, now)).toBe(0);
    expect(remainingMs({ progress: {} }, now)).toBeUndefined();
    expect(remainingMs({ estimatedCompletion: '', progress: { remainingSeconds: 5 } }, now)).toBe(5000);
  });
});

describe('the stall clock', () => {
  const job = (over: Partial<TrainingJob> = {}): TrainingJob => ({
    provider: 'tensorone',
    id: 'j1',
    status: 'running',
    rawStatus: 'running',
    progress: { currentStep: 100 },
    metrics: {},
    checkpointIds: [],
    ...over,
  });

  it('counts steps, or for Marqtune (no steps) its checkpoints', () => {
    expect(progressCounter(job())).toBe(100);
    expect(progressCounter(job({ provider: 'marqtune', checkpointIds: ['a', 'b', 'c'] }))).toBe(3);
    expect(progressCounter(job({ progress: {} }))).toBeUndefined();
  });

  it('an epoch without a step counter is still progress (step 0 of that epoch)', () => {
    expect(progressMark(job({ progress: { currentEpoch: 3 } }))).toEqual({ epoch: 3, step: 0 });
    expect(progressMark(job({ progress: {} }))).toBeUndefined();
  });

  it('the old rule ("changed"): any other counter resets the clock, the same one does not, none always does', () => {
    const s = observeProgress({ lastProgressAtMs: 0 }, 10, 100);
    expect(s).toEqual({ lastProgress: 10, lastProgressAtMs: 100 });
    expect(observeProgress(s, 10, 900)).toBe(s);
    expect(observeProgress(s, 9, 900)).toEqual({ lastProgress: 9, lastProgressAtMs: 900 });
    expect(observeProgress(s, undefined, 900)).toEqual({ lastProgress: undefined, lastProgressAtMs: 900 });
    // No counter twice in a row: still nothing to judge a stall by, so the clock keeps restarting.
    expect(observeProgress({ lastProgressAtMs: 100 }, undefined, 900)).toEqual({
      lastProgress: undefined,
      lastProgressAtMs: 900,
    });
    expect(stallAfterLook({ lastProgress: 100, lastProgressAtMs: 0 }, job(), 5000, 'changed')).toEqual({
      lastProgress: 100,
      lastProgressAtMs: 0,
    });
    expect(stallAfterLook({ lastProgress: 99, lastProgressAtMs: 0 }, job(), 5000, 'changed')).toEqual({
      lastProgress: 100,
      lastProgressAtMs: 5000,
    });
  });

  it('stalled exactly at stallAfter, not a millisecond before', () => {
    expect(isStalled({ lastProgressAtMs: 1000 }, 1000 + 59_999, 60_000)).toBe(false);
    expect(isStalled({ lastProgressAtMs: 1000 }, 1000 + 60_000, 60_000)).toBe(true);
  });

  it('a job that ended leaves the clock as it was; queued and pending restart it', () => {
    const state = { lastProgress: 5, lastProgressAtMs: 10 };
    for (const status of ['completed', 'failed', 'stopped', 'cancelled', 'unknown'] as const)
      expect(stallAfterLook(state, job({ status }), 9000)).toBe(state);
    expect(stallAfterLook(state, job({ status: 'pending' }), 9000)).toEqual({ lastProgressAtMs: 9000 });
    expect(stallAfterLook(state, job({ status: 'queued' }), 9000)).toEqual({ lastProgressAtMs: 9000 });
  });
});

describe('judgeLook at its boundaries', () => {
  const HOUR = 3_600_000;
  const plan = watchPlan;
  const job = lookedAtJob;
  const at = 5 * HOUR;
  const fresh = { lastProgressAtMs: at };

  it('the cost budget is reached at the budget, not a cent before, and only counts while running', () => {
    expect(judgeLook(plan, job({ cost: 49.99 }), fresh, at)).toEqual({ lookAgainInMs: 300_000 });
    expect(judgeLook(plan, job({ cost: 50 }), fresh, at)).toEqual({ report: 'cost-budget' });
    expect(judgeLook({ ...plan, maxCost: undefined }, job({ cost: 1e9 }), fresh, at)).toEqual({
      lookAgainInMs: 300_000,
    });
    expect(judgeLook(plan, job({ cost: undefined }), fresh, at)).toEqual({ lookAgainInMs: 300_000 });
    const queued = job({ status: 'queued', cost: 60 });
    expect(judgeLook({ ...plan, knownStatus: 'queued' }, queued, fresh, at)).toEqual({
      lookAgainInMs: 300_000,
    });
  });

  it('a report is due at reportBy, not a millisecond before', () => {
    expect(judgeLook(plan, job(), { lastProgressAtMs: 10 * HOUR - 1 }, 10 * HOUR - 1)).toEqual({
      lookAgainInMs: 300_000,
    });
    expect(judgeLook(plan, job(), { lastProgressAtMs: 10 * HOUR }, 10 * HOUR)).toEqual({
      report: 'report-due',
    });
  });

  it('the cadence counts from the start of the current segment (a resume starts a new one)', () => {
    const resumed = { ...plan, segmentStartedAtMs: at - 400_000 };
    expect(judgeLook(resumed, job(), fresh, at)).toEqual({ lookAgainInMs: 100_000 });
    const nearEta = job({ progress: { currentStep: 100, remainingSeconds: 100 } });
    expect(judgeLook(plan, nearEta, fresh, at)).toEqual({ lookAgainInMs: 50_000 });
  });
});

describe('how old a sweep of the job list a look may read, and how its looks spread after it', () => {
  it('seven tenths of the freshness, never below 1 ms; the spread two tenths', () => {
    expect(sweepWindowMs(300_000)).toBe(210_000);
    expect(sweepWindowMs(1000)).toBe(700);
    expect(sweepWindowMs(1)).toBe(1);
    expect(sweepSpreadMs(300_000)).toBe(60_000);
    expect(sweepSpreadMs(1)).toBe(0);
  });
  it("a job's place in the spread is its own, the same every time, in [0, 1), and jobs spread out", () => {
    const places = Array.from({ length: 1000 }, (_, i) => spreadFraction(`job_${i.toString(16)}`));
    expect(spreadFraction('job_a')).toBe(spreadFraction('job_a'));
    for (const p of places) expect(p >= 0 && p < 1).toBe(true);
    // Ten buckets of a tenth each hold between 5 and 15 % of the jobs.
    for (let b = 0; b < 10; b++) {
      const share = places.filter((p) => Math.floor(p * 10) === b).length / places.length;
      expect(share).toBeGreaterThan(0.05);
      expect(share).toBeLessThan(0.15);
    }
    expect(spreadFraction('')).toBeGreaterThanOrEqual(0);
  });
});

describe('when a look at a job with a budget must read its cost itself', () => {
  const reading = { cost: 50, percentage: 50, atMs: 0 };
  const due = (maxCost: number | undefined, percentageNow: number | undefined, nowMs = 60_000) =>
    costReadingDue(maxCost, reading, percentageNow, nowMs, 60_000);

  it('never without a budget', () => {
    expect(costReadingDue(undefined, undefined, 10, 0, 60_000)).toBe(false);
    expect(due(undefined, 99)).toBe(false);
  });
  it('always without a reading, or when the reading already reaches the budget (equal counts)', () => {
    expect(costReadingDue(100, undefined, 10, 0, 60_000)).toBe(true);
    expect(due(50, 50)).toBe(true);
  });
  it('when the reading gives no pace (0 %, no percentage) or progress went back (a resume)', () => {
    expect(costReadingDue(100, { cost: 0, percentage: 0, atMs: 0 }, 5, 1, 60_000)).toBe(true);
    expect(costReadingDue(100, { cost: 1, atMs: 0 }, 5, 1, 60_000)).toBe(true);
    expect(due(1000, undefined)).toBe(true);
    expect(due(1000, 49.9)).toBe(true);
  });
  it('from the cost estimated by progress, carried on over the horizon: the boundary is the budget itself', () => {
    // 1 per percent; 10 % more in the last minute: 60 now, 70 a minute on.
    expect(due(70, 60)).toBe(true);
    expect(due(70.01, 60)).toBe(false);
    // No progress since the reading: the estimate stays at the reading.
    expect(due(50.01, 50)).toBe(false);
  });
});
