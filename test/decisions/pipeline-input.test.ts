import fc from 'fast-check';
import { INPUT_LIMITS, InvalidPipelineInput, parsePipelineInput } from '../../src/domain/pipeline-input';
import fs from 'node:fs';
import path from 'node:path';
import { loadPipelineFile } from '../../src/cli/pipeline-file';
import { pipelineInput } from '../fixtures/pipelines';

const fieldsOf = (input: unknown): string[] => {
  try {
    parsePipelineInput(input);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPipelineInput);
    return (err as InvalidPipelineInput).issues.map((i) => i.field);
  }
};

describe('pipeline input validation', () => {
  it('accepts the test pipeline and fills defaults', () => {
    const spec = parsePipelineInput({
      name: 'ok',
      train: { kind: 'tensorone-existing', jobId: 'job_1' },
      deploy: { target: 'tensorone-endpoint' },
    });
    expect(spec.supervision.freshness).toBe('5m');
    expect(spec.cleanup.retention.keepLastN).toBe(3);
    expect(spec.selection).toEqual({
      metric: 'validationLoss',
      direction: 'minimize',
      tieBreak: 'earliest-epoch',
    });
  });

  it.each([
    [{ name: 'Bad Name' }, 'name'],
    [{ train: { kind: 'tensorone', modelType: 'llm', datasetId: 'x', config: {} } }, 'train.datasetId'],
    [{ train: { kind: 'tensorone', modelType: 'robot', datasetId: 'ds_a', config: {} } }, 'train.modelType'],
    [
      { train: { kind: 'tensorone', modelType: 'llm', datasetId: 'ds_a', config: {}, gpuTypes: [] } },
      'train.gpuTypes',
    ],
    [{ train: { kind: 'sagemaker' } }, 'train.kind'],
    [{ supervision: { freshness: 'soon' } }, 'supervision.freshness'],
    [{ supervision: { resumeBudget: -1 } }, 'supervision.resumeBudget'],
    [{ selection: { metric: 'validation loss' } }, 'selection.metric'],
    [{ gate: { approval: { timeout: '1 day' } } }, 'gate.approval.timeout'],
    [{ deploy: { target: 'tensormesh', userId: 'not-a-uuid' } }, 'deploy.userId'],
    [
      {
        deploy: {
          target: 'tensormesh',
          userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
          gpuType: 'GPU_TYPE_TPU',
        },
      },
      'deploy.gpuType',
    ],
    [{ deploy: { target: 'ftp' } }, 'deploy.target'],
    [{ cleanup: { retention: { keepLastN: -2 } } }, 'cleanup.retention.keepLastN'],
    [{ budget: { maxCost: 0 } }, 'budget.maxCost'],
    [{ apiKey: 'sk-123' }, '(root)'],
    [{ train: { kind: 'marqtune', modelId: 'm' } }, 'deploy.target'],
    [{ name: '' }, 'name'],
    [{ name: '-starts-with-dash' }, 'name'],
    [{ name: 'x'.repeat(64) }, 'name'],
    [{ train: { kind: 'tensorone', modelType: 'llm', datasetId: 'ds_a', config: 'lora' } }, 'train.config'],
    [
      { train: { kind: 'tensorone', modelType: 'llm', datasetId: 'ds_a', config: {}, maxWorkers: 33 } },
      'train.maxWorkers',
    ],
    [
      { train: { kind: 'tensorone', modelType: 'llm', datasetId: 'ds_a', config: {}, priority: 'urgent' } },
      'train.priority',
    ],
    [{ train: { kind: 'tensorone-existing' } }, 'train.jobId'],
    [{ train: { kind: 'tensorone-existing', jobId: 'job_1/../../admin' } }, 'train.jobId'],
    [{ train: { kind: 'tensorone-existing', jobId: 'job 1' } }, 'train.jobId'],
    [{ train: { kind: 'tensorone-existing', jobId: `job_${'a'.repeat(125)}` } }, 'train.jobId'],
    [
      {
        train: { kind: 'marqtune', modelId: '' },
        deploy: { target: 'tensormesh', userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f' },
      },
      'train.modelId',
    ],
    [{ supervision: { stallAfter: '-5m' } }, 'supervision.stallAfter'],
    [{ supervision: { resumeBudget: 1.5 } }, 'supervision.resumeBudget'],
    [{ selection: { direction: 'up' } }, 'selection.direction'],
    [{ selection: { tieBreak: 'random' } }, 'selection.tieBreak'],
    [{ gate: { threshold: 'low' } }, 'gate.threshold'],
    [{ gate: { minImprovement: -0.1 } }, 'gate.minImprovement'],
    [{ gate: { approval: { onTimeout: 'escalate' } } }, 'gate.approval.onTimeout'],
    [{ deploy: { target: 'tensorone-endpoint', workerCount: 0 } }, 'deploy.workerCount'],
    [{ deploy: { target: 'tensorone-endpoint', gpuIds: [] } }, 'deploy.gpuIds'],
    [{ deploy: { target: 'tensorone-registry', versionOf: { modelId: 'm' } } }, 'deploy.versionOf.version'],
    [{ deploy: { target: 'tensorone-endpoint', timeout: 'forever' } }, 'deploy.timeout'],
    [{ cleanup: { maxDeletes: 0 } }, 'cleanup.maxDeletes'],
    [{ cleanup: { retention: { keepWithinDays: -1 } } }, 'cleanup.retention.keepWithinDays'],
    [{ budget: { maxCost: 'cheap' } }, 'budget.maxCost'],
  ])('names the bad field: %j → %s', (over, field) => {
    expect(fieldsOf({ ...pipelineInput('t'), ...over })).toContain(field);
  });

  it.each(['threshold', 'servingModelId'] as const)(
    'refuses gate.%s with a Marqtune train: its checkpoints carry no metric, so the gate could only reject',
    (field) => {
      const input = {
        ...pipelineInput('mq'),
        train: { kind: 'marqtune', modelId: 'mq_1' },
        deploy: { target: 'tensormesh', userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f' },
        gate: { [field]: field === 'threshold' ? 1 : 'model_x', approval: { required: true } },
      };
      expect(fieldsOf(input)).toEqual([`gate.${field}`]);
      // An approval gate alone is fine.
      expect(fieldsOf({ ...input, gate: { approval: { required: true } } })).toEqual([]);
    },
  );

  it('every example pipeline validates, one per deploy target', () => {
    const dir = path.join(__dirname, '../../examples');
    const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
    const targets = files.map((f) => loadPipelineFile(path.join(dir, f)).deploy.target);
    expect(new Set(targets)).toEqual(new Set(['tensorone-endpoint', 'tensorone-registry', 'tensormesh']));
    expect(files).toEqual(expect.arrayContaining(['pipeline-registry.yaml', 'pipeline-tensormesh.yaml']));
  });

  const supervision = (over: Record<string, string>) => ({
    supervision: { ...pipelineInput('t').supervision, ...over },
  });
  const approval = (timeout: string) => ({ gate: { approval: { timeout } } });
  const endpoint = (timeout: string) => ({ deploy: { target: 'tensorone-endpoint', timeout } });
  it.each([
    // Each field's minimum and maximum from DURATION_BOUNDS: just past it is refused, at it accepted.
    [
      'supervision.freshness',
      supervision({ freshness: '999ms', minInterval: '100ms' }),
      supervision({ freshness: '1s', minInterval: '1s' }),
    ],
    ['supervision.freshness', supervision({ freshness: '25h' }), supervision({ freshness: '24h' })],
    ['supervision.minInterval', supervision({ minInterval: '99ms' }), supervision({ minInterval: '100ms' })],
    ['supervision.minInterval', supervision({ minInterval: '0s' }), supervision({ minInterval: '0.1s' })],
    [
      'supervision.minInterval',
      supervision({ freshness: '1m', minInterval: '61s' }),
      supervision({ freshness: '1m', minInterval: '60s' }),
    ],
    ['supervision.stallAfter', supervision({ stallAfter: '9s' }), supervision({ stallAfter: '10s' })],
    ['supervision.stallAfter', supervision({ stallAfter: '8d' }), supervision({ stallAfter: '7d' })],
    [
      'supervision.unknownStatusGrace',
      supervision({ unknownStatusGrace: '0s' }),
      supervision({ unknownStatusGrace: '10s' }),
    ],
    ['supervision.reportEvery', supervision({ reportEvery: '0s' }), supervision({ reportEvery: '10s' })],
    ['supervision.reportEvery', supervision({ reportEvery: '30d' }), supervision({ reportEvery: '168h' })],
    ['gate.approval.timeout', approval('100000000d'), approval('30d')],
    ['gate.approval.timeout', approval('31d'), approval('720h')],
    ['gate.approval.timeout', approval('0s'), approval('1m')],
    ['gate.approval.timeout', approval('59s'), approval('60s')],
    ['deploy.timeout', endpoint('0s'), endpoint('30s')],
    ['deploy.timeout', endpoint('1441m'), endpoint('1440m')],
    ['deploy.timeout', endpoint('99999999999999999999999d'), endpoint('1d')],
  ])('bounds %s: %j refused, %j accepted', (field, bad, good) => {
    expect(fieldsOf({ ...pipelineInput('t'), ...bad })).toEqual([field]);
    expect(fieldsOf({ ...pipelineInput('t'), ...good })).toEqual([]);
  });

  it('takes provider ids of up to 128 characters as the documents show them', () => {
    for (const jobId of [
      `job_${'a'.repeat(124)}`,
      'job_1234567890abcdef',
      '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
    ])
      expect(fieldsOf({ ...pipelineInput('t'), train: { kind: 'tensorone-existing', jobId } })).toEqual([]);
  });

  it('says the bounds in the refusal, next to the value given', () => {
    expect(() => parsePipelineInput({ ...pipelineInput('t'), ...approval('100000000d') })).toThrow(
      'gate.approval.timeout: must be between 1m and 30d, got "100000000d"',
    );
  });

  const withConfig = (config: Record<string, unknown>) => ({
    ...pipelineInput('t'),
    train: { kind: 'tensorone', modelType: 'llm', datasetId: 'ds_a', config },
  });
  /** A config whose JSON is exactly `bytes` long: {"x":"aaa…"}. */
  const configOf = (bytes: number) => ({ x: 'a'.repeat(bytes - '{"x":""}'.length) });

  it('takes a train.config of up to 64 KiB as JSON and refuses one byte more, naming the field', () => {
    expect(JSON.stringify(configOf(INPUT_LIMITS.configBytes)).length).toBe(64 * 1024);
    expect(fieldsOf(withConfig(configOf(INPUT_LIMITS.configBytes)))).toEqual([]);
    expect(fieldsOf(withConfig(configOf(INPUT_LIMITS.configBytes + 1)))).toEqual(['train.config']);
    // Bytes, not characters: 22,000 three-byte characters are 66,000 bytes.
    expect(fieldsOf(withConfig({ note: '€'.repeat(22_000) }))).toEqual(['train.config']);
    expect(() => parsePipelineInput(withConfig(configOf(1_500_000)))).toThrow(
      /train\.config: is 1465 KiB as JSON, more than the 64 KiB allowed/,
    );
  });

  it('refuses a whole input over 256 KiB as JSON, even when each part is within its own limit', () => {
    const input = {
      ...pipelineInput('t'),
      deploy: {
        target: 'tensorone-endpoint',
        smokeTest: { input: { prompt: 'p'.repeat(INPUT_LIMITS.inputBytes) } },
      },
    };
    expect(fieldsOf(input)).toEqual(['(root)']);
  });

  it('refuses text UTF-8 cannot encode (a lone surrogate), naming where it is', () => {
    expect(fieldsOf(withConfig({ baseModel: 'llama\ud800' }))).toEqual(['train.config.baseModel']);
    expect(fieldsOf(withConfig({ ['\udc00key']: 1 }))).toEqual(['train.config.\udc00key']);
    expect(fieldsOf(withConfig({ baseModel: 'llama 🦙' }))).toEqual([]);
  });

  it('replays a pipeline started before the bounds existed as it was accepted (unbounded)', () => {
    const old = { ...pipelineInput('t'), ...supervision({ freshness: '0s', minInterval: '0s' }) };
    expect(fieldsOf(old)).toContain('supervision.freshness');
    expect(parsePipelineInput(old, undefined, { unbounded: true }).supervision.freshness).toBe('0s');
    // The schema's own rules still hold there.
    expect(() => parsePipelineInput({ ...old, name: 'Bad' }, undefined, { unbounded: true })).toThrow(
      InvalidPipelineInput,
    );
  });

  it('refuses secrets in the input: unknown keys are errors, not ignored', () => {
    const input = {
      ...pipelineInput('t'),
      deploy: { target: 'tensormesh', userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', hfToken: 'hf_x' },
    };
    expect(fieldsOf(input)).toContain('deploy');
  });

  it('never throws anything but InvalidPipelineInput, whatever it is given (property)', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        try {
          parsePipelineInput(value);
        } catch (err) {
          return (
            err instanceof InvalidPipelineInput &&
            err.issues.length > 0 &&
            err.issues.every((i) => i.field.length > 0)
          );
        }
        return true;
      }),
    );
  });
});
