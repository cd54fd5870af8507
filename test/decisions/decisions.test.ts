import { lookedAtJob, watchPlan } from '../fixtures/watch';
import fc from 'fast-check';
import type { Checkpoint } from '../../src/domain/types';
import { adoptionMismatches, describeMismatches, duplicatesOf } from '../../src/decisions/adoption';
import { candidateQueries, chooseCandidate } from '../../src/decisions/candidate';
import { DURATION_BOUNDS, durationProblem } from '../../src/decisions/duration';
import { parseDuration } from '../../src/domain/duration';
import { evaluateGate } from '../../src/decisions/gate';
import {
  checkpointInModelPath,
  endedCandidateHolders,
  mergeRecords,
  protectedCheckpoints,
  claimCheckpoints,
  grantDeletions,
  liveLeases,
  releaseLeases,
  type LeaseRequest,
  type ProtectionRecord,
} from '../../src/decisions/protection';
import { planCleanup, type CheckpointSummary } from '../../src/decisions/retention';
import {
  afterDecision,
  cancelEffects,
  cancelRefusal,
  decisionRefusal,
  pinRefusal,
  unpinRefusal,
} from '../../src/decisions/operator';
import {
  isFurther,
  isResumableFailure,
  isStalled,
  isTerminalStatus,
  judgeLook,
  nextGpuType,
  nextPollDelayMs,
  observeFurthest,
  observeProgress,
  progressMark,
  stallAfterLook,
  type StallState,
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

describe('evaluateGate at its boundaries', () => {
  it('a candidate exactly on the threshold passes, in either direction', () => {
    expect(evaluateGate(0.5, { direction: 'minimize', threshold: 0.5 })).toEqual({
      passed: true,
      reasons: ['meets threshold: 0.5 ≤ 0.5'],
    });
    expect(evaluateGate(0.8, { direction: 'maximize', threshold: 0.8 })).toEqual({
      passed: true,
      reasons: ['meets threshold: 0.8 ≥ 0.8'],
    });
  });
  it('a candidate just past the threshold fails and says which way it missed', () => {
    expect(evaluateGate(0.5000001, { direction: 'minimize', threshold: 0.5 })).toEqual({
      passed: false,
      reasons: ['misses threshold: 0.5000001 ≤ 0.5'],
    });
    expect(evaluateGate(0.7999999, { direction: 'maximize', threshold: 0.8 })).toEqual({
      passed: false,
      reasons: ['misses threshold: 0.7999999 ≥ 0.8'],
    });
  });
  it('a tie with the serving model does not pass without a margin: it must be strictly better', () => {
    expect(evaluateGate(0.45, { direction: 'minimize' }, 0.45)).toEqual({
      passed: false,
      reasons: ['does not beat serving model: 0.45 vs 0.45'],
    });
    expect(evaluateGate(0.9, { direction: 'maximize' }, 0.9).passed).toBe(false);
    expect(evaluateGate(0.91, { direction: 'maximize' }, 0.9).passed).toBe(true);
  });
  it('an improvement exactly equal to the margin passes; less fails; the margin is named', () => {
    expect(evaluateGate(0.25, { direction: 'minimize', minImprovement: 0.25 }, 0.5)).toEqual({
      passed: true,
      reasons: ['beats serving model: 0.25 vs 0.5 (margin 0.25)'],
    });
    expect(evaluateGate(0.26, { direction: 'minimize', minImprovement: 0.25 }, 0.5).passed).toBe(false);
    expect(evaluateGate(0.75, { direction: 'maximize', minImprovement: 0.25 }, 0.5).passed).toBe(true);
    expect(evaluateGate(0.74, { direction: 'maximize', minImprovement: 0.25 }, 0.5).passed).toBe(false);
  });
  it('both rules must hold: meeting the threshold does not excuse losing to the serving model', () => {
    expect(evaluateGate(0.4, { direction: 'minimize', threshold: 0.5 }, 0.3)).toEqual({
      passed: false,
      reasons: ['meets threshold: 0.4 ≤ 0.5', 'does not beat serving model: 0.4 vs 0.3'],
    });
    expect(evaluateGate(0.6, { direction: 'minimize', threshold: 0.5 }, 0.9).passed).toBe(false);
  });
  it('with no rule configured it passes and says so', () => {
    expect(evaluateGate(123, { direction: 'minimize' })).toEqual({
      passed: true,
      reasons: ['no gate configured'],
    });
  });
  it('a NaN candidate (no metric, diverged training) never passes a threshold or a comparison', () => {
    expect(evaluateGate(Number.NaN, { direction: 'minimize', threshold: 1 }).passed).toBe(false);
    expect(evaluateGate(Number.NaN, { direction: 'maximize', threshold: 0 }).passed).toBe(false);
    expect(evaluateGate(Number.NaN, { direction: 'minimize' }, 0.5).passed).toBe(false);
  });
});

describe('chooseCandidate with other metrics and bad values', () => {
  const acc = (id: string, epoch: number, metrics: Record<string, number>, over: Partial<Checkpoint> = {}) =>
    ckpt(id, epoch, undefined, { metrics, ...over });

  it('sorts by the declared metric, not by validationLoss', () => {
    // The best by accuracy has neither the lowest nor the highest loss: sorting by loss in either
    // direction picks another checkpoint.
    const list = [
      acc('low-loss', 1, { validationLoss: 0.1, validationAccuracy: 0.7, perplexity: 9 }),
      acc('high-acc', 2, { validationLoss: 0.5, validationAccuracy: 0.95, perplexity: 7 }),
      acc('high-loss', 3, { validationLoss: 0.9, validationAccuracy: 0.8, perplexity: 3 }),
    ];
    const choice = chooseCandidate(list, {
      metric: 'validationAccuracy',
      direction: 'maximize',
      tieBreak: 'earliest-epoch',
    });
    expect(choice).toMatchObject({ value: 0.95, considered: 3 });
    expect(choice?.checkpoint.id).toBe('high-acc');
    const byPerplexity = chooseCandidate(list, {
      metric: 'perplexity',
      direction: 'minimize',
      tieBreak: 'earliest-epoch',
    });
    expect(byPerplexity).toMatchObject({ value: 3 });
    expect(byPerplexity?.checkpoint.id).toBe('high-loss');
  });

  it('never chooses a NaN or infinite metric (diverged training), whatever the direction', () => {
    const list = [
      acc('nan', 1, { validationLoss: Number.NaN }),
      acc('inf', 2, { validationLoss: Number.POSITIVE_INFINITY }),
      acc('neg-inf', 3, { validationLoss: Number.NEGATIVE_INFINITY }),
      acc('ok', 4, { validationLoss: 0.7 }),
    ];
    for (const direction of ['minimize', 'maximize'] as const) {
      const choice = chooseCandidate(list, { metric: 'validationLoss', direction, tieBreak: 'latest-epoch' });
      expect(choice).toMatchObject({ value: 0.7, considered: 1 });
      expect(choice?.checkpoint.id).toBe('ok');
    }
    expect(
      chooseCandidate([acc('nan', 1, { validationLoss: Number.NaN })], {
        metric: 'validationLoss',
        direction: 'minimize',
        tieBreak: 'latest-epoch',
      }),
    ).toBeUndefined();
  });

  it('agrees with the provider’s best when it holds the same value, and cannot tell when it is not listed', () => {
    const policy = {
      metric: 'validationLoss',
      direction: 'minimize' as const,
      tieBreak: 'earliest-epoch' as const,
    };
    const list = [ckpt('e2', 2, 0.3), ckpt('best', 2, 0.3, { type: 'best' }), ckpt('e1', 1, 0.9)];
    expect(chooseCandidate(list, policy, 'best')).toMatchObject({ agreesWithProviderBest: true });
    expect(chooseCandidate(list, policy, 'gone')).toMatchObject({ agreesWithProviderBest: undefined });
    expect(chooseCandidate(list, policy)).toMatchObject({ agreesWithProviderBest: undefined });
  });
});

describe('chooseCandidate ordering is total', () => {
  const policy = {
    metric: 'validationLoss',
    direction: 'minimize' as const,
    tieBreak: 'earliest-epoch' as const,
  };
  it('prefers the automatic original over its `best` copy whichever comes first in the list', () => {
    const original = ckpt('ckpt_e4', 4, 0.3);
    const copy = ckpt('ckpt_best', 4, 0.3, { type: 'best' });
    expect(chooseCandidate([copy, original], policy)?.checkpoint.id).toBe('ckpt_e4');
    expect(chooseCandidate([original, copy], policy)?.checkpoint.id).toBe('ckpt_e4');
    expect(chooseCandidate([copy, original], { ...policy, tieBreak: 'latest-epoch' })?.checkpoint.id).toBe(
      'ckpt_e4',
    );
  });
  it('falls back to the id when metric, epoch and type are equal', () => {
    const list = [ckpt('b', 3, 0.3), ckpt('a', 3, 0.3)];
    expect(chooseCandidate(list, policy)?.checkpoint.id).toBe('a');
    expect(chooseCandidate([...list].reverse(), policy)?.checkpoint.id).toBe('a');
  });
});

describe('planCleanup reasons and tie-breaks', () => {
  const now = Date.parse('2026-01-31T00:00:00Z');
  const at = '2026-01-10T00:00:00Z';
  it('says why each checkpoint is kept', () => {
    const plan = planCleanup(
      [
        { id: 'pinned', jobId: 'j', type: 'automatic', epoch: 1, createdAt: at },
        { id: 'best', jobId: 'j', type: 'best', epoch: 2, createdAt: at },
        { id: 'final', jobId: 'j', type: 'final', epoch: 3, createdAt: at },
        { id: 'manual', jobId: 'j', type: 'manual', epoch: 3, createdAt: at },
        { id: 'odd', jobId: 'j', type: 'unknown', epoch: 3, createdAt: at },
        { id: 'e5', jobId: 'j', type: 'automatic', epoch: 5, createdAt: at },
      ],
      { keepLastN: 1 },
      ['pinned'],
      now,
    );
    const why = Object.fromEntries(plan.keep.map((c) => [c.id, c.reason]));
    expect(why).toEqual({
      pinned: 'protected (deployed or pinned)',
      best: 'type best',
      final: 'type final',
      manual: 'manual checkpoint',
      odd: 'unknown type',
      e5: 'newest 1',
    });
    expect(plan.delete).toEqual([]);
  });
  it('names the rule that deletes: beyond keep-last-N without a window, older than the window with one', () => {
    const list = [1, 2, 3].map((e) => ({
      id: `e${e}`,
      jobId: 'j',
      type: 'automatic' as const,
      epoch: e,
      createdAt: `2026-01-0${e}T00:00:00Z`,
    }));
    expect(planCleanup(list, { keepLastN: 2 }, [], now).delete.map((c) => [c.id, c.reason])).toEqual([
      ['e1', 'beyond-keep-last-n'],
    ]);
    const windowed = planCleanup(list, { keepLastN: 1, keepWithinDays: 29 }, [], now);
    expect(windowed.keep.map((c) => [c.id, c.reason])).toEqual([
      ['e3', 'newest 1'],
      ['e2', 'within 29 days'],
    ]);
    expect(windowed.delete.map((c) => [c.id, c.reason])).toEqual([['e1', 'older-than-keep-window']]);
  });
  it('with equal creation times the later epoch is the newer one', () => {
    const list = [3, 1, 2].map((e) => ({
      id: `e${e}`,
      jobId: 'j',
      type: 'automatic' as const,
      epoch: e,
      createdAt: at,
    }));
    expect(planCleanup(list, { keepLastN: 1 }, [], now).keep.map((c) => c.id)).toEqual(['e3']);
    expect(planCleanup([...list].reverse(), { keepLastN: 2 }, [], now).delete.map((c) => c.id)).toEqual([
      'e1',
    ]);
  });
  it('a size budget trims only automatic checkpoints kept by the window, never manual ones it was told to include', () => {
    const plan = planCleanup(
      [
        { id: 'm', jobId: 'j', type: 'manual', epoch: 1, createdAt: '2026-01-29T00:00:00Z', sizeBytes: 100 },
        {
          id: 'e1',
          jobId: 'j',
          type: 'automatic',
          epoch: 1,
          createdAt: '2026-01-28T00:00:00Z',
          sizeBytes: 100,
        },
        {
          id: 'e2',
          jobId: 'j',
          type: 'automatic',
          epoch: 2,
          createdAt: '2026-01-30T00:00:00Z',
          sizeBytes: 100,
        },
      ],
      { keepLastN: 1, keepWithinDays: 5, includeManual: true, maxTotalBytes: 0 },
      [],
      now,
    );
    expect(plan.delete.map((c) => [c.id, c.reason])).toEqual([['e1', 'over-size-budget']]);
    expect(plan.keep.map((c) => c.id).sort()).toEqual(['e2', 'm']);
    expect(plan.bytesReclaimed).toBe(100);
  });
});

describe('nextGpuType', () => {
  it('never offers a GPU type already tried, even when the provider still lists it', () => {
    expect(nextGpuType(['h100', 'a100'], ['h100'], ['h100', 'a100'])).toBe('a100');
  });
  it('never offers a GPU type already tried when the provider lists nothing', () => {
    expect(nextGpuType(['h100', 'a100'], ['h100'])).toBe('a100');
    expect(nextGpuType(['h100', 'a100'], ['h100', 'a100'])).toBeUndefined();
  });
  it('follows the user’s order, not the provider’s', () => {
    expect(nextGpuType(['v100', 'a100', 'h100'], [], ['h100', 'a100', 'v100'])).toBe('v100');
    expect(nextGpuType(['v100', 'a100', 'h100'], ['v100'], ['h100', 'a100'])).toBe('a100');
  });
  it('offers nothing when no preferred type is available', () => {
    expect(nextGpuType(['v100'], [], ['h100'])).toBeUndefined();
    expect(nextGpuType([], [], ['h100'])).toBeUndefined();
    expect(nextGpuType(['v100'], [], [])).toBeUndefined();
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

describe('protected checkpoints', () => {
  const rec = (over: Partial<ProtectionRecord>): ProtectionRecord => ({
    checkpointId: 'c1',
    kind: 'candidate',
    workflowId: 'pipeline-a',
    runId: 'r1',
    at: '2026-01-01T00:00:00Z',
    ...over,
  });
  const ids = (p: { checkpointId: string }[]) => p.map((c) => c.checkpointId).sort();

  it('a candidate holds only while its run is running; pins and deployments hold for good', () => {
    const records = [
      rec({ checkpointId: 'cand-running' }),
      rec({ checkpointId: 'cand-ended', runId: 'r0' }),
      rec({ checkpointId: 'pin', kind: 'pinned', runId: 'r0' }),
      rec({ checkpointId: 'dep', kind: 'deployed', runId: 'r0', target: 'tensormesh', deploymentId: 'm1' }),
    ];
    const running = new Set(['pipeline-a/r1']);
    expect(ids(protectedCheckpoints({ records, runningHolders: running }))).toEqual([
      'cand-running',
      'dep',
      'pin',
    ]);
    expect(ids(protectedCheckpoints({ records, runningHolders: new Set() }))).toEqual(['dep', 'pin']);
    expect(endedCandidateHolders(records, running)).toEqual([{ workflowId: 'pipeline-a', runId: 'r0' }]);
  });

  it('adds what the endpoint list and the registry say is serving, with every reason once', () => {
    const out = protectedCheckpoints({
      records: [rec({ checkpointId: 'x', kind: 'pinned' }), rec({ checkpointId: 'x', kind: 'pinned' })],
      runningHolders: new Set(),
      endpointCheckpoints: [{ checkpointId: 'x', endpointId: 'ep1' }],
      registryCheckpoints: [{ checkpointId: 'y', modelId: 'm1' }],
    });
    expect(out).toEqual([
      { checkpointId: 'x', reasons: ['pinned in pipeline-a', 'served by endpoint ep1'] },
      { checkpointId: 'y', reasons: ['named by deployed registry model m1'] },
    ]);
    expect(protectedCheckpoints({ records: [], runningHolders: new Set() })).toEqual([]);
  });

  it('recording the same thing twice keeps one record', () => {
    const a = rec({});
    expect(mergeRecords([a], [a, { ...a, at: 'later' }])).toEqual([a]);
    expect(mergeRecords([a], [{ ...a, runId: 'r2' }])).toHaveLength(2);
    expect(mergeRecords([a], [{ ...a, kind: 'deployed' }])).toHaveLength(2);
  });

  describe('deletion leases against claims (one registry decides, one message at a time)', () => {
    const cleanupRun = { workflowId: 'cleanup-1', runId: 'c1' };
    const lease = (over: Partial<LeaseRequest> = {}): LeaseRequest => ({
      ...cleanupRun,
      checkpointIds: ['c1', 'c2'],
      endedHolders: [],
      untilMs: 2_000,
      ...over,
    });

    it('a cleanup that planned before a pipeline claimed is refused what was claimed meanwhile', () => {
      // The candidate was recorded after the cleanup looked: its holder is not among the ended ones.
      const { answer, leases } = grantDeletions([rec({ checkpointId: 'c1' })], [], lease(), 1_000);
      expect(answer).toEqual({
        granted: ['c2'],
        refused: [{ checkpointId: 'c1', reason: 'candidate of running pipeline-a' }],
      });
      expect(leases).toEqual([{ checkpointId: 'c2', ...cleanupRun, untilMs: 2_000 }]);
    });

    it('grants what ended candidates held; pins and deployments are never granted', () => {
      const records = [
        rec({ checkpointId: 'c1' }),
        rec({ checkpointId: 'c2', kind: 'pinned' }),
        rec({ checkpointId: 'c3', kind: 'deployed' }),
      ];
      const { answer } = grantDeletions(
        records,
        [],
        lease({ checkpointIds: ['c1', 'c2', 'c3', 'c1'], endedHolders: ['pipeline-a/r1'] }),
        0,
      );
      expect(answer.granted).toEqual(['c1']);
      expect(answer.refused.map((r) => r.reason)).toEqual(['pinned in pipeline-a', 'deployed by pipeline-a']);
    });

    it('a pipeline that claims after the lease is told the checkpoint is being deleted, and nothing is recorded', () => {
      const { leases } = grantDeletions([], [], lease(), 1_000);
      const { answer, records } = claimCheckpoints([], leases, [rec({ checkpointId: 'c2' })], 1_999);
      expect(answer).toEqual({ recorded: [], beingDeleted: [{ checkpointId: 'c2', by: 'cleanup-1' }] });
      expect(records).toEqual([]);
    });

    it('a lease holds until its time and not at it; a released lease holds nothing', () => {
      const { leases } = grantDeletions([], [], lease({ checkpointIds: ['c1'] }), 1_000);
      expect(liveLeases(leases, 1_999)).toHaveLength(1);
      expect(liveLeases(leases, 2_000)).toEqual([]);
      const atExpiry = claimCheckpoints([], leases, [rec({ checkpointId: 'c1' })], 2_000);
      expect(atExpiry.answer).toEqual({ recorded: ['c1'], beingDeleted: [] });
      // Released by workflow id: a cleanup that continued as new releases what its earlier run leased.
      const released = releaseLeases(leases, { workflowId: 'cleanup-1' });
      expect(released).toEqual([]);
      expect(releaseLeases(leases, { workflowId: 'cleanup-2' })).toEqual(leases);
    });

    it('a release up to an attempt leaves what a later attempt was granted, and ends the rest', () => {
      // Attempt 1 leased c1 and c2 and timed out; attempt 2 leased c2 again and is deleting it.
      const first = grantDeletions([], [], lease({ checkpointIds: ['c1', 'c2'], attempt: 1 }), 0);
      const { leases } = grantDeletions([], first.leases, lease({ checkpointIds: ['c2'], attempt: 2 }), 10);
      // Attempt 1 ran on and releases: attempt 2's lease of c2 still holds, so a claim of c2 is refused.
      const afterOld = releaseLeases(leases, { workflowId: 'cleanup-1', upToAttempt: 1 });
      expect(afterOld.map((l) => [l.checkpointId, l.attempt])).toEqual([['c2', 2]]);
      expect(claimCheckpoints([], afterOld, [rec({ checkpointId: 'c2' })], 20).answer.beingDeleted).toEqual([
        { checkpointId: 'c2', by: 'cleanup-1' },
      ]);
      // At the boundary: attempt 2's own release ends its lease; so does a release without an attempt.
      expect(releaseLeases(leases, { workflowId: 'cleanup-1', upToAttempt: 2 })).toEqual([]);
      expect(releaseLeases(leases, { workflowId: 'cleanup-1' })).toEqual([]);
      // A lease granted without an attempt (a lease of its own, the workflow releases it) ends with any.
      const plain = grantDeletions([], [], lease({ checkpointIds: ['c3'] }), 0).leases;
      expect(releaseLeases(plain, { workflowId: 'cleanup-1', upToAttempt: 1 })).toEqual([]);
      // Another cleanup's leases are untouched.
      expect(releaseLeases(leases, { workflowId: 'cleanup-2', upToAttempt: 5 })).toEqual(leases);
    });

    it('two cleanups may both lease a checkpoint (the second delete is a 404); a claim names one of them', () => {
      const first = grantDeletions([], [], lease({ checkpointIds: ['c1'] }), 0);
      const second = grantDeletions(
        [],
        first.leases,
        lease({ workflowId: 'cleanup-2', runId: 'c2', checkpointIds: ['c1'] }),
        0,
      );
      expect(second.answer.granted).toEqual(['c1']);
      expect(second.leases).toHaveLength(2);
      const { answer } = claimCheckpoints([], second.leases, [rec({ checkpointId: 'c1' })], 0);
      expect(answer.beingDeleted).toHaveLength(1);
    });

    it('a claim of nothing records nothing; a claim of a free checkpoint twice records it once', () => {
      expect(claimCheckpoints([], [], [], 0)).toEqual({
        answer: { recorded: [], beingDeleted: [] },
        records: [],
      });
      const twice = claimCheckpoints([], [], [rec({}), rec({})], 0);
      expect(twice.answer.recorded).toEqual(['c1']);
      expect(twice.records).toHaveLength(1);
    });
  });

  it('reads the checkpoint a TensorMesh modelPath serves, and none from a model repo', () => {
    expect(checkpointInModelPath('tensorone://checkpoints/ckpt_abc_e3')).toBe('ckpt_abc_e3');
    expect(checkpointInModelPath('s3://bucket/runs/checkpoints/ckpt_9?version=2')).toBe('ckpt_9');
    expect(checkpointInModelPath('meta-llama/Llama-2-7b-hf')).toBeUndefined();
    expect(checkpointInModelPath('tensorone://checkpoints/')).toBeUndefined();
    expect(checkpointInModelPath('')).toBeUndefined();
    // A relative path starting with the segment names one; a segment that only ends in "checkpoints" does not.
    expect(checkpointInModelPath('checkpoints/ckpt_7')).toBe('ckpt_7');
    expect(checkpointInModelPath('runs/mycheckpoints/ckpt_7')).toBeUndefined();
    expect(checkpointInModelPath('xcheckpoints/ckpt_7')).toBeUndefined();
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
    const plan = watchPlan;
    const job = (over: Partial<TrainingJob> = {}): TrainingJob =>
      lookedAtJob({ checkpointIds: ['c1', 'c2'], ...over });
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
      ['status-changed', job({ status: 'completed' }), 'completed'],
      ['status-changed', job({ status: 'failed', failureReason: 'spot instance preempted' }), 'failed'],
      ['status-changed', job({ status: 'pending' }), 'running'],
      ['cost-budget', job({ cost: 50 }), 'running'],
    ] as const)('reports %s (%#)', (reason, looked, previous) => {
      const stall = stallAfterLook(moving, looked, at);
      expect(judgeLook(plan, looked, stall, at, previous)).toEqual({ report: reason });
    });
    describe('a terminal status is confirmed by a second look before it is handed back', () => {
      it.each(['completed', 'failed', 'stopped', 'cancelled'] as const)(
        'a first "%s" is looked at again after the minimum interval',
        (status) => {
          const looked = job({ status });
          expect(judgeLook(plan, looked, moving, at, 'running')).toEqual({
            lookAgainInMs: 30_000,
            confirming: status,
          });
          // The previous look defaults to the workflow's: a watch's first look doubts too.
          expect(judgeLook(plan, looked, moving, at)).toEqual({ lookAgainInMs: 30_000, confirming: status });
        },
      );
      it('even when a report is due, and on the very first look (no status known)', () => {
        const done = job({ status: 'completed' });
        expect(judgeLook(plan, done, moving, 10 * HOUR, 'running')).toHaveProperty('confirming', 'completed');
        expect(judgeLook({ ...plan, knownStatus: undefined }, done, moving, at)).toHaveProperty(
          'confirming',
          'completed',
        );
      });
      it('two looks that disagree on the terminal status confirm neither', () => {
        const failed = job({ status: 'failed' });
        expect(judgeLook(plan, failed, moving, at, 'completed')).toHaveProperty('confirming', 'failed');
      });
      it('a "completed" the next look contradicts is not handed back: the watch goes on', () => {
        // Previous look: "completed" (doubted); this one: running again, at the usual cadence.
        expect(judgeLook(plan, job(), stallAfterLook(moving, job(), at), at, 'completed')).toEqual({
          lookAgainInMs: 300_000,
        });
      });
      it('a terminal status the workflow already knew is not doubted again (after a resume)', () => {
        const stopped = job({ status: 'stopped' });
        expect(judgeLook({ ...plan, knownStatus: 'stopped' }, stopped, moving, at)).toHaveProperty(
          'lookAgainInMs',
          300_000,
        );
      });
      it('queued, pending, running and unknown are not terminal', () => {
        expect(['queued', 'pending', 'running', 'unknown'].some((s) => isTerminalStatus(s as never))).toBe(
          false,
        );
      });
    });
    it('lets new checkpoints wait for the next report', () => {
      const more = job({ checkpointIds: ['c1', 'c2', 'c3'] });
      // Same cadence as without them: new checkpoints are no reason to hand the job back.
      expect(judgeLook(plan, more, stallAfterLook(moving, more, at), at)).toEqual({ lookAgainInMs: 300_000 });
    });
    it('reports the first look, when it knows no status yet', () => {
      expect(judgeLook({ ...plan, knownStatus: undefined }, job(), moving, at)).toEqual({
        report: 'status-changed',
      });
    });
    it('reports a counter wobbling 1500 ↔ 1400 as stalled stallAfter after the furthest step', () => {
      const wobble = (step: number, epoch: number) =>
        job({ progress: { currentStep: step, currentEpoch: epoch } });
      let stall: StallState = { lastProgressAtMs: 0 };
      stall = stallAfterLook(stall, wobble(1500, 4), at);
      for (let i = 1; i <= 11; i++) {
        const t = at + i * 5 * 60_000;
        stall = stallAfterLook(stall, i % 2 ? wobble(1400, 3) : wobble(1500, 4), t);
        expect(judgeLook(plan, job(), stall, t)).toEqual({ lookAgainInMs: 300_000 });
      }
      stall = stallAfterLook(stall, wobble(1400, 3), at + HOUR);
      expect(judgeLook(plan, job(), stall, at + HOUR)).toEqual({ report: 'stalled' });
      // The rule of supervisions started earlier took every change for progress: never stalled.
      let changed: StallState = { lastProgressAtMs: 0 };
      for (let i = 0; i <= 12; i++)
        changed = stallAfterLook(
          changed,
          i % 2 ? wobble(1400, 3) : wobble(1500, 4),
          at + i * 5 * 60_000,
          'changed',
        );
      expect(isStalled(changed, at + HOUR, HOUR)).toBe(false);
    });
    it('reports a stall once the step has not moved for stallAfter, carried across looks', () => {
      let stall = stallAfterLook({ lastProgressAtMs: 0 }, job(), at);
      stall = stallAfterLook(stall, job(), at + 30 * 60_000);
      expect(judgeLook(plan, job(), stall, at + 30 * 60_000)).toEqual({ lookAgainInMs: 300_000 });
      stall = stallAfterLook(stall, job(), at + HOUR);
      expect(judgeLook(plan, job(), stall, at + HOUR)).toEqual({ report: 'stalled' });
    });
    it('does not count a queued job as stalled', () => {
      const queued = job({ status: 'queued' });
      const stall = stallAfterLook({ lastProgressAtMs: 0 }, queued, at);
      expect(judgeLook({ ...plan, knownStatus: 'queued' }, queued, stall, at)).toEqual({
        lookAgainInMs: 300_000,
      });
      // Even a clock five hours without progress (stallAfter is one) is no stall while the job waits.
      expect(judgeLook({ ...plan, knownStatus: 'queued' }, queued, { lastProgressAtMs: 0 }, at)).toEqual({
        lookAgainInMs: 300_000,
      });
    });
    it('reports when the report is due, whatever else', () => {
      expect(judgeLook(plan, job(), stallAfterLook(moving, job(), 10 * HOUR), 10 * HOUR)).toEqual({
        report: 'report-due',
      });
    });
  });
  describe('stall clock by the furthest progress seen', () => {
    const mark = (epoch: number, step: number) => ({ epoch, step });
    it('orders marks by epoch, then step', () => {
      expect(isFurther(mark(4, 1501), mark(4, 1500))).toBe(true);
      expect(isFurther(mark(4, 1500), mark(4, 1500))).toBe(false);
      expect(isFurther(mark(3, 1400), mark(4, 1500))).toBe(false);
      // A per-epoch step counter starts again at 0 in the next epoch: still further.
      expect(isFurther(mark(5, 0), mark(4, 499))).toBe(true);
      expect(isFurther(mark(4, 9999), mark(5, 0))).toBe(false);
    });
    it('a step equal to the furthest, or behind it, does not reset the clock; one past it does', () => {
      const seen: StallState = { furthest: mark(4, 1500), lastProgressAtMs: 1000 };
      expect(observeFurthest(seen, mark(4, 1500), 9000)).toBe(seen);
      expect(observeFurthest(seen, mark(3, 1400), 9000)).toBe(seen);
      expect(observeFurthest(seen, mark(4, 1501), 9000)).toEqual({
        furthest: mark(4, 1501),
        lastProgressAtMs: 9000,
      });
    });
    it('the first mark starts the clock; a look without progress figures restarts it, keeping the mark', () => {
      expect(observeFurthest({ lastProgressAtMs: 0 }, mark(1, 10), 500)).toEqual({
        furthest: mark(1, 10),
        lastProgressAtMs: 500,
      });
      expect(observeFurthest({ furthest: mark(4, 1500), lastProgressAtMs: 0 }, undefined, 500)).toEqual({
        furthest: mark(4, 1500),
        lastProgressAtMs: 500,
      });
    });
    it('stalled exactly at stallAfter after the furthest mark, not a millisecond before', () => {
      const seen: StallState = { furthest: mark(4, 1500), lastProgressAtMs: 1000 };
      expect(isStalled(seen, 1000 + 5000 - 1, 5000)).toBe(false);
      expect(isStalled(seen, 1000 + 5000, 5000)).toBe(true);
    });
    it('reads the mark from the job: TensorOne epoch and step, Marqtune checkpoints', () => {
      const t1 = { provider: 'tensorone' as const, checkpointIds: [] };
      expect(progressMark({ ...t1, progress: { currentEpoch: 4, currentStep: 1500 } })).toEqual(
        mark(4, 1500),
      );
      expect(progressMark({ ...t1, progress: { currentStep: 1500 } })).toEqual(mark(0, 1500));
      expect(progressMark({ ...t1, progress: {} })).toBeUndefined();
      expect(progressMark({ provider: 'marqtune', checkpointIds: ['a', 'b'], progress: {} })).toEqual(
        mark(0, 2),
      );
    });
    it('a queued job restarts the clock and forgets the mark (a resumed job may start from an earlier step)', () => {
      const queued = {
        provider: 'tensorone',
        status: 'pending',
        progress: { currentStep: 1000 },
      } as TrainingJob;
      expect(stallAfterLook({ furthest: mark(4, 1500), lastProgressAtMs: 0 }, queued, 700)).toEqual({
        lastProgressAtMs: 700,
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
  });
});

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['90s', 90_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['0.5s', 500],
    [' 10 s ', 10_000],
    ['0s', 0],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 's', '5', '5x', '-5s', '5.s', '.5s', '5 minutes', '5m5', 'x5m', '5mm', '1h30m', '5M'])(
    'reads %j as no duration',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it.each([
    [172_800_000, '2d'],
    [90_000_000, '25h'],
    [3_600_000, '1h'],
    [5_400_000, '90m'],
    [60_000, '1m'],
    [90_000, '90s'],
    [1000, '1s'],
    [1500, '1500ms'],
    [1, '1ms'],
  ])('reads %i ms written in any unit, also more of it than the next unit holds (%j)', (ms, text) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('accepts each field exactly at its bounds and refuses just past them, naming the bounds', () => {
    for (const [field, { min, max }] of Object.entries(DURATION_BOUNDS)) {
      const f = field as keyof typeof DURATION_BOUNDS;
      const lo = parseDuration(min)!;
      const hi = parseDuration(max)!;
      expect([field, durationProblem(min, f)]).toEqual([field, undefined]);
      expect([field, durationProblem(max, f)]).toEqual([field, undefined]);
      // A minimum of 0 (deploy.retireAfter) has nothing below it but a negative, which is no duration.
      expect([field, durationProblem(`${lo - 1}ms`, f)]).toEqual([
        field,
        lo === 0
          ? `must be a duration such as "90s", "5m", "2h" or "7d", got "-1ms"`
          : `must be between ${min} and ${max}, got "${lo - 1}ms"`,
      ]);
      expect([field, durationProblem(`${hi + 1}ms`, f)]).toEqual([
        field,
        `must be between ${min} and ${max}, got "${hi + 1}ms"`,
      ]);
    }
  });

  it('a value that is no duration is refused with examples and the value given', () => {
    expect(durationProblem('soon', 'deploy.timeout')).toBe(
      'must be a duration such as "90s", "5m", "2h" or "7d", got "soon"',
    );
    expect(durationProblem('', 'schedule.every')).toBe(
      'must be a duration such as "90s", "5m", "2h" or "7d", got ""',
    );
  });
});

describe('adoptionMismatches', () => {
  const asked = {
    modelType: 'llm',
    datasetId: 'ds_new',
    config: { training: { epochs: 5, learning_rate: 2e-4 }, strategy: 'lora' },
    gpuType: 'a100',
  };

  it('finds nothing to object to in the very job that was asked for, defaults added by the provider included', () => {
    const found = {
      modelType: 'llm',
      datasetId: 'ds_new',
      config: { training: { epochs: 5, learning_rate: 2e-4, batch_size: 4 }, strategy: 'lora' },
      gpuType: 'NVIDIA A100',
    };
    expect(adoptionMismatches(asked, found)).toEqual([]);
  });

  it('names the dataset and the changed epochs of an earlier run, asked and found', () => {
    const found = {
      modelType: 'llm',
      datasetId: 'ds_old',
      config: { training: { epochs: 3, learning_rate: 2e-4 }, strategy: 'lora' },
    };
    const m = adoptionMismatches(asked, found);
    expect(m).toEqual([
      { field: 'datasetId', asked: 'ds_new', found: 'ds_old' },
      { field: 'config.training.epochs', asked: '5', found: '3' },
    ]);
    expect(describeMismatches(m)).toBe(
      'datasetId: asked ds_new, found ds_old; config.training.epochs: asked 5, found 3',
    );
  });

  it('a key asked for that the found config lacks is a difference; a field the provider does not report is not', () => {
    expect(adoptionMismatches({ config: { seed: 7 } }, { config: {} })).toEqual([
      { field: 'config.seed', asked: '7', found: 'nothing' },
    ]);
    expect(adoptionMismatches(asked, {})).toEqual([]);
  });

  it('compares GPU, checkpoint and model, and arrays element by element', () => {
    expect(adoptionMismatches({ gpuType: 'h100' }, { gpuType: 'NVIDIA A100' })).toHaveLength(1);
    expect(adoptionMismatches({ checkpointId: 'ckpt_e9' }, { checkpointId: 'ckpt_final' })).toEqual([
      { field: 'checkpointId', asked: 'ckpt_e9', found: 'ckpt_final' },
    ]);
    expect(adoptionMismatches({ modelId: 'm1' }, { modelId: 'm1' })).toEqual([]);
    expect(adoptionMismatches({ config: { mods: ['q', 'v'] } }, { config: { mods: ['q', 'k'] } })).toEqual([
      { field: 'config.mods[1]', asked: '"v"', found: '"k"' },
    ]);
    expect(adoptionMismatches({ config: { mods: ['q'] } }, { config: { mods: ['q', 'k'] } })).toHaveLength(1);
  });
});

describe('duplicatesOf', () => {
  it('lists every other resource carrying the run name once, never the kept one or another name', () => {
    const found = [
      { id: 'job_b', name: 'run-1--train' },
      { id: 'job_a', name: 'run-1--train' },
      { id: 'job_c', name: 'run-2--train' },
      { id: 'job_b', name: 'run-1--train' },
    ];
    expect(duplicatesOf('job_a', found, 'run-1--train')).toEqual(['job_b']);
    expect(duplicatesOf('job_a', [found[1]], 'run-1--train')).toEqual([]);
    expect(duplicatesOf('job_a', [], 'run-1--train')).toEqual([]);
  });
});

describe('operator commands: when a running pipeline refuses them', () => {
  const awaiting = { phase: 'awaiting-approval', candidateId: 'ckpt_a' };

  it('approve/reject: only while awaiting approval, only the first decision, only the candidate shown', () => {
    expect(decisionRefusal(awaiting, 'ckpt_a')).toBeUndefined();
    expect(decisionRefusal({ phase: 'training' }, 'ckpt_a')).toBe('not awaiting approval (phase: training)');
    // Past the approval wait, the refusal names the candidate the pipeline went on with.
    expect(decisionRefusal({ phase: 'deploying', candidateId: 'ckpt_a' }, 'ckpt_a')).toBe(
      'not awaiting approval (phase: deploying, candidate ckpt_a)',
    );
    // Approved already and moved on: the answer names the decision, not only the phase.
    expect(
      decisionRefusal(
        {
          phase: 'deploying',
          candidateId: 'ckpt_a',
          decision: { approved: true, by: 'ada', checkpointId: 'ckpt_a' },
        },
        'ckpt_a',
      ),
    ).toBe('already approved by ada (ckpt_a)');
    expect(decisionRefusal({ ...awaiting, decision: { approved: false } }, 'ckpt_a')).toBe(
      'already rejected',
    );
    expect(decisionRefusal(awaiting, 'ckpt_b')).toBe(
      'stale candidate: you named ckpt_b, the pipeline awaits approval of ckpt_a',
    );
    expect(decisionRefusal(awaiting, undefined)).toMatch(/name the candidate .* it is ckpt_a/);
    expect(decisionRefusal(awaiting, '')).toMatch(/name the candidate/);
  });

  it('the answer to a decision says what the pipeline does next', () => {
    expect(afterDecision(true, 'ckpt_a')).toBe('deploying ckpt_a');
    expect(afterDecision(false, 'ckpt_a')).toBe(
      'not deploying ckpt_a: the pipeline ends rejected and stops what it started',
    );
  });

  it('pin: refused for no job (a starting pipeline waits for its create instead), a deleted id, an id not in a full listing, and a malformed id; a pinned one is taken again', () => {
    const facts = { phase: 'training', jobId: 'job_1', pinned: ['ckpt_p'], deleted: new Set(['ckpt_d']) };
    expect(pinRefusal({ ...facts, jobId: undefined, phase: 'failed' }, 'ckpt_x')).toMatch(/no training job/);
    // Starting: the job's create may be answering; the update's handler waits for the id.
    expect(pinRefusal({ ...facts, jobId: undefined, phase: 'starting' }, 'ckpt_x')).toBeUndefined();
    expect(pinRefusal({ ...facts, jobId: undefined, phase: 'training' }, 'ckpt_x')).toBeUndefined();
    expect(pinRefusal(facts, 'ckpt_d')).toBe("checkpoint ckpt_d was deleted by this pipeline's cleanup");
    expect(pinRefusal(facts, 'ckpt_x')).toBeUndefined(); // no listing yet: the provider decides
    expect(pinRefusal({ ...facts, listed: new Set(['ckpt_a', 'ckpt_p']) }, 'ckpt_x')).toBe(
      'checkpoint ckpt_x is not one of the 2 checkpoints of job job_1',
    );
    expect(pinRefusal({ ...facts, listed: new Set(['ckpt_a']) }, 'ckpt_a')).toBeUndefined();
    expect(pinRefusal({ ...facts, listed: new Set() }, 'ckpt_p')).toBeUndefined(); // already pinned
    for (const bad of ['', ' ', '../x', 'a b', 'x'.repeat(129)])
      expect(pinRefusal(facts, bad)).toMatch(/not a checkpoint id/);
    expect(pinRefusal(facts, 'x'.repeat(128))).toBeUndefined();
  });

  it('unpin only what is pinned; cancel refused once ending', () => {
    expect(unpinRefusal(['ckpt_a'], 'ckpt_a')).toBeUndefined();
    expect(unpinRefusal([], 'ckpt_a')).toBe('checkpoint ckpt_a is not pinned in this pipeline');
    expect(unpinRefusal(['ckpt_p', 'ckpt_q'], 'ckpt_a')).toBe(
      'checkpoint ckpt_a is not pinned in this pipeline (pinned: ckpt_p, ckpt_q)',
    );
    expect(cancelRefusal('training', false)).toBeUndefined();
    expect(cancelRefusal('training', true)).toBe('already ending (phase: training, cancel requested)');
    for (const phase of ['completed', 'cancelled', 'failed'])
      expect(cancelRefusal(phase, false)).toBe(`already ending (phase: ${phase})`);
    // Ended after a cancel: the phase says it all, no "cancel requested" beside it.
    expect(cancelRefusal('cancelled', true)).toBe('already ending (phase: cancelled)');
  });

  it('a cancel answers what it stops or removes, by phase', () => {
    expect(cancelEffects({ phase: 'training', jobId: 'job_1' })).toEqual([
      'training job job_1 stops with a saved checkpoint',
      'nothing is deployed',
    ]);
    expect(cancelEffects({ phase: 'smoke-testing', deployment: { id: 'ep_1' } })).toContain(
      'deployment ep_1 is removed where the provider offers a delete route (its documents list none); otherwise it is left running and the result and status name it for removal by hand',
    );
    expect(cancelEffects({ phase: 'cleaning-up', deployment: { id: 'ep_1' } })).toContain(
      'deployment ep_1 passed its smoke test and keeps serving',
    );
    expect(cancelEffects({ phase: 'awaiting-approval', jobId: 'job_1' })[0]).toBe('the approval wait ends');
  });

  it.each([
    ['starting', {}, ['no training starts: a job already being created is stopped with a saved checkpoint']],
    ['training', {}, ['the training job stops with a saved checkpoint', 'nothing is deployed']],
    [
      'awaiting-approval',
      { jobId: 'job_1' },
      ['the approval wait ends', 'nothing is deployed; training job job_1 has already ended'],
    ],
    ['comparing', { jobId: 'job_1' }, ['nothing is deployed; training job job_1 has already ended']],
    ['gating', {}, ['nothing is deployed; the training job has already ended']],
    [
      'deploying',
      {},
      [
        'the deployment being created is removed where the provider offers a delete route (its documents list none); otherwise it is left running and the result and status name it for removal by hand',
        'checkpoints are kept',
      ],
    ],
    [
      'deploying',
      { deployment: { id: '0000-m1', target: 'tensormesh' } },
      [
        'deployment 0000-m1 is removed where the provider offers DELETE /v1/models/:modelId (its documents list none); otherwise it is left running and the result and status name it for removal by hand',
        'checkpoints are kept',
      ],
    ],
    [
      'probing',
      { deployment: { id: 'ep_1', target: 'tensorone-endpoint' } },
      [
        'deployment ep_1 is removed where the provider offers DELETE /v2/endpoints/:endpointId (its documents list none); otherwise it is left running and the result and status name it for removal by hand',
        'checkpoints are kept',
      ],
    ],
    [
      'cleaning-up',
      { deployment: { id: 'ep_1' } },
      ['checkpoint cleanup stops', 'deployment ep_1 passed its smoke test and keeps serving'],
    ],
    ['completed', { jobId: 'job_1' }, []],
  ] as const)('a cancel in phase %s answers, word for word, what it does', (phase, facts, effects) => {
    expect(cancelEffects({ phase, ...facts })).toEqual(effects);
  });
});
