import { parsePipelineInput, InvalidPipelineInput } from '../../src/domain/pipeline-input';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';

/** The refusal lines for a pipeline with this sweep (and config), or [] when it is accepted. */
function refusals(sweep: unknown, config?: Record<string, unknown>): string[] {
  try {
    parsePipelineInput(
      pipelineInput('s', { train: { ...tensoroneTrain(), ...(config ? { config } : {}), sweep } as never }),
    );
    return [];
  } catch (err) {
    if (!(err instanceof InvalidPipelineInput)) throw err;
    return err.issues.map((i) => `${i.field}: ${i.message}`);
  }
}

const grid = { 'training.learning_rate': [1e-4, 3e-4], 'parameters.rank': [8, 16] };

describe('train.sweep in the pipeline file', () => {
  it('a grid with halving is accepted, with defaults filled in', () => {
    expect(refusals({ parameters: grid, parallel: 2, halving: { rungs: [1, 2, 4], keep: 0.5 } })).toEqual([]);
    const spec = parsePipelineInput(
      pipelineInput('s', { train: { ...tensoroneTrain(), sweep: { parameters: grid } } }),
    );
    expect(spec.train.kind === 'tensorone' && spec.train.sweep).toMatchObject({
      strategy: 'grid',
      parallel: 1,
      seed: 1,
    });
  });

  it('a path that is not a train.config field is refused naming it, with a suggestion', () => {
    expect(refusals({ parameters: { 'training.learnig_rate': [1e-4] } })).toEqual([
      'train.sweep.parameters.training.learnig_rate: is not a train.config field: `learnig_rate` is not a known key; did you mean `learning_rate` or `learningRate`?',
    ]);
    expect(refusals({ parameters: { 'parameterz.rank': [8] } })[0]).toMatch(/did you mean `parameters`/);
  });

  it("a value the field does not take is refused with the field's own words", () => {
    expect(refusals({ parameters: { 'training.learning_rate': [1e-4, 1] } })).toEqual([
      'train.sweep.parameters.training.learning_rate: value 1 must be a number from 0.000001 to 0.1',
    ]);
    expect(
      refusals({
        parameters: { 'parameters.rank': { min: 4, max: 64, scale: 'log' } },
        strategy: 'random',
        trials: 4,
      }),
    ).toEqual([
      'train.sweep.parameters.parameters.rank: must be a whole number ≥ 1: add `integer: true` to draw whole numbers',
    ]);
    expect(
      refusals({
        parameters: { 'parameters.rank': { min: 4, max: 64, scale: 'log', integer: true } },
        strategy: 'random',
        trials: 4,
      }),
    ).toEqual([]);
  });

  it('rungs must increase and lie below the epochs trained; keep is a fraction; parallel at least 1', () => {
    expect(refusals({ parameters: grid, parallel: 0, halving: { rungs: [2, 2, 6], keep: 0 } })).toEqual([
      'train.sweep.parallel: must be a whole number from 1 to 64',
      'train.sweep.halving.keep: must be a fraction above 0 and at most 1, such as 0.5',
      'train.sweep.halving.rungs.1: must be above the rung before it (2): rungs increase',
      'train.sweep.halving.rungs.2: must be below the 6 epochs a trial trains (a rung at the end judges nothing)',
    ]);
    expect(refusals({ parameters: grid, halving: { rungs: [5], keep: 1 } })).toEqual([]);
    expect(
      refusals(
        { parameters: { 'parameters.rank': [8] }, halving: { rungs: [1], keep: 0.5 } },
        { strategy: 'lora' },
      ),
    ).toEqual([
      'train.config.training.epochs: is required with train.sweep.halving: the rungs are judged against the epochs trained',
    ]);
  });

  it('a grid takes lists and as many trials as combinations; random needs a trial count', () => {
    expect(refusals({ parameters: grid, trials: 3 })).toEqual([
      'train.sweep.trials: must be the number of combinations of the grid (4), or left out',
    ]);
    expect(
      refusals({ parameters: { 'training.learning_rate': { min: 1e-5, max: 1e-3, scale: 'log' } } }),
    ).toEqual([
      'train.sweep.parameters.training.learning_rate: is a range: a grid needs a list of values (or use strategy: random)',
    ]);
    expect(refusals({ parameters: grid, strategy: 'random' })).toEqual([
      'train.sweep.trials: is required for strategy: random (how many trials to draw)',
    ]);
    expect(
      refusals({
        parameters: { 'training.learning_rate': { min: 0, max: 1e-3, scale: 'log' } },
        strategy: 'random',
        trials: 2,
      }),
    ).toContain('train.sweep.parameters.training.learning_rate.min: must be above 0 on a log scale');
  });

  it('a value listed twice, an empty sweep, a negative budget and an unknown key are refused', () => {
    expect(refusals({ parameters: { 'parameters.rank': [8, 8] } })).toEqual([
      'train.sweep.parameters.parameters.rank: lists a value twice (the same trial would run twice)',
    ]);
    expect(refusals({ parameters: {}, maxCost: -1, extra: 1 })).toEqual([
      'train.sweep.parameters: must name at least one train.config path',
      'train.sweep.maxCost: must be an amount above 0',
      'train.sweep.extra: is not a known key here (known: `parameters`, `strategy`, `trials`, `seed`, `parallel`, `halving`, `maxCost`)',
    ]);
  });
});
