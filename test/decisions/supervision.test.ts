import { lookedAtJob, watchPlan } from '../fixtures/watch';
import type { TrainingJob } from '../../src/domain/types';
import {
  costReadingDue,
  historyFull,
  isResumableFailure,
  lowestLoss,
  mayBeTraining,
  mergeCheckpointIds,
  nextSupervisionStep,
  progressKey,
  reportByMs,
  resumeRefusal,
  supervisionDurationProblem,
  unknownSinceMs,
  type SupervisionView,
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
      seenAtMs: 5000,
    });
    expect(stallAfterLook({ lastProgress: 99, lastProgressAtMs: 0 }, job(), 5000, 'changed')).toEqual({
      lastProgress: 100,
      lastProgressAtMs: 5000,
      seenAtMs: 5000,
    });
  });

  it('stalled exactly at stallAfter, not a millisecond before', () => {
    expect(isStalled({ lastProgressAtMs: 1000 }, 1000 + 59_999, 60_000)).toBe(false);
    expect(isStalled({ lastProgressAtMs: 1000 }, 1000 + 60_000, 60_000)).toBe(true);
  });

  describe('figures older than the look (a sweep of the job list made before it)', () => {
    const HOUR = 3_600_000;
    const at = (mark: { epoch: number; step: number }) =>
      job({ progress: { currentEpoch: mark.epoch, currentStep: mark.step } });

    it('judge the stall at the time they were answered: no progress seen in old figures is no stall', () => {
      // Step 500 first seen in a sweep made at 0; looked at again 2.5 hours later through the same sweep.
      const seen = stallAfterLook({ lastProgressAtMs: -HOUR }, at({ epoch: 1, step: 500 }), 0);
      const again = stallAfterLook(seen, at({ epoch: 1, step: 500 }), 0);
      expect(again).toMatchObject({ lastProgressAtMs: 0, seenAtMs: 0 });
      expect(isStalled(again, 2.5 * HOUR, 2 * HOUR)).toBe(false);
      // A sweep made exactly stallAfter later still shows step 500: stalled, not a millisecond before.
      expect(
        isStalled(stallAfterLook(again, at({ epoch: 1, step: 500 }), 2 * HOUR - 1), 3 * HOUR, 2 * HOUR),
      ).toBe(false);
      expect(
        isStalled(stallAfterLook(again, at({ epoch: 1, step: 500 }), 2 * HOUR), 3 * HOUR, 2 * HOUR),
      ).toBe(true);
    });

    it('a later look at the time of its own figures judges as before; a clock without them judges at the look', () => {
      const fresh = stallAfterLook({ lastProgressAtMs: 0 }, at({ epoch: 1, step: 500 }), 0);
      expect(
        isStalled(stallAfterLook(fresh, at({ epoch: 1, step: 500 }), 2 * HOUR), 2 * HOUR, 2 * HOUR),
      ).toBe(true);
      // Carried from a supervision before `seenAtMs`: judged at the look, as it was recorded.
      expect(isStalled({ lastProgressAtMs: 0 }, 2 * HOUR, 2 * HOUR)).toBe(true);
      // Figures newer than the workflow's clock (a host clock ahead) never push the judgement past it.
      expect(isStalled({ lastProgressAtMs: 0, seenAtMs: 5 * HOUR }, HOUR, 2 * HOUR)).toBe(false);
    });

    it("a job that goes back to the queue restarts the clock at the figures' time", () => {
      expect(
        stallAfterLook({ lastProgressAtMs: 0, seenAtMs: HOUR }, job({ status: 'queued' }), 3 * HOUR),
      ).toEqual({
        lastProgressAtMs: 3 * HOUR,
      });
    });
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
  it("a job's place is pinned: worker versions side by side (a rolling deploy) put a job at the same place", () => {
    // FNV-1a over the id's UTF-16 code units, then MurmurHash3's finalizer, as a fraction of 2^32.
    expect(Math.round(spreadFraction('job_a') * 2 ** 32)).toBe(4_266_344_758);
    expect(Math.round(spreadFraction('') * 2 ** 32)).toBe(2_872_998_923);
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
  it('the estimate scales by cost per percent and by the time since the reading, not since the epoch', () => {
    // 20 at 40 % (0.5 per percent), read at t = 10 min; 10 % more by t = 11 min: 25 now, 30 a minute on.
    const atTen = { cost: 20, percentage: 40, atMs: 600_000 };
    expect(costReadingDue(30, atTen, 50, 660_000, 60_000)).toBe(true);
    expect(costReadingDue(30.01, atTen, 50, 660_000, 60_000)).toBe(false);
    // The same progress over ten minutes: 25 now, 25.5 a minute on.
    expect(costReadingDue(25.5, atTen, 50, 1_200_000, 60_000)).toBe(true);
    expect(costReadingDue(25.51, atTen, 50, 1_200_000, 60_000)).toBe(false);
  });
  it('progress in no time gives no pace (no division by zero): only the estimate now counts', () => {
    const justRead = { cost: 50, percentage: 50, atMs: 60_000 };
    expect(costReadingDue(60, justRead, 60, 60_000, 60_000)).toBe(true);
    expect(costReadingDue(60.01, justRead, 60, 60_000, 60_000)).toBe(false);
  });
  it('a reading at a negative or NaN percentage gives no pace either', () => {
    expect(costReadingDue(100, { cost: 10, percentage: -5, atMs: 0 }, 10, 60_000, 60_000)).toBe(true);
    expect(costReadingDue(100, { cost: 10, percentage: NaN, atMs: 0 }, 10, 60_000, 60_000)).toBe(true);
  });
});

describe('what a supervision does after a look', () => {
  const HOUR_MS = 3_600_000;
  /** An owned TensorOne job with one resume of three spent, budget 50, stalled after an hour. */
  const view: SupervisionView = {
    jobId: 'j1',
    provider: 'tensorone',
    mayStop: true,
    resumes: 1,
    resumeBudget: 3,
    maxCost: 50,
    stall: { lastProgressAtMs: 0 },
    stallAfterMs: HOUR_MS,
    stallAfter: '1h',
    unknownGraceMs: 10 * 60_000,
    unknownStatusGrace: '10m',
  };
  const at = 30 * 60_000; // half an hour after the last progress: not stalled yet

  it('a completion finishes it; queued and pending jobs are looked at again', () => {
    expect(nextSupervisionStep(lookedAtJob({ status: 'completed' }), view, at)).toEqual({
      kind: 'finish',
      outcome: 'completed',
    });
    for (const status of ['queued', 'pending'] as const)
      expect(nextSupervisionStep(lookedAtJob({ status }), view, 10 * HOUR_MS)).toEqual({
        kind: 'look-again',
      });
  });

  it('a resumable failure and a stop from outside are resumed; an unresumable failure gives up with its reason', () => {
    expect(
      nextSupervisionStep(lookedAtJob({ status: 'failed', failureReason: 'spot preempted' }), view, at),
    ).toEqual({
      kind: 'resume',
      reason: 'failed (spot preempted)',
      stopFirst: undefined,
    });
    expect(nextSupervisionStep(lookedAtJob({ status: 'stopped' }), view, at)).toEqual({
      kind: 'resume',
      reason: 'was stopped outside this workflow',
      stopFirst: undefined,
    });
    expect(
      nextSupervisionStep(lookedAtJob({ status: 'failed', failureReason: 'bad dataset' }), view, at),
    ).toEqual({
      kind: 'give-up',
      type: 'TRAINING_FAILED',
      message: 'training job j1 failed: bad dataset',
    });
    expect(nextSupervisionStep(lookedAtJob({ status: 'failed' }), view, at)).toMatchObject({
      type: 'TRAINING_FAILED',
      message: 'training job j1 failed: no reason given',
    });
    expect(nextSupervisionStep(lookedAtJob({ status: 'cancelled' }), view, at)).toEqual({
      kind: 'give-up',
      type: 'TRAINING_CANCELLED',
      message: 'training job j1 was cancelled outside this workflow',
    });
  });

  it('the cost budget: reached at exactly the budget, stopped when owned, left running when not', () => {
    expect(nextSupervisionStep(lookedAtJob({ cost: 49.99 }), view, at)).toEqual({ kind: 'look-again' });
    expect(nextSupervisionStep(lookedAtJob({ cost: 50 }), view, at)).toEqual({
      kind: 'stop-and-finish',
      stopReason: 'cost budget 50 reached (50)',
    });
    expect(nextSupervisionStep(lookedAtJob({ cost: 50 }), { ...view, mayStop: false }, at)).toEqual({
      kind: 'finish',
      outcome: 'budget-reached',
    });
    // No budget, or no cost reported: nothing to compare.
    expect(nextSupervisionStep(lookedAtJob({ cost: 1e9 }), { ...view, maxCost: undefined }, at)).toEqual({
      kind: 'look-again',
    });
    expect(nextSupervisionStep(lookedAtJob({ cost: undefined }), view, at)).toEqual({ kind: 'look-again' });
  });

  it('a stall (exactly stallAfter without progress) is stopped, then resumed; the budget is checked first', () => {
    expect(nextSupervisionStep(lookedAtJob(), view, HOUR_MS - 1)).toEqual({ kind: 'look-again' });
    expect(nextSupervisionStep(lookedAtJob(), view, HOUR_MS)).toEqual({
      kind: 'resume',
      reason: 'stalled: no step progress for 1h',
      stopFirst: 'stalled: no step progress',
    });
    expect(nextSupervisionStep(lookedAtJob({ cost: 60 }), view, HOUR_MS)).toMatchObject({
      kind: 'stop-and-finish',
    });
  });

  it('a stall nobody may resume gives up without stopping the job first', () => {
    expect(nextSupervisionStep(lookedAtJob(), { ...view, resumes: 3 }, HOUR_MS)).toEqual({
      kind: 'give-up',
      type: 'RESUME_BUDGET_EXHAUSTED',
      message: 'job j1: stalled: no step progress for 1h; resume budget of 3 used up',
    });
    expect(nextSupervisionStep(lookedAtJob(), { ...view, mayStop: false }, HOUR_MS)).toMatchObject({
      kind: 'give-up',
      type: 'NOT_RESUMED_NOT_OWNED',
    });
    expect(
      nextSupervisionStep(lookedAtJob({ provider: 'marqtune' }), { ...view, provider: 'marqtune' }, HOUR_MS),
    ).toMatchObject({ kind: 'give-up', type: 'TRAINING_NOT_RESUMABLE' });
  });

  it('an unknown status is waited out for exactly its grace, then given up on naming the raw status', () => {
    const unknown = lookedAtJob({ status: 'unknown', rawStatus: 'DEFROSTING' });
    const since = { ...view, unknownSinceMs: 0 };
    expect(nextSupervisionStep(unknown, since, 10 * 60_000 - 1)).toEqual({ kind: 'look-again' });
    expect(nextSupervisionStep(unknown, since, 10 * 60_000)).toEqual({
      kind: 'give-up',
      type: 'UNKNOWN_JOB_STATUS',
      message:
        'training job j1 reports status "DEFROSTING", which the provider documents never name; gave up after 10m',
    });
    // The grace counts from the first unknown look, not from the epoch.
    const sinceAnHour = { ...view, unknownSinceMs: HOUR_MS };
    expect(nextSupervisionStep(unknown, sinceAnHour, HOUR_MS + 10 * 60_000 - 1)).toEqual({
      kind: 'look-again',
    });
    expect(nextSupervisionStep(unknown, sinceAnHour, HOUR_MS + 10 * 60_000)).toMatchObject({
      type: 'UNKNOWN_JOB_STATUS',
    });
  });

  it('the unknown status clock starts at the first unknown look, keeps its start, and clears on any other status', () => {
    expect(unknownSinceMs('unknown', undefined, 500)).toBe(500);
    expect(unknownSinceMs('unknown', 100, 500)).toBe(100);
    expect(unknownSinceMs('running', 100, 500)).toBeUndefined();
    expect(unknownSinceMs('queued', undefined, 500)).toBeUndefined();
  });
});

describe('whether a job can be resumed', () => {
  const owned = { jobId: 'j1', provider: 'tensorone' as const, mayStop: true, resumes: 0, resumeBudget: 1 };

  it('owned, on TensorOne, with a resume left: yes', () => {
    expect(resumeRefusal(owned, 'stalled')).toBeUndefined();
  });

  it('the last resume of the budget is spent: no, naming the budget', () => {
    expect(resumeRefusal({ ...owned, resumes: 1 }, 'stalled')).toEqual({
      type: 'RESUME_BUDGET_EXHAUSTED',
      message: 'job j1: stalled; resume budget of 1 used up',
    });
    expect(resumeRefusal({ ...owned, resumeBudget: 0 }, 'stalled')?.type).toBe('RESUME_BUDGET_EXHAUSTED');
  });

  it('not owned comes first: the message says how to let it act', () => {
    expect(resumeRefusal({ ...owned, mayStop: false, provider: 'marqtune', resumes: 9 }, 'stalled')).toEqual({
      type: 'NOT_RESUMED_NOT_OWNED',
      message:
        'job j1: stalled; this supervision does not own job j1 and leaves it as it is (supervise with --may-stop to let it act)',
    });
  });

  it('Marqtune cannot resume a model', () => {
    expect(resumeRefusal({ ...owned, provider: 'marqtune' }, 'failed (spot)')).toEqual({
      type: 'TRAINING_NOT_RESUMABLE',
      message: 'Marqtune model j1: failed (spot); Marqtune cannot resume a model',
    });
  });
});

describe('what a supervision records and reports of its looks', () => {
  it('new checkpoint ids are added once and counted; only the newest 200 are kept', () => {
    expect(mergeCheckpointIds(['a', 'b'], ['b', 'c', 'd'])).toEqual({ ids: ['a', 'b', 'c', 'd'], fresh: 2 });
    expect(mergeCheckpointIds(['a'], [])).toEqual({ ids: ['a'], fresh: 0 });
    const known = Array.from({ length: 200 }, (_, i) => `c${i}`);
    const merged = mergeCheckpointIds(known, ['c199', 'new']);
    expect(merged.fresh).toBe(1);
    expect(merged.ids).toHaveLength(200);
    expect(merged.ids[0]).toBe('c1');
    expect(merged.ids.at(-1)).toBe('new');
  });

  it('the best loss is the lowest of the previous best, the provider’s best and the current loss', () => {
    expect(lowestLoss(undefined, {})).toBeUndefined();
    expect(lowestLoss(0.5, {})).toBe(0.5);
    expect(lowestLoss(0.5, { loss: 0.7 })).toBe(0.5);
    expect(lowestLoss(0.5, { loss: 0.4, bestLoss: 0.45 })).toBe(0.4);
    expect(lowestLoss(undefined, { loss: 0.9, bestLoss: 0.3 })).toBe(0.3);
    expect(lowestLoss(0, { loss: 0.1 })).toBe(0);
  });

  it('the parent is signalled on a change of status, step, checkpoints, cost or resumes, not of anything else', () => {
    const p = {
      status: 'running',
      step: 10,
      checkpointsSeen: 1,
      cost: 2,
      resumes: 0,
      polls: 5,
      percentage: 3,
    };
    const key = progressKey(p);
    const onlyLooked = { ...p, polls: 6, percentage: 4 };
    expect(progressKey(onlyLooked)).toBe(key);
    for (const change of [
      { status: 'queued' },
      { step: 11 },
      { checkpointsSeen: 2 },
      { cost: 2.5 },
      { resumes: 1 },
    ])
      expect(progressKey({ ...p, ...change })).not.toBe(key);
    expect(progressKey({ ...p, step: undefined })).not.toBe(key);
  });

  it('a report is due up to a quarter early, and never after an unknown status’s grace runs out', () => {
    const unknownNever = { graceMs: 600_000 };
    expect(reportByMs(1000, 4_000_000, 0, unknownNever)).toBe(4_001_000);
    expect(reportByMs(1000, 4_000_000, 0.5, unknownNever)).toBe(3_501_000);
    expect(reportByMs(1000, 4_000_000, 0.999_999, unknownNever)).toBeGreaterThan(3_001_000);
    expect(reportByMs(1000, 4_000_000, 0, { sinceMs: 0, graceMs: 600_000 })).toBe(600_000);
    expect(reportByMs(1000, 100_000, 0, { sinceMs: 0, graceMs: 600_000 })).toBe(101_000);
  });
});

describe('when a supervision that ends must still stop its job', () => {
  it('while it may still train: not stopped by the supervision and not seen ended', () => {
    expect(mayBeTraining(false, undefined)).toBe(true);
    expect(mayBeTraining(false, 'running')).toBe(true);
    expect(mayBeTraining(false, 'unknown')).toBe(true);
    expect(mayBeTraining(true, 'running')).toBe(false);
    for (const ended of ['completed', 'failed', 'cancelled', 'stopped'] as const)
      expect(mayBeTraining(false, ended)).toBe(false);
  });
});

describe('when a supervision continues as new', () => {
  it('at the history limit (default 4000 events), or earlier when the server suggests it', () => {
    expect(historyFull({ continueAsNewSuggested: false, historyLength: 3999 }, undefined)).toBe(false);
    expect(historyFull({ continueAsNewSuggested: false, historyLength: 4000 }, undefined)).toBe(true);
    expect(historyFull({ continueAsNewSuggested: false, historyLength: 99 }, 100)).toBe(false);
    expect(historyFull({ continueAsNewSuggested: false, historyLength: 100 }, 100)).toBe(true);
    expect(historyFull({ continueAsNewSuggested: true, historyLength: 1 }, 100)).toBe(true);
  });
});

describe('a supervision’s durations', () => {
  it('started after the bounds: held to the pipeline file’s bounds, naming the field', () => {
    expect(supervisionDurationProblem('1s', 'freshness', true)).toBeUndefined();
    expect(supervisionDurationProblem('1d', 'freshness', true)).toBeUndefined();
    expect(supervisionDurationProblem('999ms', 'freshness', true)).toBe(
      'must be between 1s and 1d, got "999ms"',
    );
    expect(supervisionDurationProblem('9s', 'reportEvery', true)).toBe(
      'must be between 10s and 7d, got "9s"',
    );
    expect(supervisionDurationProblem('soon', 'stallAfter', true)).toMatch(/must be a duration/);
  });

  it('started before the bounds: any duration, as recorded', () => {
    expect(supervisionDurationProblem('1ms', 'freshness', false)).toBeUndefined();
    expect(supervisionDurationProblem('100000d', 'stallAfter', false)).toBeUndefined();
    expect(supervisionDurationProblem('soon', 'minInterval', false)).toBe(
      'must be a duration such as "5m", got "soon"',
    );
    expect(supervisionDurationProblem('', 'minInterval', false)).toBe(
      'must be a duration such as "5m", got ""',
    );
  });
});
