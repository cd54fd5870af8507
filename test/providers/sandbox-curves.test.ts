import {
  epochMetrics,
  hyperparameterShift,
  optimumHyperparameters,
  REFERENCE_HYPERPARAMETERS,
} from '../../sandbox/curves';

const bestLoss = (name: string, config: Record<string, unknown>, datasetId = 'ds_support_tickets') =>
  Math.min(
    ...[1, 2, 3, 4, 5, 6, 7, 8].map(
      (e) => epochMetrics(42, name, e, 8, { datasetId, config }).validationLoss,
    ),
  );

describe('sandbox curves and hyperparameters', () => {
  it('a config without learning rate or rank, or with the reference ones, trains the plain curve', () => {
    const plain = epochMetrics(42, 'p--r0123456789ab--train-a100', 3, 8);
    expect(epochMetrics(42, 'p--r0123456789ab--train-a100', 3, 8, { datasetId: 'ds_x', config: {} })).toEqual(
      plain,
    );
    const reference = {
      training: { learning_rate: REFERENCE_HYPERPARAMETERS.learningRate },
      parameters: { rank: REFERENCE_HYPERPARAMETERS.rank },
    };
    expect(
      epochMetrics(42, 'p--r0123456789ab--train-a100', 3, 8, { datasetId: 'ds_x', config: reference }),
    ).toEqual(plain);
    expect(hyperparameterShift(42, { datasetId: 'ds_x', config: reference })).toBe(0);
  });

  it("a dataset's optimum trains the lowest curve of a sweep's trials; further from it, higher", () => {
    const opt = optimumHyperparameters(42, 'ds_support_tickets');
    const config = (lr: number, rank: number) => ({ training: { learning_rate: lr }, parameters: { rank } });
    const at = bestLoss('s--trial-00-train-a100', config(opt.learningRate, opt.rank));
    const decadeOff = bestLoss('s--trial-01-train-a100', config(opt.learningRate * 10, opt.rank));
    const twoDecadesOff = bestLoss('s--trial-02-train-a100', config(opt.learningRate / 100, opt.rank));
    const rankOff = bestLoss('s--trial-03-train-a100', config(opt.learningRate, opt.rank * 4));
    expect(at).toBeLessThan(decadeOff);
    expect(decadeOff).toBeLessThan(twoDecadesOff);
    expect(at).toBeLessThan(rankOff);
  });

  it('trials of one sweep share the shape: the same hyperparameters differ only by noise', () => {
    const config = { training: { learning_rate: 1e-4 } };
    const a = bestLoss('s--r0123456789ab--trial-00-train-a100', config);
    const b = bestLoss('s--r0123456789ab--trial-07-train-a100', config);
    expect(Math.abs(a - b)).toBeLessThan(0.05);
  });

  it('the optimum is per dataset and seed, repeatable', () => {
    expect(optimumHyperparameters(42, 'ds_a')).toEqual(optimumHyperparameters(42, 'ds_a'));
    const lrs = new Set(
      ['ds_a', 'ds_b', 'ds_c', 'ds_d'].map((d) => optimumHyperparameters(42, d).learningRate),
    );
    expect(lrs.size).toBe(4);
  });
});
