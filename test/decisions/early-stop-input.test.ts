import { earlyStopRule } from '../../src/decisions/early-stop';
import { InvalidPipelineInput, parsePipelineInput } from '../../src/domain/pipeline-input';

const pipeline = (train: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  name: 'early',
  train,
  deploy: { target: 'tensorone-endpoint' },
  ...over,
});
const existing = (earlyStop: unknown) => ({ kind: 'tensorone-existing', jobId: 'job_1', earlyStop });

function refusal(input: unknown): string[] {
  try {
    parsePipelineInput(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPipelineInput);
    return (err as InvalidPipelineInput).issues.map((i) => `${i.field}: ${i.message}`);
  }
  throw new Error('accepted');
}

describe('train.earlyStop in the pipeline file', () => {
  it('defaults its metric and direction to the selection', () => {
    const spec = parsePipelineInput(
      pipeline(existing({ patience: 3, minDelta: 0.01 }), {
        selection: { metric: 'validationAccuracy', direction: 'maximize' },
      }),
    );
    expect(spec.train.earlyStop).toEqual({ patience: 3, minDelta: 0.01 });
    expect(earlyStopRule(spec.train.earlyStop!, spec.selection)).toEqual({
      patience: 3,
      minDelta: 0.01,
      metric: 'validationAccuracy',
      direction: 'maximize',
      minEpochs: 0,
    });
  });

  it('an own metric and minEpochs are kept', () => {
    const spec = parsePipelineInput(
      pipeline(existing({ patience: 2, minDelta: 0, metric: 'loss', minEpochs: 4 })),
    );
    expect(earlyStopRule(spec.train.earlyStop!, spec.selection)).toMatchObject({
      metric: 'loss',
      direction: 'minimize',
      minEpochs: 4,
    });
  });

  it('bad values are refused naming the field', () => {
    expect(refusal(pipeline(existing({ patience: 0, minDelta: 0.01 })))).toEqual([
      'train.earlyStop.patience: must be a whole number of checkpoints from 1 to 100',
    ]);
    expect(refusal(pipeline(existing({ patience: 2.5, minDelta: -1 })))).toEqual([
      'train.earlyStop.patience: must be a whole number of checkpoints from 1 to 100',
      'train.earlyStop.minDelta: must be a number ≥ 0',
    ]);
    expect(refusal(pipeline(existing({ patience: 2, minDelta: 0.1, metric: 'validation_loss' })))).toEqual([
      'train.earlyStop.metric: must be a camelCase metric name such as "validationLoss"',
    ]);
    expect(refusal(pipeline(existing({ minDelta: 0.1 })))).toEqual(['train.earlyStop.patience: is required']);
  });

  it('a misspelt key gets a did-you-mean', () => {
    expect(refusal(pipeline(existing({ patience: 2, minDelta: 0.1, minEpoch: 3 })))).toEqual([
      'train.earlyStop.minEpoch: is not a known key; did you mean `minEpochs`?',
    ]);
    expect(refusal(pipeline(existing({ patience: 2, mindelta: 0.1 })))).toEqual([
      'train.earlyStop.mindelta: is not a known key; did you mean `minDelta`?',
    ]);
  });

  it('a Marqtune model cannot be stopped early: refused naming the field', () => {
    const refused = refusal(
      pipeline(
        { kind: 'marqtune', modelId: 'model_1', earlyStop: { patience: 2, minDelta: 0.1 } },
        { deploy: { target: 'tensormesh', userId: '0b6f3a2e-3c1e-4d2a-9a59-2f0c7d1e8b11' } },
      ),
    );
    expect(refused).toEqual([
      'train.earlyStop: Marqtune cannot stop a model and reports no checkpoint metric: early stopping needs a TensorOne job',
    ]);
  });
});
