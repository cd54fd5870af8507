import fc from 'fast-check';
import type { Checkpoint } from '../../src/domain/types';
import { candidateQueries, chooseCandidate } from '../../src/decisions/candidate';
import { formatDuration, parseDuration } from '../../src/decisions/duration';
import { evaluateGate } from '../../src/decisions/gate';
import { planCleanup, type CheckpointSummary } from '../../src/decisions/retention';
import {
  isResumableFailure,
  isStalled,
  judgeLook,
  nextGpuType,
  nextPollDelayMs,
  observeProgress,
  stallAfterLook,
  type WatchPlan,
} from '../../src/decisions/supervision';
import type { TrainingJob } from '../../src/domain/types';

const ckpt = (
  id: string,
  epoch: number,
  validationLoss: number | undefined,
  over: Partial<Checkpoint> = {},
): Checkpoint => ({
  id,
  epoch,
  type: 'automatic',
  metrics: validationLoss === undefined ? {} : { validationLoss },
  deployable: true,
  ...over,
});

describe('chooseCandidate', () => {
  const policy = {
    metric: 'validationLoss',
    direction: 'minimize' as const,
    tieBreak: 'earliest-epoch' as const,
  };

  it('picks the lowest metric among deployable checkpoints that have it', () => {
    const choice = chooseCandidate(
      [
        ckpt('a', 1, 0.9),
        ckpt('b', 2, 0.5, { deployable: false }),
        ckpt('c', 3, 0.6),
        ckpt('d', 4, undefined),
      ],
      policy,
    );
    expect(choice?.checkpoint.id).toBe('c');
    expect(choice?.considered).toBe(2);
  });

  it('breaks ties by epoch as declared, and prefers the automatic original over its `best` copy', () => {
    const list = [ckpt('late', 5, 0.4), ckpt('early', 2, 0.4), ckpt('best-copy', 2, 0.4, { type: 'best' })];
    expect(chooseCandidate(list, policy)?.checkpoint.id).toBe('early');
    expect(chooseCandidate(list, { ...policy, tieBreak: 'latest-epoch' })?.checkpoint.id).toBe('late');
  });

  it('maximizes when asked, and reports agreement with the provider’s best', () => {
    const list = [ckpt('a', 1, 0.2), ckpt('b', 2, 0.8)];
    const choice = chooseCandidate(list, { ...policy, direction: 'maximize' }, 'a');
    expect(choice?.checkpoint.id).toBe('b');
    expect(choice?.agreesWithProviderBest).toBe(false);
  });

  it('gives nothing when no checkpoint is eligible', () => {
    expect(chooseCandidate([ckpt('a', 1, undefined)], policy)).toBeUndefined();
  });

  it('never depends on the order of the list (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            epoch: fc.integer({ min: 0, max: 50 }),
            loss: fc.double({ min: 0, max: 5, noNaN: true }),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        (rows) => {
          const list = rows.map((r, i) => ckpt(`c${i}`, r.epoch, r.loss));
          const a = chooseCandidate(list, policy)?.checkpoint.id;
          const b = chooseCandidate([...list].reverse(), policy)?.checkpoint.id;
          return a === b;
        },
      ),
    );
  });
});

describe('candidateQueries: documented sorts that put the best first when the list cannot show all', () => {
  it.each([
    ['loss', 'minimize', { sortBy: 'loss', sortOrder: 'asc' }],
    ['validationLoss', 'minimize', { sortBy: 'loss', sortOrder: 'asc' }],
    ['accuracy', 'maximize', { sortBy: 'accuracy', sortOrder: 'desc' }],
    ['validationAccuracy', 'maximize', { sortBy: 'accuracy', sortOrder: 'desc' }],
  ] as const)('%s (%s) asks for the newest and for %j', (metric, direction, byMetric) => {
    expect(candidateQueries({ metric, direction, tieBreak: 'earliest-epoch' })).toEqual([
      { sortBy: 'createdAt', sortOrder: 'desc' },
      byMetric,
    ]);
  });

  it('a metric no documented sort matches asks only for the newest', () => {
    expect(
      candidateQueries({ metric: 'perplexity', direction: 'minimize', tieBreak: 'latest-epoch' }),
    ).toEqual([{ sortBy: 'createdAt', sortOrder: 'desc' }]);
  });
});

describe('evaluateGate', () => {
  it('passes a candidate under the threshold and better than the serving model', () => {
    expect(evaluateGate(0.4, { direction: 'minimize', threshold: 0.5 }, 0.45)).toEqual({
      passed: true,
      reasons: ['meets threshold: 0.4 ≤ 0.5', 'beats serving model: 0.4 vs 0.45'],
    });
  });
  it('fails on either rule, and honours a minimum improvement', () => {
    expect(evaluateGate(0.6, { direction: 'minimize', threshold: 0.5 }).passed).toBe(false);
    expect(evaluateGate(0.44, { direction: 'minimize', minImprovement: 0.02 }, 0.45).passed).toBe(false);
    expect(evaluateGate(0.9, { direction: 'maximize', threshold: 0.8 }, 0.85).passed).toBe(true);
  });
});

describe('planCleanup', () => {
  const now = Date.parse('2026-01-31T00:00:00Z');
  const day = (d: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + d * 86_400_000).toISOString();
  const auto = (n: number): CheckpointSummary[] =>
    Array.from({ length: n }, (_, i) => ({
      id: `e${i + 1}`,
      jobId: 'j',
      type: 'automatic' as const,
      epoch: i + 1,
      createdAt: day(i),
      sizeBytes: 100,
    }));

  it('keeps the newest N automatic plus best, final, manual, pinned and deployed', () => {
    const list = [
      ...auto(10),
      { id: 'best', jobId: 'j', type: 'best' as const, epoch: 3 },
      { id: 'final', jobId: 'j', type: 'final' as const, epoch: 10 },
      { id: 'm', jobId: 'j', type: 'manual' as const },
    ];
    const plan = planCleanup(list, { keepLastN: 3 }, ['e2'], now);
    expect(plan.delete.map((c) => c.id).sort()).toEqual(['e1', 'e3', 'e4', 'e5', 'e6', 'e7']);
    expect(plan.bytesReclaimed).toBe(600);
  });

  it('keeps what is inside the window, then trims the oldest of those to fit a size budget', () => {
    const plan = planCleanup(auto(30), { keepLastN: 2, keepWithinDays: 5, maxTotalBytes: 400 }, [], now);
    const kept = plan.keep.map((c) => c.id);
    expect(kept).toEqual(expect.arrayContaining(['e30', 'e29']));
    expect(kept).toHaveLength(4);
    // e30, e29 by N; e28-e26 inside 5 days; 500 bytes > 400, so the oldest of the window goes.
    expect(plan.delete.filter((c) => c.reason === 'over-size-budget').map((c) => c.id)).toEqual(['e26']);
  });

  it('never plans to delete a protected, best or final checkpoint (property)', () => {
    const types = ['automatic', 'best', 'final', 'manual', 'unknown'] as const;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            type: fc.constantFrom(...types),
            epoch: fc.integer({ min: 0, max: 99 }),
            size: fc.integer({ min: 0, max: 1000 }),
          }),
          { maxLength: 60 },
        ),
        fc.integer({ min: 0, max: 10 }),
        fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
        fc.boolean(),
        (rows, keepLastN, keepWithinDays, maxTotalBytes, includeManual) => {
          const list = rows.map((r, i) => ({
            id: `c${i}`,
            jobId: 'j',
            type: r.type,
            epoch: r.epoch,
            createdAt: day(r.epoch % 40),
            sizeBytes: r.size,
          }));
          const protectedIds = list.filter((_, i) => i % 7 === 0).map((c) => c.id);
          const plan = planCleanup(
            list,
            { keepLastN, keepWithinDays, maxTotalBytes, includeManual },
            protectedIds,
            now,
          );
          const deleted = new Set(plan.delete.map((c) => c.id));
          const safe = list.every(
            (c) =>
              !deleted.has(c.id) ||
              ((c.type === 'automatic' || (includeManual && c.type === 'manual')) &&
                !protectedIds.includes(c.id)),
          );
          const partition = plan.delete.length + plan.keep.length === list.length;
          const automatic = list.filter((c) => c.type === 'automatic');
          const keptAutomatic = automatic.filter((c) => !deleted.has(c.id)).length;
          const keepsNewestN = keptAutomatic >= Math.min(keepLastN, automatic.length);
          return safe && partition && keepsNewestN;
        },
      ),
    );
  });
});

describe('supervision rules', () => {
  const base = { freshnessMs: 300_000, minIntervalMs: 30_000 };
  it('polls often at the start and near the ETA, at the freshness bound in between', () => {
    expect(nextPollDelayMs({ ...base, elapsedMs: 10_000 })).toBe(30_000);
    expect(nextPollDelayMs({ ...base, elapsedMs: 86_400_000, remainingMs: 86_400_000 })).toBe(300_000);
    expect(nextPollDelayMs({ ...base, elapsedMs: 86_400_000, remainingMs: 200_000 })).toBe(100_000);
  });
  it('stays within [min, freshness] (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.option(fc.integer({ min: -1e9, max: 1e12 }), { nil: undefined }),
        (elapsedMs, remainingMs) => {
          const d = nextPollDelayMs({ ...base, elapsedMs, remainingMs });
          return d >= 30_000 && d <= 300_000;
        },
      ),
    );
  });
  it('detects a stall only when progress stops for the whole window', () => {
    let s = observeProgress({ lastProgressAtMs: 0 }, 10, 0);
    s = observeProgress(s, 10, 1000);
    expect(isStalled(s, 1000, 5000)).toBe(false);
    expect(isStalled(s, 5000, 5000)).toBe(true);
    s = observeProgress(s, 11, 6000);
    expect(isStalled(s, 6000, 5000)).toBe(false);
  });
  describe('judgeLook: what a watch hands back to its workflow', () => {
    const HOUR = 3_600_000;
    const plan: WatchPlan = {
      knownStatus: 'running',
      segmentStartedAtMs: 0,
      reportByMs: 10 * HOUR,
      freshnessMs: 300_000,
      minIntervalMs: 30_000,
      stallAfterMs: HOUR,
      maxCost: 50,
    };
    const job = (over: Partial<TrainingJob> = {}): TrainingJob => ({
      provider: 'tensorone',
      id: 'j1',
      status: 'running',
      rawStatus: 'running',
      progress: { currentStep: 100 },
      metrics: {},
      cost: 10,
      checkpointIds: ['c1', 'c2'],
      ...over,
    });
    const at = 5 * HOUR;
    const moving = { lastProgress: 90, lastProgressAtMs: at - 300_000 };

    it('keeps watching a job that trains steadily, at the freshness bound', () => {
      const stall = stallAfterLook(moving, job(), at);
      expect(judgeLook(plan, job(), stall, at)).toEqual({ lookAgainInMs: 300_000 });
    });
    it('keeps the cadence of the timer path: often near the ETA', () => {
      const nearEta = job({ progress: { currentStep: 100, remainingSeconds: 120 } });
      expect(judgeLook(plan, nearEta, stallAfterLook(moving, nearEta, at), at)).toEqual({
        lookAgainInMs: 60_000,
      });
    });
    it.each([
      ['status-changed', job({ status: 'completed' })],
      ['status-changed', job({ status: 'failed', failureReason: 'spot instance preempted' })],
      ['cost-budget', job({ cost: 50 })],
    ])('reports %s', (reason, looked) => {
      expect(judgeLook(plan, looked, stallAfterLook(moving, looked, at), at)).toEqual({ report: reason });
    });
    it('lets new checkpoints wait for the next report', () => {
      const more = job({ checkpointIds: ['c1', 'c2', 'c3'] });
      expect(judgeLook(plan, more, stallAfterLook(moving, more, at), at)).toHaveProperty('lookAgainInMs');
    });
    it('reports the first look, when it knows no status yet', () => {
      expect(judgeLook({ ...plan, knownStatus: undefined }, job(), moving, at)).toEqual({
        report: 'status-changed',
      });
    });
    it('reports a stall once the step has not moved for stallAfter, carried across looks', () => {
      let stall = stallAfterLook({ lastProgressAtMs: 0 }, job(), at);
      stall = stallAfterLook(stall, job(), at + 30 * 60_000);
      expect(judgeLook(plan, job(), stall, at + 30 * 60_000)).toHaveProperty('lookAgainInMs');
      stall = stallAfterLook(stall, job(), at + HOUR);
      expect(judgeLook(plan, job(), stall, at + HOUR)).toEqual({ report: 'stalled' });
    });
    it('does not count a queued job as stalled', () => {
      const queued = job({ status: 'queued' });
      const stall = stallAfterLook({ lastProgressAtMs: 0 }, queued, at);
      expect(judgeLook({ ...plan, knownStatus: 'queued' }, queued, stall, at)).toHaveProperty(
        'lookAgainInMs',
      );
    });
    it('reports when the report is due, whatever else', () => {
      expect(judgeLook(plan, job(), stallAfterLook(moving, job(), 10 * HOUR), 10 * HOUR)).toEqual({
        report: 'report-due',
      });
    });
  });
  it('knows resumable failures and the next GPU type', () => {
    expect(isResumableFailure('Spot instance preempted')).toBe(true);
    expect(isResumableFailure('Dataset format invalid')).toBe(false);
    expect(nextGpuType(['h100', 'a100', 'v100'], ['h100'], ['a100', 'v100'])).toBe('a100');
    expect(nextGpuType(['h100', 'v100'], ['h100'], ['a100'])).toBeUndefined();
  });
  it('reads durations', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('5 minutes')).toBeUndefined();
    expect(formatDuration(86_400_000)).toBe('1d');
  });
});
