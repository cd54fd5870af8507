import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../src/activities';
import {
  MALFORMED_TRIES,
  adoptionRefused,
  afterProgress,
  classified,
  countsAgainstEndpoint,
  deleteIdempotently,
  isRetryable,
  toNotServingYetFailure,
  toTemporalFailure,
} from '../../src/activities/failures';
import { ProviderError, type ProviderErrorInit } from '../../src/providers/http/provider-error';
import { registerSecret } from '../../src/providers/http/redact';
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

/** A provider error as the transport builds it, without a provider behind it. */
const providerError = (over: Partial<ProviderErrorInit>): ProviderError =>
  new ProviderError({
    provider: 'tensorone',
    route: 'GET /v2/training/jobs/:jobId',
    kind: 'http',
    code: `HTTP_${over.status ?? 0}`,
    message: 'provider said no',
    ...over,
  });

describe('the classifier, status by status (no provider needed)', () => {
  it.each([
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [408, true],
    [409, false],
    [418, false],
    [422, false],
    [429, true],
    [499, false],
    [500, true],
    [503, true],
  ])('HTTP %i is retryable: %s', (status, retryable) => {
    expect(isRetryable(providerError({ status }))).toBe(retryable);
    expect(toTemporalFailure(providerError({ status }))).toMatchObject({
      type: `HTTP_${status}`,
      nonRetryable: !retryable,
    });
  });

  it('an HTTP error without a status is not retried; a network failure always is', () => {
    expect(isRetryable(providerError({ status: undefined, code: 'HTTP_ERROR' }))).toBe(false);
    expect(isRetryable(providerError({ kind: 'network', code: 'NETWORK_ERROR' }), 99)).toBe(true);
  });

  it.each([
    'CONFIGURATION_ERROR',
    'DATASET_NOT_FOUND',
    'INSUFFICIENT_RESOURCES',
    'MODEL_NOT_FOUND',
    'MODEL_TOO_LARGE',
    'DEPLOYMENT_FAILED',
  ])('documented code %s is final even behind a 503, a network failure or a malformed answer', (code) => {
    expect(isRetryable(providerError({ status: 503, code }))).toBe(false);
    expect(isRetryable(providerError({ kind: 'network', code }))).toBe(false);
    expect(isRetryable(providerError({ kind: 'malformed', code }))).toBe(false);
  });

  it(`a malformed answer is retryable up to try ${MALFORMED_TRIES - 1} and final at try ${MALFORMED_TRIES}, only then saying so`, () => {
    const malformed = providerError({ kind: 'malformed', status: 200, code: 'MALFORMED_RESPONSE' });
    expect(isRetryable(malformed)).toBe(true);
    expect(isRetryable(malformed, MALFORMED_TRIES - 1)).toBe(true);
    expect(isRetryable(malformed, MALFORMED_TRIES)).toBe(false);
    expect(toTemporalFailure(malformed, MALFORMED_TRIES - 1).message).toBe(malformed.message);
    expect(toTemporalFailure(malformed, MALFORMED_TRIES).message).toBe(
      `${malformed.message} (still malformed at try ${MALFORMED_TRIES}; no more tries)`,
    );
    // A final HTTP refusal is not "still malformed".
    expect(toTemporalFailure(providerError({ status: 400 }), MALFORMED_TRIES).message).toBe(
      'tensorone GET /v2/training/jobs/:jobId: 400 HTTP_400: provider said no',
    );
  });

  it('hands the workflow provider, route, status, code, details and request id — nothing else', () => {
    const err = providerError({
      status: 400,
      code: 'CONFIGURATION_ERROR',
      details: { field: 'name' },
      requestId: 'req_1',
    });
    expect(toTemporalFailure(err).details).toEqual([
      {
        provider: 'tensorone',
        route: 'GET /v2/training/jobs/:jobId',
        status: 400,
        code: 'CONFIGURATION_ERROR',
        details: { field: 'name' },
        requestId: 'req_1',
      },
    ]);
  });

  it('Retry-After becomes the next delay only for a retry, and never 0 (0 would mean "use the policy")', () => {
    expect(toTemporalFailure(providerError({ status: 429, retryAfterMs: 2500 })).nextRetryDelay).toBe(2500);
    expect(toTemporalFailure(providerError({ status: 503, retryAfterMs: 0 })).nextRetryDelay).toBe(1);
    expect(toTemporalFailure(providerError({ status: 503 })).nextRetryDelay).toBeUndefined();
    expect(
      toTemporalFailure(providerError({ status: 400, retryAfterMs: 2500 })).nextRetryDelay,
    ).toBeUndefined();
  });
});

describe('while a deployment starts, "not yet" answers are retried until the deploy timeout', () => {
  it.each([404, 409, 500, 503])('HTTP %i is NOT_SERVING_YET, retryable, with the cause kept', (status) => {
    const err = providerError({ status, code: `HTTP_${status}`, requestId: 'req_2' });
    const f = toNotServingYetFailure(err);
    expect(f).toMatchObject({ type: 'NOT_SERVING_YET', nonRetryable: false });
    expect(f.message).toBe(`not serving yet: ${err.message}`);
    expect(f.details).toEqual(toTemporalFailure(err).details);
    expect(f.nextRetryDelay).toBeUndefined();
  });

  it('keeps the provider’s Retry-After, at least 1 ms', () => {
    expect(toNotServingYetFailure(providerError({ status: 503, retryAfterMs: 4000 })).nextRetryDelay).toBe(
      4000,
    );
    expect(toNotServingYetFailure(providerError({ status: 503, retryAfterMs: 0 })).nextRetryDelay).toBe(1);
  });

  it.each([400, 401, 403, 422])('HTTP %i says "wrong", not "not yet": final', (status) => {
    expect(toNotServingYetFailure(providerError({ status }))).toMatchObject({
      type: `HTTP_${status}`,
      nonRetryable: true,
    });
  });

  it('a documented code, a network failure and a malformed answer keep their own classification', () => {
    expect(toNotServingYetFailure(providerError({ status: 503, code: 'DEPLOYMENT_FAILED' }))).toMatchObject({
      type: 'DEPLOYMENT_FAILED',
      nonRetryable: true,
    });
    expect(toNotServingYetFailure(providerError({ kind: 'network', code: 'NETWORK_ERROR' }))).toMatchObject({
      type: 'NETWORK_ERROR',
      nonRetryable: false,
    });
    const malformed = providerError({ kind: 'malformed', status: 200, code: 'MALFORMED_RESPONSE' });
    expect(toNotServingYetFailure(malformed, MALFORMED_TRIES)).toMatchObject({
      type: 'MALFORMED_RESPONSE',
      nonRetryable: true,
    });
  });
});

describe('a probe request that fails: counted against the endpoint, or ends the probe attempt', () => {
  it.each([
    [404, true],
    [408, true],
    [409, true],
    [500, true],
    [503, true],
    [400, false],
    [401, false],
    [403, false],
    [422, false],
    [429, false],
  ])('HTTP %i counts against the endpoint: %s', (status, counts) => {
    expect(countsAgainstEndpoint(providerError({ status }))).toBe(counts);
  });

  it('a reset or an odd answer speaks about the endpoint; a documented code, even behind a 503, about the request', () => {
    expect(countsAgainstEndpoint(providerError({ kind: 'network', code: 'NETWORK_ERROR' }))).toBe(true);
    expect(countsAgainstEndpoint(providerError({ kind: 'malformed', code: 'MALFORMED_RESPONSE' }))).toBe(
      true,
    );
    expect(countsAgainstEndpoint(providerError({ status: 503, code: 'DEPLOYMENT_FAILED' }))).toBe(false);
    expect(countsAgainstEndpoint(providerError({ kind: 'network', code: 'MODEL_NOT_FOUND' }))).toBe(false);
  });
});

describe('afterProgress: a batch that made progress is retried in 1 s, not after the grown backoff', () => {
  it('a retryable failure without a delay keeps type, message, details and gets 1 s', () => {
    const cause = toTemporalFailure(providerError({ status: 503, requestId: 'req_3' }));
    const again = afterProgress(cause) as ApplicationFailure;
    expect(again).toBeInstanceOf(ApplicationFailure);
    expect(again).not.toBe(cause);
    expect(again).toMatchObject({
      type: 'HTTP_503',
      message: cause.message,
      nonRetryable: false,
      nextRetryDelay: 1000,
    });
    expect(again.details).toEqual(cause.details);
  });

  it('the provider’s Retry-After, a final failure and anything else pass unchanged', () => {
    const retryAfter = toTemporalFailure(providerError({ status: 429, retryAfterMs: 7000 }));
    expect(afterProgress(retryAfter)).toBe(retryAfter);
    expect((afterProgress(retryAfter) as ApplicationFailure).nextRetryDelay).toBe(7000);
    const final = toTemporalFailure(providerError({ status: 403 }));
    expect(afterProgress(final)).toBe(final);
    const bug = new TypeError('x is undefined');
    expect(afterProgress(bug)).toBe(bug);
  });
});

describe('classified: every call classified in one place', () => {
  it('passes a result through; classifies a provider error by the tries given, or as "not serving yet"', async () => {
    await expect(classified(async () => 7)).resolves.toBe(7);
    const malformed = providerError({ kind: 'malformed', status: 200, code: 'MALFORMED_RESPONSE' });
    await expect(classified(() => Promise.reject(malformed))).rejects.toMatchObject({ nonRetryable: false });
    await expect(
      classified(() => Promise.reject(malformed), { tries: MALFORMED_TRIES }),
    ).rejects.toMatchObject({ type: 'MALFORMED_RESPONSE', nonRetryable: true });
    await expect(
      classified(() => Promise.reject(providerError({ status: 409 })), { untilServing: true }),
    ).rejects.toMatchObject({ type: 'NOT_SERVING_YET', nonRetryable: false });
    await expect(classified(() => Promise.reject(providerError({ status: 409 })))).rejects.toMatchObject({
      type: 'HTTP_409',
      nonRetryable: true,
    });
  });

  it('an ApplicationFailure passes unchanged; any other error is rethrown with every known key scrubbed', async () => {
    const own = ApplicationFailure.nonRetryable('mine', 'MINE');
    await expect(classified(() => Promise.reject(own))).rejects.toBe(own);
    registerSecret('sk_classified_secret_42');
    const bug = new TypeError('cannot read x of sk_classified_secret_42 (sk_classified_secret_42)');
    const thrown = await classified(() => Promise.reject(bug)).catch((e: unknown) => e as Error);
    expect(thrown).not.toBe(bug);
    expect(thrown.name).toBe('TypeError');
    expect(thrown.message).toBe('cannot read x of [redacted] ([redacted])');
    const plain = await classified(() => Promise.reject('sk_classified_secret_42 as a string')).catch(
      (e: unknown) => e as Error,
    );
    expect(plain).toMatchObject({ name: 'Error', message: '[redacted] as a string' });
    // Even a thrown null or undefined becomes an Error that says what was thrown.
    for (const nothing of [null, undefined]) {
      const thrownNothing = await classified(() => Promise.reject(nothing)).catch((e: unknown) => e as Error);
      expect(thrownNothing).toBeInstanceOf(Error);
      expect(thrownNothing).toMatchObject({ name: 'Error', message: String(nothing) });
    }
  });
});

describe('deleteIdempotently', () => {
  it('deleted now, already gone (404), or a route the provider lacks — and anything else is classified', async () => {
    await expect(deleteIdempotently(async () => undefined)).resolves.toEqual({
      deleted: true,
      alreadyGone: false,
    });
    await expect(
      deleteIdempotently(() => Promise.reject(providerError({ status: 404, code: 'ENDPOINT_NOT_FOUND' }))),
    ).resolves.toEqual({ deleted: true, alreadyGone: true });
    const absent = {
      capabilityAbsent: 'tensorone.endpoints.delete' as const,
      route: 'DELETE /v2/endpoints/:endpointId',
    };
    await expect(deleteIdempotently(async () => absent)).resolves.toEqual(absent);
    await expect(
      deleteIdempotently(() => Promise.reject(providerError({ status: 503 }))),
    ).rejects.toMatchObject({
      type: 'HTTP_503',
      nonRetryable: false,
    });
    await expect(
      deleteIdempotently(() => Promise.reject(providerError({ status: 403 }))),
    ).rejects.toMatchObject({
      type: 'HTTP_403',
      nonRetryable: true,
    });
  });
});

it('adoptionRefused names the resource, its name and every difference, and is final', () => {
  const mismatches = [{ field: 'datasetId', asked: 'ds_b', found: 'ds_a' }];
  const f = adoptionRefused('training job', 'job_1', 'run--train-1', mismatches);
  expect(f).toMatchObject({ type: 'ADOPTION_MISMATCH', nonRetryable: true });
  expect(f.message).toBe(
    'training job job_1 named run--train-1 was not made from what this run asks (datasetId: asked ds_b, found ds_a); not adopting it',
  );
  expect(f.details).toEqual([{ kind: 'training job', id: 'job_1', name: 'run--train-1', mismatches }]);
});
