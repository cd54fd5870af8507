import fc from 'fast-check';
import {
  INPUT_LIMITS,
  InvalidPipelineInput,
  parsePipelineInput,
  pipelineInputSchema,
  pipelineWorkflowId,
} from '../../src/domain/pipeline-input';
import fs from 'node:fs';
import path from 'node:path';
import { loadPipelineFile } from '../../src/cli/pipeline-file';
import { closeKeys, editDistance } from '../../src/domain/did-you-mean';
import { pipelineInput } from '../../fixtures/pipelines';

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

  const MESH_USER = '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f';
  const minimal = (deploy: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
    name: 'd',
    train: { kind: 'tensorone', modelType: 'llm', datasetId: 'ds_a', config: {} },
    deploy,
    ...over,
  });
  const DEFAULT_SECTIONS = {
    supervision: {
      freshness: '5m',
      minInterval: '30s',
      stallAfter: '30m',
      resumeBudget: 2,
      unknownStatusGrace: '30m',
      reportEvery: '30m',
    },
    selection: { metric: 'validationLoss', direction: 'minimize', tieBreak: 'earliest-epoch' },
    gate: {},
    cleanup: { enabled: true, retention: { keepLastN: 3, includeManual: false }, maxDeletes: 1000 },
  };
  const DEFAULT_TRAIN = {
    kind: 'tensorone',
    modelType: 'llm',
    datasetId: 'ds_a',
    config: {},
    gpuTypes: ['a100'],
    maxWorkers: 1,
    priority: 'normal',
    tags: [],
  };

  it.each([
    [
      { target: 'tensorone-endpoint' },
      {
        target: 'tensorone-endpoint',
        gpuIds: ['a100'],
        workerCount: 1,
        smokeTest: { input: { prompt: 'Hello' } },
        timeout: '30m',
        retireAfter: '10m',
      },
    ],
    [
      { target: 'tensorone-registry' },
      {
        target: 'tensorone-registry',
        environment: 'production',
        gpuType: 'a100',
        workers: 1,
        smokeTest: { input: { prompt: 'Hello' } },
        timeout: '30m',
        retireAfter: '10m',
      },
    ],
    [
      { target: 'tensormesh', userId: MESH_USER },
      {
        target: 'tensormesh',
        userId: MESH_USER,
        gpuType: 'GPU_TYPE_A100',
        gpuCount: 1,
        smokePrompt: 'Hello',
        timeout: '30m',
        retireAfter: '10m',
      },
    ],
  ])('a file naming only name, train and deploy %j runs with the documented defaults', (deploy, filled) => {
    expect(parsePipelineInput(minimal(deploy))).toEqual({
      name: 'd',
      train: DEFAULT_TRAIN,
      ...DEFAULT_SECTIONS,
      deploy: filled,
    });
  });

  it('an empty section gets the same defaults as a missing one; an empty approval waits 24h, then rejects', () => {
    const spec = parsePipelineInput(
      minimal(
        { target: 'tensorone-endpoint', smokeTest: {} },
        {
          supervision: {},
          selection: {},
          gate: { approval: {} },
          cleanup: { retention: {} },
        },
      ),
    );
    expect(spec.supervision).toEqual(DEFAULT_SECTIONS.supervision);
    expect(spec.selection).toEqual(DEFAULT_SECTIONS.selection);
    expect(spec.gate).toEqual({ approval: { required: true, timeout: '24h', onTimeout: 'reject' } });
    expect(spec.cleanup).toEqual(DEFAULT_SECTIONS.cleanup);
    expect(spec.deploy).toMatchObject({ smokeTest: { input: { prompt: 'Hello' } } });
    expect(parsePipelineInput(minimal({ target: 'tensorone-endpoint' }, { cleanup: {} })).cleanup).toEqual(
      DEFAULT_SECTIONS.cleanup,
    );
  });

  const tensorone = (over: Record<string, unknown>) => ({
    train: { kind: 'tensorone', modelType: 'llm', datasetId: 'ds_a', config: {}, ...over },
  });
  it.each([
    // [field, the largest or smallest value accepted, the first refused]
    ['supervision.resumeBudget', { supervision: { resumeBudget: 0 } }, { supervision: { resumeBudget: -1 } }],
    [
      'supervision.resumeBudget',
      { supervision: { resumeBudget: 20 } },
      { supervision: { resumeBudget: 21 } },
    ],
    ['train.maxWorkers', tensorone({ maxWorkers: 1 }), tensorone({ maxWorkers: 0 })],
    ['train.maxWorkers', tensorone({ maxWorkers: 32 }), tensorone({ maxWorkers: 33 })],
    [
      'train.description',
      tensorone({ description: 'd'.repeat(500) }),
      tensorone({ description: 'd'.repeat(501) }),
    ],
    ['train.gpuTypes.0', tensorone({ gpuTypes: ['h100'] }), tensorone({ gpuTypes: [''] })],
    ['train.datasetId', tensorone({ datasetId: 'ds_A_9' }), tensorone({ datasetId: 'ds_a-b' })],
    ['train.datasetId', tensorone({ datasetId: 'ds_a' }), tensorone({ datasetId: 'xds_a' })],
    [
      'train.jobId',
      { train: { kind: 'tensorone-existing', jobId: 'j' } },
      { train: { kind: 'tensorone-existing', jobId: '_j' } },
    ],
    [
      'train.jobId',
      { train: { kind: 'tensorone-existing', jobId: 'a:b.c-d_e' } },
      { train: { kind: 'tensorone-existing', jobId: 'a:b.c-d_e\n' } },
    ],
    ['selection.metric', { selection: { metric: 'f1' } }, { selection: { metric: '1f' } }],
    ['selection.metric', { selection: { metric: 'evalLoss2' } }, { selection: { metric: 'eval_loss' } }],
    ['gate.threshold', { gate: { threshold: -1e300 } }, { gate: { threshold: Number.POSITIVE_INFINITY } }],
    ['gate.minImprovement', { gate: { minImprovement: 0 } }, { gate: { minImprovement: -0.001 } }],
    ['gate.servingModelId', { gate: { servingModelId: 'm' } }, { gate: { servingModelId: '' } }],
    [
      'deploy.workerCount',
      { deploy: { target: 'tensorone-endpoint', workerCount: 100 } },
      { deploy: { target: 'tensorone-endpoint', workerCount: 101 } },
    ],
    [
      'deploy.workers',
      { deploy: { target: 'tensorone-registry', workers: 100 } },
      { deploy: { target: 'tensorone-registry', workers: 101 } },
    ],
    [
      'deploy.workers',
      { deploy: { target: 'tensorone-registry', workers: 1 } },
      { deploy: { target: 'tensorone-registry', workers: 0 } },
    ],
    [
      'deploy.gpuCount',
      { deploy: { target: 'tensormesh', userId: MESH_USER, gpuCount: 64 } },
      { deploy: { target: 'tensormesh', userId: MESH_USER, gpuCount: 65 } },
    ],
    [
      'deploy.gpuCount',
      { deploy: { target: 'tensormesh', userId: MESH_USER, gpuCount: 1 } },
      { deploy: { target: 'tensormesh', userId: MESH_USER, gpuCount: 0 } },
    ],
    [
      'deploy.modelPath',
      { deploy: { target: 'tensormesh', userId: MESH_USER, modelPath: 'm' } },
      { deploy: { target: 'tensormesh', userId: MESH_USER, modelPath: '' } },
    ],
    [
      'deploy.versionOf.modelId',
      { deploy: { target: 'tensorone-registry', versionOf: { modelId: 'm', version: '2' } } },
      { deploy: { target: 'tensorone-registry', versionOf: { modelId: '', version: '2' } } },
    ],
    [
      'deploy.versionOf.version',
      { deploy: { target: 'tensorone-registry', versionOf: { modelId: 'm', version: '2' } } },
      { deploy: { target: 'tensorone-registry', versionOf: { modelId: 'm', version: '' } } },
    ],
    [
      'cleanup.retention.keepLastN',
      { cleanup: { retention: { keepLastN: 0 } } },
      { cleanup: { retention: { keepLastN: 1.5 } } },
    ],
    [
      'cleanup.retention.keepWithinDays',
      { cleanup: { retention: { keepWithinDays: 0 } } },
      { cleanup: { retention: { keepWithinDays: -0.5 } } },
    ],
    [
      'cleanup.retention.maxTotalBytes',
      { cleanup: { retention: { maxTotalBytes: 0 } } },
      { cleanup: { retention: { maxTotalBytes: -1 } } },
    ],
    [
      'cleanup.retention.maxTotalBytes',
      { cleanup: { retention: { maxTotalBytes: 1024 } } },
      { cleanup: { retention: { maxTotalBytes: 1.5 } } },
    ],
    ['cleanup.maxDeletes', { cleanup: { maxDeletes: 1 } }, { cleanup: { maxDeletes: 0 } }],
    ['cleanup.maxDeletes', { cleanup: { maxDeletes: 100_000 } }, { cleanup: { maxDeletes: 100_001 } }],
    ['cleanup.maxDeletes', { cleanup: { maxDeletes: 100_000 } }, { cleanup: { maxDeletes: 2.5 } }],
    ['budget.maxCost', { budget: { maxCost: 0.01 } }, { budget: { maxCost: -5 } }],
    ['name', { name: `a${'-'.repeat(62)}` }, { name: `a${'-'.repeat(63)}` }],
    ['name', { name: '0' }, { name: 'a_b' }],
  ])('%s: %j accepted, %j refused', (field, good, bad) => {
    expect(fieldsOf({ ...pipelineInput('t'), ...good })).toEqual([]);
    expect(fieldsOf({ ...pipelineInput('t'), ...bad })).toEqual([field]);
  });

  it('deploy.probe: refused field by field before anything starts; TensorMesh has no runsync to probe through', () => {
    const messages = (probe: unknown, target = 'tensorone-endpoint') => {
      try {
        parsePipelineInput({
          ...pipelineInput('t'),
          deploy: { target, probe, ...(target === 'tensormesh' ? { userId: MESH_USER } : {}) },
        });
        return [];
      } catch (err) {
        return (err as InvalidPipelineInput).issues.map((i) => `${i.field}: ${i.message}`);
      }
    };
    const inputs = [{ prompt: 'a' }];
    expect(messages({ inputs })).toEqual([]);
    expect(messages({ inputs: [] })).toEqual(['deploy.probe.inputs: must hold at least one sample input']);
    expect(messages({ inputs: Array.from({ length: 51 }, () => ({})) })).toEqual([
      'deploy.probe.inputs: must hold at most 50 sample inputs',
    ]);
    expect(messages({ inputs, maxErrorRate: 5 })).toEqual([
      'deploy.probe.maxErrorRate: must be a share from 0 to 1 (0.05 is 5 %)',
    ]);
    expect(messages({ inputs, maxErrorRate: 1 })).toEqual([]);
    expect(messages({ inputs, maxP95: 'fast' })).toEqual([
      'deploy.probe.maxP95: must be a duration such as "500ms" or "2s"',
    ]);
    expect(messages({ inputs, maxP95: '1m' })).toEqual([
      'deploy.probe.maxP95: must be between 1ms and 30s, got "1m"',
    ]);
    expect(messages({ inputs, maxP95OverChampion: '0s', maxP95: '30s' })).toEqual([]);
    expect(messages({ inputs }, 'tensormesh').join()).toMatch(/^deploy\.probe: is not a known key/);
    const parsed = parsePipelineInput({
      ...pipelineInput('t'),
      deploy: { target: 'tensorone-registry', probe: { inputs } },
    });
    expect(parsed.deploy).toMatchObject({ probe: { inputs, maxErrorRate: 0, maxP95OverChampion: '250ms' } });
  });

  it('deploy.smokeRequest (TensorMesh): refused field by field before anything starts; unset keeps the default completion', () => {
    const messages = (smokeRequest: unknown) => {
      try {
        parsePipelineInput({
          ...pipelineInput('t'),
          deploy: { target: 'tensormesh', userId: MESH_USER, smokeRequest },
        });
        return [];
      } catch (err) {
        return (err as InvalidPipelineInput).issues.map((i) => `${i.field}: ${i.message}`);
      }
    };
    const pathRule =
      'deploy.smokeRequest.path: must be a path under the endpoint, starting with "/" (no host, query or spaces)';
    expect(messages({ path: '/v1/chat/completions', answerField: 'choices.0.message.content' })).toEqual([]);
    expect(messages({})).toEqual([]);
    expect(messages({ path: 'v1/completions' })).toEqual([pathRule]);
    expect(messages({ path: 'https://elsewhere.example/v1' })).toEqual([pathRule]);
    expect(messages({ path: '/v1/completions?key=x' })).toEqual([pathRule]);
    expect(messages({ path: '/v1/../admin' })).toEqual([
      'deploy.smokeRequest.path: must not climb out of the endpoint with ".."',
    ]);
    expect(messages({ path: `/${'a'.repeat(200)}` })).toEqual([
      'deploy.smokeRequest.path: must be at most 200 characters',
    ]);
    expect(messages({ body: 'prompt' }).join()).toMatch(/^deploy\.smokeRequest\.body: /);
    expect(messages({ body: { prompt: 'x'.repeat(4100) } })).toEqual([
      'deploy.smokeRequest.body: must be at most 4 KiB of JSON',
    ]);
    expect(messages({ answerField: 'choices[0]' })).toEqual([
      'deploy.smokeRequest.answerField: must be a dotted field path such as "choices.0.text"',
    ]);
    expect(messages({ answerField: '' })).toEqual([
      'deploy.smokeRequest.answerField: must be a dotted field path such as "choices.0.text"',
    ]);
    expect(messages({ method: 'GET' }).join()).toMatch(/^deploy\.smokeRequest\.method: is not a known key/);
    // Only the TensorMesh target has a served-model request: a TensorOne endpoint's is the documented runsync.
    expect(() =>
      parsePipelineInput({
        ...pipelineInput('t'),
        deploy: { target: 'tensorone-endpoint', smokeRequest: {} },
      }),
    ).toThrow(/smokeRequest/);
    const parsed = parsePipelineInput({
      ...pipelineInput('t'),
      deploy: { target: 'tensormesh', userId: MESH_USER, smokeRequest: { answerField: 'choices.0.text' } },
    });
    expect(parsed.deploy).toMatchObject({
      smokeRequest: {
        path: '/v1/completions',
        body: { model: '{modelName}', prompt: '{prompt}', max_tokens: 8 },
        answerField: 'choices.0.text',
      },
    });
  });

  it('says what a flag or a file got wrong in the same words', () => {
    const messages = (over: Record<string, unknown>) => {
      try {
        parsePipelineInput({ ...pipelineInput('t'), ...over });
        return [];
      } catch (err) {
        return (err as InvalidPipelineInput).issues.map((i) => `${i.field}: ${i.message}`);
      }
    };
    expect(messages({ supervision: { resumeBudget: 21 } })).toEqual([
      'supervision.resumeBudget: must be a whole number from 0 to 20',
    ]);
    expect(messages({ supervision: { resumeBudget: 0.5 } })).toEqual([
      'supervision.resumeBudget: must be a whole number from 0 to 20',
    ]);
    expect(messages({ supervision: { resumeBudget: -1 } })).toEqual([
      'supervision.resumeBudget: must be a whole number from 0 to 20',
    ]);
    expect(messages({ budget: { maxCost: 0 } })).toEqual(['budget.maxCost: must be an amount above 0']);
    expect(messages({ cleanup: { retention: { keepLastN: -1 } } })).toEqual([
      'cleanup.retention.keepLastN: must be a whole number ≥ 0',
    ]);
    expect(messages({ cleanup: { retention: { keepLastN: 0.5 } } })).toEqual([
      'cleanup.retention.keepLastN: must be a whole number ≥ 0',
    ]);
    expect(messages({ cleanup: { retention: { keepWithinDays: -1 } } })).toEqual([
      'cleanup.retention.keepWithinDays: must be a number of days ≥ 0',
    ]);
    for (const maxDeletes of [0, 0.5, 100_001])
      expect(messages({ cleanup: { maxDeletes } })).toEqual([
        'cleanup.maxDeletes: must be a whole number from 1 to 100000',
      ]);
    expect(messages({ train: { kind: 'tensorone-existing', jobId: 'job 1' } })).toEqual([
      'train.jobId: must be an id such as "job_1234567890abcdef" (up to 128 letters, digits, "_", ".", ":" or "-")',
    ]);
    expect(
      messages({
        train: { kind: 'marqtune', modelId: 'model 1' },
        deploy: { target: 'tensormesh', userId: MESH_USER },
      }),
    ).toEqual([
      'train.modelId: must be an id such as "model_1234567890abcdef" (up to 128 letters, digits, "_", ".", ":" or "-")',
    ]);
    expect(messages({ name: 'A' })).toEqual([
      'name: must be 1-63 lower-case letters, digits or dashes, starting with a letter or digit',
    ]);
    expect(messages(tensorone({ datasetId: 'x' }))).toEqual([
      'train.datasetId: must be a TensorOne dataset id such as "ds_1234567890abcdef"',
    ]);
    expect(messages(tensorone({ gpuTypes: [] }))).toEqual([
      'train.gpuTypes: must list at least one GPU type',
    ]);
    expect(messages({ selection: { metric: 'a b' } })).toEqual([
      'selection.metric: must be a camelCase metric name such as "validationLoss"',
    ]);
    expect(messages({ supervision: { freshness: 'soon' } })).toEqual([
      'supervision.freshness: must be a duration such as "90s", "5m", "2h" or "7d"',
    ]);
    expect(messages({ deploy: { target: 'tensormesh', userId: 'u' } })).toEqual([
      'deploy.userId: must be the TensorMesh user id (a UUID)',
    ]);
    expect(messages({ supervision: { freshness: '1m', minInterval: '2m' } })).toEqual([
      'supervision.minInterval: must not exceed supervision.freshness (1m)',
    ]);
    expect(messages({ train: { kind: 'marqtune', modelId: 'm1' } })).toEqual([
      'deploy.target: a Marqtune model can only be deployed to "tensormesh"',
    ]);
    expect(
      messages({
        train: { kind: 'marqtune', modelId: 'm1' },
        deploy: { target: 'tensormesh', userId: MESH_USER },
        gate: { threshold: 0.5 },
      }),
    ).toEqual([
      'gate.threshold: Marqtune checkpoints carry no metric to compare, so "gate.threshold" would always reject: remove it (use gate.approval for a human check)',
    ]);
  });

  it('lists every bad field in one refusal, naming the source', () => {
    expect(() =>
      parsePipelineInput({ ...pipelineInput('t'), name: 'A', budget: { maxCost: 0 } }, 'p.yaml'),
    ).toThrow(
      'p.yaml is invalid:\n  - name: must be 1-63 lower-case letters, digits or dashes, starting with a letter or digit\n  - budget.maxCost: must be an amount above 0',
    );
    const err = (() => {
      try {
        parsePipelineInput(null);
      } catch (e) {
        return e as InvalidPipelineInput;
      }
    })();
    expect(err?.name).toBe('InvalidPipelineInput');
    expect(err?.message.startsWith('pipeline input is invalid:\n  - (root): ')).toBe(true);
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
    [{ apiKey: 'sk-123' }, 'apiKey'],
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
    [
      'supervision.terminalStatusWindow',
      supervision({ terminalStatusWindow: '999ms' }),
      supervision({ terminalStatusWindow: '1s' }),
    ],
    [
      'supervision.terminalStatusWindow',
      supervision({ terminalStatusWindow: '25h' }),
      supervision({ terminalStatusWindow: '1d' }),
    ],
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
  /** A config whose JSON is exactly `bytes` long: {"baseModel":"aaa…"}. */
  const configOf = (bytes: number) => ({ baseModel: 'a'.repeat(bytes - '{"baseModel":""}'.length) });

  it('takes a train.config of up to 64 KiB as JSON and refuses one byte more, naming the field', () => {
    expect(JSON.stringify(configOf(INPUT_LIMITS.configBytes)).length).toBe(64 * 1024);
    expect(fieldsOf(withConfig(configOf(INPUT_LIMITS.configBytes)))).toEqual([]);
    expect(fieldsOf(withConfig(configOf(INPUT_LIMITS.configBytes + 1)))).toEqual(['train.config']);
    // Bytes, not characters: 22,000 three-byte characters are 66,000 bytes.
    expect(fieldsOf(withConfig({ baseModel: '€'.repeat(22_000) }))).toEqual(['train.config']);
    expect(() => parsePipelineInput(withConfig(configOf(1_500_000)))).toThrow(
      /train\.config: is 1465 KiB as JSON, more than the 64 KiB allowed/,
    );
  });

  it.each([
    ['\u007f', 1],
    ['\u0080', 2],
    ['é', 2],
    ['\u07ff', 2],
    ['\u0800', 3],
    ['€', 3],
    ['\ud7ff', 3],
    ['\ue000', 3],
    ['\uffff', 3],
    ['🦙', 4],
  ])(
    'counts %j as %i UTF-8 bytes: a config of exactly 64 KiB passes, one byte more does not',
    (char, size) => {
      const room = INPUT_LIMITS.configBytes - '{"baseModel":""}'.length;
      const text = char.repeat(Math.floor(room / size)) + 'a'.repeat(room % size);
      expect(fieldsOf(withConfig({ baseModel: text }))).toEqual([]);
      expect(fieldsOf(withConfig({ baseModel: `${text}a` }))).toEqual(['train.config']);
    },
  );

  /** The bytes the workflow receives: Temporal's JSON payload, UTF-8 encoded. */
  const utf8JsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');
  /** A config {"baseModel":"aaa…<tail>"} whose JSON is exactly `bytes` long as UTF-8. */
  const configEndingWith = (tail: string, bytes: number) => {
    const pad = bytes - utf8JsonBytes({ baseModel: tail });
    return { baseModel: 'a'.repeat(pad) + tail };
  };

  it.each([
    ['U+10000, the first pair (high half U+D800)', '\ud800\udc00'],
    ['U+10FFFF, the last pair (high half U+DBFF)', '\udbff\udfff'],
    ['a pair as the last character', 'x🦙'],
  ])('counts %s as 4 UTF-8 bytes: exactly 64 KiB passes, one byte more does not', (_, tail) => {
    const atLimit = configEndingWith(tail, INPUT_LIMITS.configBytes);
    expect(utf8JsonBytes(atLimit)).toBe(64 * 1024);
    expect(fieldsOf(withConfig(atLimit))).toEqual([]);
    expect(fieldsOf(withConfig({ baseModel: `a${atLimit.baseModel}` }))).toEqual(['train.config']);
  });

  it.each([
    ['U+D800', '\ud800'],
    ['U+DBFF', '\udbff'],
    ['U+DC00', '\udc00'],
    ['U+DFFF', '\udfff'],
    ['U+DBFF then a letter', '\udbffa'],
    ['U+DC00 before U+D800 (a pair the wrong way round)', '\udc00\ud800'],
  ])(
    'counts a lone %s as the JSON the workflow receives (a 6-byte \\u escape): refused as a lone surrogate, and for size only past 64 KiB',
    (_, tail) => {
      expect(JSON.stringify(tail)).toMatch(/\\ud[89ab-f][0-9a-f]{2}/);
      const atLimit = configEndingWith(tail, INPUT_LIMITS.configBytes);
      expect(utf8JsonBytes(atLimit)).toBe(64 * 1024);
      expect(fieldsOf(withConfig(atLimit))).toEqual(['train.config.baseModel']);
      expect(fieldsOf(withConfig({ baseModel: `a${atLimit.baseModel}` }))).toEqual([
        'train.config.baseModel',
        'train.config',
      ]);
    },
  );

  it('measures train.config as the UTF-8 bytes of its JSON, whatever text it holds (property)', () => {
    const edges = fc.constantFrom(
      '\ud800',
      '\udbff',
      '\udc00',
      '\udfff',
      '\u07ff',
      '\u0800',
      '\uffff',
      '\u007f',
    );
    const anyCodeUnitOrPoint = fc.oneof(
      edges,
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
    );
    fc.assert(
      fc.property(fc.string({ unit: anyCodeUnitOrPoint, maxLength: 40 }), (text) => {
        const atLimit = configEndingWith(text, INPUT_LIMITS.configBytes);
        const over = { baseModel: `a${atLimit.baseModel}` };
        return (
          !fieldsOf(withConfig(atLimit)).includes('train.config') &&
          fieldsOf(withConfig(over)).includes('train.config')
        );
      }),
      { numRuns: 60 },
    );
  });

  it('says the size in KiB rounded up: one byte over is 65 KiB', () => {
    expect(() => parsePipelineInput(withConfig(configOf(INPUT_LIMITS.configBytes + 1)))).toThrow(
      'train.config: is 65 KiB as JSON, more than the 64 KiB allowed (hyperparameters belong here, data belongs in the dataset)',
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
    expect(() => parsePipelineInput(input)).toThrow(
      /\(root\): is 25\d KiB as JSON, more than the 256 KiB allowed$/,
    );
    // Exactly at the limit passes.
    const size = JSON.stringify(parsePipelineInput(input, undefined, { unbounded: true })).length;
    const prompt = 'p'.repeat(INPUT_LIMITS.inputBytes - (size - INPUT_LIMITS.inputBytes));
    const atLimit = { ...input, deploy: { ...input.deploy, smokeTest: { input: { prompt } } } };
    expect(JSON.stringify(parsePipelineInput(atLimit)).length).toBe(INPUT_LIMITS.inputBytes);
  });

  it('refuses text UTF-8 cannot encode (a lone surrogate), naming where it is', () => {
    expect(fieldsOf(withConfig({ baseModel: 'llama\ud800' }))).toEqual(['train.config.baseModel']);
    // A key with a lone surrogate is an unknown key: one mistake, one line.
    expect(fieldsOf(withConfig({ training: { ['\udc00key']: 1 } }))).toEqual([
      'train.config.training.\udc00key',
    ]);
    expect(fieldsOf(withConfig({ baseModel: 'llama 🦙' }))).toEqual([]);
    const modules = (target_modules: string[]) => ({ parameters: { target_modules } });
    expect(fieldsOf(withConfig(modules(['ok', 'q\udc00'])))).toEqual([
      'train.config.parameters.target_modules.1',
    ]);
    expect(fieldsOf(withConfig({ optimization: { mixed_precision: 'x\ud83d' } }))).toEqual([
      'train.config.optimization.mixed_precision',
    ]);
    expect(fieldsOf(withConfig(modules(['🦙', 'q_proj'])))).toEqual([]);
    expect(() => parsePipelineInput(withConfig({ baseModel: 'llama\ud800' }))).toThrow(
      'train.config.baseModel: holds text that is not valid Unicode (a lone surrogate)',
    );
    // The schema's own issue names an array element by its index, as zod does.
    const parsed = pipelineInputSchema.safeParse(withConfig(modules(['ok', 'q\udc00'])));
    expect(parsed.error?.issues.map((i) => i.path)).toEqual([
      ['train', 'config', 'parameters', 'target_modules', 1],
    ]);
    // Booleans and numbers hold no text: nothing to refuse.
    const noText = { optimization: { gradient_checkpointing: true }, input_size: [640, 640] };
    expect(fieldsOf(withConfig(noText))).toEqual([]);
    // Only the first is named: one is enough to find the rest.
    expect(fieldsOf(withConfig({ baseModel: '\ud800', strategy: '\ud800' }))).toEqual([
      'train.config.baseModel',
    ]);
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

  it('names the workflow after the pipeline: pipeline-<name>', () => {
    expect(pipelineWorkflowId('nightly-llama')).toBe('pipeline-nightly-llama');
  });

  it('refuses secrets in the input: unknown keys are errors, not ignored', () => {
    const input = {
      ...pipelineInput('t'),
      deploy: { target: 'tensormesh', userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', hfToken: 'hf_x' },
    };
    expect(fieldsOf(input)).toContain('deploy.hfToken');
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

describe('train.config typed by what the TensorOne document shows, unknown keys with a suggestion', () => {
  const withConfig = (config: unknown) => ({
    ...pipelineInput('t'),
    train: { kind: 'tensorone', modelType: 'llm', datasetId: 'ds_a', config },
  });
  const problems = (input: unknown): string[] => {
    try {
      parsePipelineInput(input);
      return [];
    } catch (err) {
      return (err as InvalidPipelineInput).issues.map((i) => `${i.field}: ${i.message}`);
    }
  };

  it('refuses a wrong type, a misspelled key and a wrong case, one line each, with a suggestion', () => {
    expect(problems(withConfig({ training: { epochs: 'eight' } }))).toEqual([
      'train.config.training.epochs: must be a whole number ≥ 1, got "eight"',
    ]);
    expect(problems(withConfig({ training: { epoch: 8 } }))).toEqual([
      'train.config.training.epoch: is not a known key; did you mean `epochs`?',
    ]);
    expect(problems(withConfig({ training: { learningrate: 2e-4 } }))).toEqual([
      'train.config.training.learningrate: is not a known key; did you mean `learningRate` or `learning_rate`?',
    ]);
    expect(problems(withConfig({ training: { epochs: 0 } }))).toEqual([
      'train.config.training.epochs: must be a whole number ≥ 1, got 0',
    ]);
    expect(problems(withConfig({ training: { epochs: 2.5 } }))).toHaveLength(1);
  });

  it('takes the learning rate from 1e-6 to 0.1, the range of the document’s CONFIGURATION_ERROR', () => {
    for (const ok of [1e-6, 2e-4, 0.1])
      expect(problems(withConfig({ training: { learning_rate: ok } }))).toEqual([]);
    for (const bad of [0, 9.9e-7, 0.1000001, 0.5, Number.NaN])
      expect(problems(withConfig({ training: { learning_rate: bad } }))).toEqual([
        expect.stringMatching(
          /^train\.config\.training\.learning_rate: must be a number from 0\.000001 to 0\.1/,
        ),
      ]);
  });

  it('accepts the configs of the document’s examples (REST snake_case and the SDK’s camelCase)', () => {
    const llm = {
      baseModel: 'meta-llama/Llama-2-7b-hf',
      strategy: 'lora',
      parameters: { rank: 16, alpha: 32, dropout: 0.1, target_modules: ['q_proj', 'v_proj'] },
      training: {
        epochs: 3,
        batch_size: 4,
        learning_rate: 2e-4,
        weight_decay: 0.01,
        warmup_steps: 100,
        gradient_accumulation_steps: 8,
      },
      optimization: { mixed_precision: 'fp16', gradient_checkpointing: true, max_grad_norm: 1.0 },
    };
    const vision = {
      architecture: 'yolov8',
      input_size: [640, 640],
      num_classes: 80,
      training: { epochs: 100, batch_size: 16, learning_rate: 0.01, momentum: 0.937, weight_decay: 0.0005 },
      augmentation: { mixup: 0.1, copy_paste: 0.5, hsv_h: 0.015, hsv_s: 0.7, hsv_v: 0.4 },
    };
    const sdk = {
      baseModel: 'meta-llama/Llama-2-7b-hf',
      strategy: 'lora',
      parameters: { rank: 16, alpha: 32, dropout: 0.1, targetModules: ['q_proj'] },
      training: { epochs: 3, batchSize: 4, learningRate: 2e-4, weightDecay: 0.01 },
    };
    const python = { base_model: 'meta-llama/Llama-2-7b-hf', strategy: 'lora' };
    for (const config of [llm, vision, sdk, python, {}]) {
      expect(problems(withConfig(config))).toEqual([]);
      expect(parsePipelineInput(withConfig(config)).train).toMatchObject({ config });
    }
  });

  it('refuses one field under both of its spellings, and a section that is not an object', () => {
    expect(problems(withConfig({ training: { learning_rate: 2e-4, learningRate: 2e-4 } }))).toEqual([
      'train.config.training.learningRate: is `learning_rate` spelled another way: set only one of them',
    ]);
    expect(problems(withConfig({ training: 8 }))).toHaveLength(1);
    expect(problems(withConfig({ optimization: { gradient_checkpointing: 'yes' } }))).toEqual([
      'train.config.optimization.gradient_checkpointing: must be true or false, got "yes"',
    ]);
  });

  it('a key like no known one lists the known keys', () => {
    expect(problems(withConfig({ notes: 'x' }))).toEqual([
      expect.stringMatching(
        /^train\.config\.notes: is not a known key here \(known: `baseModel`, .*`augmentation`\)$/,
      ),
    ]);
  });

  it('a did-you-mean for every unknown key of the file, and a missing field it explains is not said again', () => {
    const { datasetId, ...train } = withConfig({}).train;
    expect(problems({ ...pipelineInput('t'), train: { ...train, datasetID: datasetId } })).toEqual([
      'train.datasetID: is not a known key; did you mean `datasetId`?',
    ]);
    const { selection, ...rest } = pipelineInput('t');
    expect(problems({ ...rest, selecton: selection, gate: { treshold: 1 } }).sort()).toEqual([
      'gate.treshold: is not a known key; did you mean `threshold`?',
      'selecton: is not a known key; did you mean `selection`?',
    ]);
    // A misspelled discriminator: zod cannot say which keys are known there, the line still can.
    expect(problems({ ...pipelineInput('t'), train: { kin: 'tensorone-existing', jobId: 'job_1' } })).toEqual(
      ['train.kin: is not a known key; did you mean `kind`?'],
    );
    // A required field missing with no misspelling beside it is still said, plainly.
    expect(problems({ ...pipelineInput('t'), train: train })).toEqual(['train.datasetId: is required']);
  });

  it('replays a pipeline started before train.config was typed as it was accepted', () => {
    const old = withConfig({ blob: 1, training: { epochs: 'eight' } });
    expect(problems(old)).toHaveLength(2);
    expect(parsePipelineInput(old, undefined, { untypedConfig: true }).train).toMatchObject({
      config: { blob: 1 },
    });
  });
});

describe('closeKeys: within two edits, case ignored', () => {
  it('suggests at two edits, not at three; a short key only for a case slip', () => {
    expect(closeKeys('epoch', ['epochs'])).toEqual(['epochs']);
    expect(closeKeys('epo', ['epochs'])).toEqual([]);
    expect(closeKeys('ep', ['epochs'])).toEqual([]);
    expect(closeKeys('NAME', ['name'])).toEqual(['name']);
    expect(closeKeys('x', ['a', 'b'])).toEqual([]);
    expect(closeKeys('learningrate', ['learning_rate', 'learningRate'])).toEqual([
      'learningRate',
      'learning_rate',
    ]);
    expect(closeKeys('anything', [])).toEqual([]);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
