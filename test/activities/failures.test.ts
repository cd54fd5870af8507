import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../src/activities';
import { MALFORMED_TRIES } from '../../src/activities/failures';
import { runActivity, runActivityAttempt } from '../harness/activity-env';
import { createProviderClients } from '../../src/providers/config';
import type { Sandbox } from '../../sandbox/server';
import { docExample, startFixtureServer } from '../harness/fixture-server';
import { startTestSandbox } from '../harness/sandbox';

const SECRET = 'sk-live-THIS-KEY-MUST-NEVER-LEAK-9f8e7d';
let sandbox: Sandbox;
let activities: ReturnType<typeof createActivities>;
const logLines: string[] = [];

beforeAll(async () => {
  ({ sandbox } = await startTestSandbox({
    keys: { tensorone: SECRET, tensormesh: SECRET, marqtune: SECRET },
    log: (l) => logLines.push(l),
  }));
  activities = createActivities(createProviderClients(sandbox.endpoints));
});
afterAll(() => sandbox.close());
afterEach(() => {
  sandbox.state.faults = { ...sandbox.state.faults, ...noFaults };
});
const noFaults = {
  errorRate: 0,
  rateLimitRate: 0,
  resetRate: 0,
  lostCreateRate: 0,
  unavailableGpuTypes: [] as string[],
  htmlAnswers: 0,
  routePattern: undefined,
};

async function failureOf(run: () => Promise<unknown>): Promise<ApplicationFailure> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  // Nothing a failure carries may hold the key.
  expect(JSON.stringify({ m: failure.message, d: failure.details, s: failure.stack })).not.toContain(SECRET);
  return failure;
}

const jobInput = (over: Record<string, unknown> = {}) => ({
  step: 'train-1',
  modelType: 'llm' as const,
  datasetId: 'ds_support',
  config: { training: { epochs: 2, learning_rate: 2e-4 } },
  gpuType: 'a100',
  ...over,
});

describe('documented provider errors become non-retryable failures typed by the provider code', () => {
  it('DATASET_NOT_FOUND', async () => {
    const f = await failureOf(() =>
      runActivity('wf-failures', activities.startTrainingJob, jobInput({ datasetId: 'ds_missing_one' })),
    );
    expect(f).toMatchObject({ type: 'DATASET_NOT_FOUND', nonRetryable: true });
    expect(f.details?.[0]).toMatchObject({
      provider: 'tensorone',
      route: 'POST /v2/training/jobs',
      status: 404,
      details: { datasetId: 'ds_missing_one' },
    });
  });

  it('CONFIGURATION_ERROR names the field', async () => {
    const f = await failureOf(() =>
      runActivity(
        'wf-failures',
        activities.startTrainingJob,
        jobInput({ config: { training: { learning_rate: 0.5 } } }),
      ),
    );
    expect(f).toMatchObject({ type: 'CONFIGURATION_ERROR', nonRetryable: true });
    expect(f.details?.[0]).toMatchObject({ details: { field: 'config.training.learning_rate' } });
  });

  it('INSUFFICIENT_RESOURCES keeps availableGpuTypes for the workflow', async () => {
    sandbox.state.faults = { ...sandbox.state.faults, unavailableGpuTypes: ['h100'] };
    const f = await failureOf(() =>
      runActivity('wf-failures', activities.startTrainingJob, jobInput({ gpuType: 'h100' })),
    );
    expect(f).toMatchObject({ type: 'INSUFFICIENT_RESOURCES', nonRetryable: true });
    expect(f.details?.[0]).toMatchObject({
      details: { requestedGpuType: 'h100', availableGpuTypes: ['a100', 'v100', 'rtx4090'] },
    });
  });

  it('MODEL_NOT_FOUND (404)', async () => {
    const f = await failureOf(() => runActivity('wf-failures', activities.getRegisteredModel, 'model_nope'));
    expect(f).toMatchObject({ type: 'MODEL_NOT_FOUND', nonRetryable: true });
  });

  it('a wrong key (401) is non-retryable', async () => {
    const wrong = createActivities(
      createProviderClients({
        ...sandbox.endpoints,
        tensorone: { ...sandbox.endpoints.tensorone, apiKey: 'wrong-key-0000' },
      }),
    );
    const f = await failureOf(() => runActivity('wf-failures', wrong.getTrainingJob, 'job_x'));
    expect(f).toMatchObject({ type: 'UNAUTHORIZED', nonRetryable: true });
  });
});

describe('transient failures are retryable', () => {
  it('429 carries Retry-After as the next retry delay', async () => {
    sandbox.state.faults = { ...sandbox.state.faults, rateLimitRate: 1, retryAfterSeconds: 3 };
    const f = await failureOf(() => runActivity('wf-failures', activities.listTrainingJobs, {}));
    expect(f).toMatchObject({ type: 'RATE_LIMITED', nonRetryable: false, nextRetryDelay: 3000 });
  });

  it('5xx', async () => {
    sandbox.state.faults = { ...sandbox.state.faults, errorRate: 1 };
    const f = await failureOf(() => runActivity('wf-failures', activities.listTrainingJobs, {}));
    expect(f).toMatchObject({ type: 'INTERNAL_ERROR', nonRetryable: false });
    expect([500, 502, 503]).toContain((f.details?.[0] as { status: number }).status);
  });

  it('a connection reset', async () => {
    sandbox.state.faults = { ...sandbox.state.faults, resetRate: 1 };
    const f = await failureOf(() => runActivity('wf-failures', activities.listTrainingJobs, {}));
    expect(f).toMatchObject({ type: 'NETWORK_ERROR', nonRetryable: false });
  });
});

describe('document error bodies and malformed responses', () => {
  let fixtures: Awaited<ReturnType<typeof startFixtureServer>>;
  let viaFixtures: ReturnType<typeof createActivities>;
  beforeAll(async () => {
    fixtures = await startFixtureServer({
      'GET /t1/v2/training/models/big': { status: 422, body: docExample('tensorone-error-model-too-large') },
      'GET /t1/v2/training/models/busy': {
        status: 503,
        body: docExample('tensorone-error-deployment-failed'),
      },
      'GET /t1/v2/training/jobs/job_bad': { status: 200, body: { id: 'job_bad', progress: {} } },
      'GET /t1/v2/training/jobs/job_408': {
        status: 408,
        body: { error: 'REQUEST_TIMEOUT', message: 'timeout' },
      },
      'GET /mq/models': { status: 500, body: docExample('marqtune-error-500') },
    });
    const base = { baseURL: '', apiKey: SECRET };
    viaFixtures = createActivities(
      createProviderClients({
        tensorone: { ...base, baseURL: `${fixtures.url}/t1` },
        tensormesh: { ...base, baseURL: `${fixtures.url}/tm` },
        marqtune: { ...base, baseURL: `${fixtures.url}/mq` },
      }),
    );
  });
  afterAll(() => fixtures.close());

  it('MODEL_TOO_LARGE and DEPLOYMENT_FAILED are non-retryable even behind a 503', async () => {
    expect(
      await failureOf(() => runActivity('wf-failures', viaFixtures.getRegisteredModel, 'big')),
    ).toMatchObject({
      type: 'MODEL_TOO_LARGE',
      nonRetryable: true,
    });
    expect(
      await failureOf(() => runActivity('wf-failures', viaFixtures.getRegisteredModel, 'busy')),
    ).toMatchObject({
      type: 'DEPLOYMENT_FAILED',
      nonRetryable: true,
    });
  });

  it('408 is retryable; Marqtune’s bare 500 body too', async () => {
    expect(
      await failureOf(() => runActivity('wf-failures', viaFixtures.getTrainingJob, 'job_408')),
    ).toMatchObject({
      type: 'REQUEST_TIMEOUT',
      nonRetryable: false,
    });
    expect(await failureOf(() => runActivity('wf-failures', viaFixtures.listMarqtuneModels))).toMatchObject({
      type: 'HTTP_500',
      nonRetryable: false,
      message: expect.stringContaining('Internal server error.'),
    });
  });

  it(`a malformed response is retried for ${MALFORMED_TRIES - 1} tries, then fails naming provider, route and field`, async () => {
    const at = (attempt: number) =>
      failureOf(() => runActivityAttempt('wf-failures', attempt, viaFixtures.getTrainingJob, 'job_bad'));
    const message =
      "tensorone GET /v2/training/jobs/:jobId: MALFORMED_RESPONSE: response field 'status' is invalid: Invalid input: expected string, received undefined";
    for (const attempt of [1, MALFORMED_TRIES - 1])
      expect(await at(attempt)).toMatchObject({ type: 'MALFORMED_RESPONSE', nonRetryable: false, message });
    const last = await at(MALFORMED_TRIES);
    expect(last).toMatchObject({ type: 'MALFORMED_RESPONSE', nonRetryable: true });
    expect(last.message).toBe(`${message} (still malformed at try ${MALFORMED_TRIES}; no more tries)`);
  });

  it("a gateway's HTML page with status 200 is a malformed answer, retryable at first", async () => {
    sandbox.state.faults = { ...sandbox.state.faults, htmlAnswers: 1 };
    const f = await failureOf(() => runActivity('wf-failures', activities.listTrainingJobs, {}));
    expect(f).toMatchObject({ type: 'MALFORMED_RESPONSE', nonRetryable: false });
    expect(f.message).toContain("response field '(body)'");
    // One page only: the next answer is the resource.
    expect(await runActivity('wf-failures', activities.listTrainingJobs, {})).toHaveProperty('jobs');
  });
});

describe('secrets stay out of results, failures and logs', () => {
  it('results carry no signed URL, download token or served-model apiKey', async () => {
    const job = await runActivity('wf-failures', activities.startTrainingJob, jobInput({ step: 'secrets' }));
    await new Promise((r) => setTimeout(r, 300));
    const page = await runActivity('wf-failures', activities.listCheckpoints, { jobId: job.id, limit: 100 });
    const ckpt = await runActivity('wf-failures', activities.getCheckpoint, page.checkpoints[0].id);
    const model = (
      await runActivity('wf-failures', activities.listRegisteredModels, { trainingJobId: job.id })
    ).models[0];
    const download = await runActivity('wf-failures', activities.getModelDownloadInfo, { modelId: model.id });
    const served = await runActivity('wf-secrets', activities.provisionServedModel, {
      step: 'serve',
      userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
      modelPath: 'm',
      gpuCount: 1,
      gpuType: 'GPU_TYPE_A100' as const,
    });
    const all = JSON.stringify({ page, ckpt, download, served });
    expect(all).not.toMatch(/signature=|expires=|token=|tok_download|tm-serve-/);
    expect(all).not.toContain(SECRET);
    expect(logLines.join('\n')).not.toContain(SECRET);
    expect(logLines.join('\n')).not.toMatch(/signature=/);
  });
});
