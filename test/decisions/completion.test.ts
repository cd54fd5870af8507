import { lookedAtJob } from '../fixtures/watch';
import type { TrainingJob } from '../../src/domain/types';
import { completionDoubt, deployDoubt, finalCheckpointListed } from '../../src/decisions/completion';
import { mayBeTraining, nextSupervisionStep, type SupervisionView } from '../../src/decisions/supervision';

/** A TensorOne "completed" with these progress figures. */
const completed = (progress: TrainingJob['progress']) =>
  lookedAtJob({ status: 'completed', rawStatus: 'completed', progress });

describe('when a "completed" can be believed', () => {
  it('steps equal to the total: believed; one step short: doubted, saying where it stopped', () => {
    expect(completionDoubt(completed({ currentStep: 10_000, totalSteps: 10_000 }))).toBeUndefined();
    expect(completionDoubt(completed({ currentStep: 9_999, totalSteps: 10_000 }))).toBe(
      'answered "completed" at step 9999 of 10000',
    );
    // Past the total (a provider that counts the last step twice): nothing short.
    expect(completionDoubt(completed({ currentStep: 10_001, totalSteps: 10_000 }))).toBeUndefined();
  });

  it('epochs count too (Marqtune has no steps: checkpoints made against the epochs asked for)', () => {
    expect(
      completionDoubt(completed({ currentStep: 2000, totalSteps: 10_000, currentEpoch: 4, totalEpochs: 20 })),
    ).toBe('answered "completed" at step 2000 of 10000, epoch 4 of 20');
    expect(completionDoubt(completed({ currentEpoch: 19, totalEpochs: 20 }))).toBe(
      'answered "completed" at epoch 19 of 20',
    );
    expect(completionDoubt(completed({ currentEpoch: 20, totalEpochs: 20 }))).toBeUndefined();
    // Steps at the total but epochs short: still short.
    expect(
      completionDoubt(
        completed({ currentStep: 10_000, totalSteps: 10_000, currentEpoch: 19, totalEpochs: 20 }),
      ),
    ).toBe('answered "completed" at epoch 19 of 20');
  });

  it('a counter whose total or current figure is missing, NaN or not positive tells nothing', () => {
    expect(completionDoubt(completed({}))).toBeUndefined();
    expect(completionDoubt(completed({ currentStep: 5 }))).toBeUndefined();
    expect(completionDoubt(completed({ totalSteps: 10_000 }))).toBeUndefined();
    expect(completionDoubt(completed({ currentStep: NaN, totalSteps: 10_000 }))).toBeUndefined();
    expect(completionDoubt(completed({ currentStep: 5, totalSteps: NaN }))).toBeUndefined();
    expect(completionDoubt(completed({ currentStep: 0, totalSteps: 0 }))).toBeUndefined();
    expect(completionDoubt(completed({ currentEpoch: 3, totalEpochs: Infinity }))).toBeUndefined();
  });

  it('a final checkpoint known to be missing makes it doubtful; one listed, or not looked for, does not', () => {
    const full = completed({ currentStep: 10_000, totalSteps: 10_000 });
    expect(completionDoubt(full, { finalCheckpoint: false })).toBe(
      'answered "completed" without a final checkpoint',
    );
    expect(completionDoubt(full, { finalCheckpoint: true })).toBeUndefined();
    expect(completionDoubt(full, {})).toBeUndefined();
    // A final checkpoint does not make a short count believable.
    expect(completionDoubt(completed({ currentStep: 1, totalSteps: 2 }), { finalCheckpoint: true })).toBe(
      'answered "completed" at step 1 of 2',
    );
  });

  it('only "completed" is judged', () => {
    for (const status of ['running', 'stopped', 'failed', 'cancelled', 'queued', 'unknown'] as const)
      expect(
        completionDoubt(lookedAtJob({ status, progress: { currentStep: 1, totalSteps: 2 } }), {
          finalCheckpoint: false,
        }),
      ).toBeUndefined();
  });
});

describe('whether a listing tells that the job has a final checkpoint', () => {
  it('listed: yes; not among every checkpoint: no; not among a part of them: cannot tell', () => {
    const c = (type: string) => ({ type });
    expect(finalCheckpointListed({ checkpoints: [c('automatic'), c('final')], totalCount: 40 })).toBe(true);
    expect(finalCheckpointListed({ checkpoints: [c('automatic'), c('best')], totalCount: 2 })).toBe(false);
    expect(finalCheckpointListed({ checkpoints: [], totalCount: 0 })).toBe(false);
    expect(finalCheckpointListed({ checkpoints: [c('automatic')], totalCount: 2 })).toBeUndefined();
    expect(finalCheckpointListed({ checkpoints: [c('automatic')], totalCount: NaN })).toBeUndefined();
  });
});

describe('whether the pipeline may deploy after its supervision ended', () => {
  it('never while the look right before says queued, pending, running or a status nobody documents', () => {
    for (const status of ['queued', 'pending', 'running', 'unknown'] as const)
      expect(
        deployDoubt(lookedAtJob({ status, rawStatus: status === 'unknown' ? 'WARMING' : status })),
      ).toMatch(/^training job j1 answers "\w+" right before the deploy: it may still be training$/);
  });

  it('a believable completion, or a job that ended otherwise (a budget stop), deploys', () => {
    expect(
      deployDoubt(completed({ currentStep: 10_000, totalSteps: 10_000 }), { finalCheckpoint: true }),
    ).toBeUndefined();
    expect(deployDoubt(lookedAtJob({ status: 'stopped', progress: { currentStep: 1, totalSteps: 2 } }))).toBe(
      undefined,
    );
  });

  it('a doubtful completion names the job and why', () => {
    expect(deployDoubt(completed({ currentStep: 2000, totalSteps: 10_000 }))).toBe(
      'training job j1 answered "completed" at step 2000 of 10000',
    );
    expect(deployDoubt(completed({}), { finalCheckpoint: false })).toBe(
      'training job j1 answered "completed" without a final checkpoint',
    );
  });
});

describe('what a supervision does with a doubtful completion', () => {
  const MINUTE = 60_000;
  const view: SupervisionView = {
    jobId: 'j1',
    provider: 'tensorone',
    mayStop: true,
    resumes: 0,
    resumeBudget: 3,
    stall: { lastProgressAtMs: 0 },
    stallAfterMs: 60 * MINUTE,
    stallAfter: '1h',
    unknownGraceMs: 10 * MINUTE,
    unknownStatusGrace: '10m',
  };
  const doubted = {
    ...view,
    completionDoubt: 'answered "completed" at step 2000 of 10000',
    unknownSinceMs: 0,
  };
  const job = completed({ currentStep: 2000, totalSteps: 10_000 });

  it('looks again within the unknown-status grace, and gives up naming the job once it is used up', () => {
    expect(nextSupervisionStep(job, doubted, 10 * MINUTE - 1)).toEqual({ kind: 'look-again' });
    expect(nextSupervisionStep(job, doubted, 10 * MINUTE)).toEqual({
      kind: 'give-up',
      type: 'COMPLETION_DOUBTED',
      message:
        'training job j1 answered "completed" at step 2000 of 10000, and kept answering so for 10m: not believed, nothing deployed from it',
    });
  });

  it('a believed completion finishes, as before', () => {
    expect(nextSupervisionStep(job, view, 0)).toEqual({ kind: 'finish', outcome: 'completed' });
  });

  it('a job whose last "completed" was doubted may still be training: a supervision that fails stops it', () => {
    expect(mayBeTraining(false, 'completed', true)).toBe(true);
    expect(mayBeTraining(false, 'completed', false)).toBe(false);
    expect(mayBeTraining(true, 'completed', true)).toBe(false);
  });
});
