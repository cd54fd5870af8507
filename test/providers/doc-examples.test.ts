import { createMarqtuneClient } from '../../src/providers/marqtune/client';
import { createTensorMeshClient } from '../../src/providers/tensormesh/client';
import { createTensorOneClient } from '../../src/providers/tensorone/client';
import { docExample, startFixtureServer } from '../harness/fixture-server';

// Every example body in ../shared/api-docs, served over real HTTP, parses into the normalized types.
const ok = (name: string, status = 200) => ({ status, body: docExample(name) });

let server: Awaited<ReturnType<typeof startFixtureServer>>;
beforeAll(async () => {
  server = await startFixtureServer({
    'POST /a/v2/training/jobs': ok('tensorone-create-job-a', 201),
    'POST /b/v2/training/jobs': ok('tensorone-create-job-b', 201),
    'GET /a/v2/training/jobs': ok('tensorone-list-jobs'),
    'GET /a/v2/training/jobs/job_1234567890abcdef': ok('tensorone-get-job'),
    'GET /a/v2/training/jobs/job_train_abc123/checkpoints': ok('tensorone-list-checkpoints'),
    'GET /a/v2/training/models': ok('tensorone-registry-list-a'),
    'GET /b/v2/training/models': ok('tensorone-registry-list-b'),
    'GET /a/v2/training/models/model_1234567890abcdef': ok('tensorone-registry-get'),
    'POST /a/v2/training/models/model_1234567890abcdef/deploy': ok('tensorone-registry-deploy', 201),
    'POST /a/v2/training/models/model_1234567890abcdef/download': ok('tensorone-registry-download'),
    'POST /a/v2/training/models/compare': ok('tensorone-registry-compare'),
    'POST /mesh/v1/models': ok('tensormesh-create-model'),
    'GET /mq/models': ok('marqtune-list-models'),
  });
});
afterAll(() => server.close());

const t1 = (prefix = 'a') =>
  createTensorOneClient({ baseURL: `${server.url}/${prefix}`, apiKey: 'doc-example-key' });
const createBody = { name: 'x', modelType: 'llm' as const, datasetId: 'ds_1', config: {} };

describe('TensorOne document examples', () => {
  it('reads both create-job shapes: `jobId` and `id`', async () => {
    const a = await t1('a').jobs.create(createBody);
    expect(a).toMatchObject({ id: '<string>', status: 'queued', createdAt: '2023-11-07T05:31:56.000Z' });
    const b = await t1('b').jobs.create(createBody);
    expect(b).toMatchObject({ id: 'job_1234567890abcdef', status: 'pending', name: 'llama-7b-finetune' });
  });

  it('reads the job list with progress and loss', async () => {
    const list = await t1().jobs.list();
    expect(list.total).toBe(25);
    expect(list.hasMore).toBe(false);
    expect(list.jobs[0]).toMatchObject({
      status: 'running',
      progress: { currentEpoch: 2, totalSteps: 1875, percentage: 66.5 },
      metrics: { loss: 0.342 },
    });
  });

  it('reads a job: currentLoss as loss, cost, elapsed time, its checkpoint list', async () => {
    const job = await t1().jobs.get('job_1234567890abcdef');
    expect(job).toMatchObject({
      metrics: { loss: 0.342, currentLoss: 0.342, bestLoss: 0.298 },
      cost: 35.7,
      gpuHours: 4.2,
      progress: { elapsedSeconds: 7200, remainingSeconds: 3600 },
      checkpointIds: ['ckpt_epoch_1'],
      estimatedCompletion: '2024-01-15T12:45:00.000Z',
    });
  });

  it('reads the checkpoint list: checkpointId as id, sizes in bytes, no signed URL kept', async () => {
    const page = await t1().checkpoints.list('job_train_abc123', {
      sortBy: 'validationLoss',
      sortOrder: 'asc',
      limit: 10,
    });
    expect(page.totalCount).toBe(12);
    expect(page.bestCheckpointId).toBe('ckpt_best_abc123');
    expect(page.latestCheckpointId).toBe('ckpt_epoch_20');
    expect(page.totalSizeBytes).toBe(Math.round(27.6 * 1024 ** 3));
    expect(page.checkpoints[0]).toEqual({
      id: 'ckpt_best_abc123',
      jobId: 'job_train_abc123',
      name: 'Best Validation - Epoch 15',
      epoch: 15,
      step: 9000,
      type: 'best',
      metrics: { loss: 0.6234, accuracy: 0.891, validationLoss: 0.7123, validationAccuracy: 0.876 },
      sizeBytes: Math.round(2.3 * 1024 ** 3),
      deployable: true,
      createdAt: '2024-01-15T20:30:00.000Z',
    });
    expect(JSON.stringify(page)).not.toContain('signed');
  });

  it('reads both registry list shapes: `modelId` with `total`, `id` with `pagination`', async () => {
    const a = await t1('a').models.list();
    expect(a.total).toBe(123);
    expect(a.models[0]).toMatchObject({
      id: '<string>',
      status: 'training',
      type: '<string>',
      metrics: { accuracy: 123 },
    });
    const b = await t1('b').models.list();
    expect(b.total).toBe(8);
    expect(b.models[0]).toMatchObject({
      id: 'model_1234567890abcdef',
      sizeBytes: 13421772800,
      endpointIds: ['ep_prod_support_chat', 'ep_staging_support_chat'],
      metrics: { finalLoss: 0.234 },
    });
  });

  it('flattens grouped registry metrics and snake_case names', async () => {
    const m = await t1().models.get('model_1234567890abcdef');
    expect(m.metrics).toMatchObject({
      finalLoss: 0.234,
      bestLoss: 0.198,
      validationLoss: 0.267,
      validationAccuracy: 0.892,
      validationF1Score: 0.885,
      helpfulnessScore: 8.7,
    });
    expect(m.endpointIds).toEqual(['ep_prod_support_chat']);
    expect(m.metadata.quality_gate).toBe('passed');
  });

  it('reads deploy, download (dropping the token) and compare answers', async () => {
    const d = await t1().models.deploy('model_1234567890abcdef', { name: 'customer-support-chat-v2' });
    expect(d).toMatchObject({
      id: 'ep_customer_support_v2',
      status: 'deploying',
      modelId: 'model_1234567890abcdef',
    });
    const dl = await t1().models.download('model_1234567890abcdef', {});
    expect(dl.files).toHaveLength(3);
    expect(dl.sizeBytes).toBe(6710886400);
    expect(JSON.stringify({ ...dl, downloadUrl: undefined })).not.toContain('tok_download');
    const c = await t1().models.compare({ models: ['model_1234567890abcdef'] });
    expect(c.bestPerforming).toMatchObject({
      accuracy: 'model_1234567890abcdef',
      f1Score: 'model_2345678901bcdefg',
    });
    expect(c.models[0].metrics).toMatchObject({ f1Score: 0.885, bleuScore: 0.78 });
  });
});

describe('TensorMesh and Marqtune document examples', () => {
  it('reads the provisioned model without its apiKey', async () => {
    const mesh = createTensorMeshClient({ baseURL: `${server.url}/mesh`, apiKey: 'doc-example-key' });
    const d = await mesh.models.create({
      modelName: 'm',
      userId: 'u',
      modelPath: 'p',
      gpuCount: 1,
      gpuType: 'GPU_TYPE_A100',
    });
    expect(d).toMatchObject({
      provider: 'tensormesh',
      id: '<string>',
      rawStatus: 'MODEL_STATUS_UNSPECIFIED',
      status: 'deploying',
    });
    expect(d.events).toHaveLength(1);
    expect(Object.keys(d)).not.toContain('apiKey');
  });

  it('unwraps the {statusCode, body} envelope', async () => {
    const mq = createMarqtuneClient({ baseURL: `${server.url}/mq`, apiKey: 'doc-example-key' });
    const [m] = await mq.models.list();
    expect(m).toMatchObject({
      provider: 'marqtune',
      id: 'idInSystem',
      name: 'nameInSystem',
      rawStatus: 'currentStatus',
      status: 'unknown',
      failureReason: 'reasonForFailure',
      checkpointIds: ['checkpoint-1', 'checkpoint-2'],
    });
    expect(server.seen.at(-1)?.headers['x-api-key']).toBe('doc-example-key');
  });
});
