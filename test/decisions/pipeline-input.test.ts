import fc from 'fast-check';
import { InvalidPipelineInput, parsePipelineInput } from '../../src/domain/pipeline-input';
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
