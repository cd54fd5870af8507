import { earlyStopFromFlags } from '../../src/cli/early-stop-flags';
import { InvalidPipelineInput } from '../../src/domain/pipeline-input';

function refusal(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPipelineInput);
    return (err as InvalidPipelineInput).issues.map((i) => `${i.field}: ${i.message}`);
  }
  throw new Error('accepted');
}

describe('starter supervise --early-stop-*', () => {
  it('no early-stop flag: no early stop', () => {
    expect(earlyStopFromFlags({}, true)).toBeUndefined();
    expect(earlyStopFromFlags({ maximize: true }, false)).toBeUndefined();
  });

  it('with --may-stop: the rule, validationLoss and lower-is-better unless told', () => {
    expect(earlyStopFromFlags({ earlyStopPatience: '3', earlyStopMinDelta: '0.01' }, true)).toEqual({
      patience: 3,
      minDelta: 0.01,
      metric: 'validationLoss',
      direction: 'minimize',
      minEpochs: 0,
    });
    expect(
      earlyStopFromFlags(
        { earlyStopPatience: '2', earlyStopMetric: 'accuracy', earlyStopMinEpochs: '5', maximize: true },
        true,
      ),
    ).toEqual({ patience: 2, minDelta: 0, metric: 'accuracy', direction: 'maximize', minEpochs: 5 });
  });

  it('without --may-stop it is refused naming --may-stop: a watcher never stops the job', () => {
    expect(refusal(() => earlyStopFromFlags({ earlyStopPatience: '3' }, false))).toEqual([
      '--may-stop: is needed to stop early: a supervision that does not own its job never stops it',
    ]);
  });

  it('bad values are refused naming the flag', () => {
    expect(refusal(() => earlyStopFromFlags({ earlyStopPatience: 'three' }, true))).toEqual([
      '--early-stop-patience: must be a number, got "three"',
    ]);
    expect(
      refusal(() => earlyStopFromFlags({ earlyStopPatience: '0', earlyStopMinDelta: '-1' }, true)),
    ).toEqual([
      '--early-stop-patience: must be a whole number of checkpoints from 1 to 100',
      '--early-stop-min-delta: must be a number ≥ 0',
    ]);
    expect(refusal(() => earlyStopFromFlags({ earlyStopMinDelta: '0.1' }, true))).toEqual([
      '--early-stop-patience: is required to stop early',
    ]);
    expect(refusal(() => earlyStopFromFlags({ earlyStopPatience: '2' }, true, 'marqtune'))).toEqual([
      '--provider: marqtune cannot stop a model and reports no checkpoint metric: early stopping needs a TensorOne job',
    ]);
  });
});
