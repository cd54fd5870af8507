import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../src/activities';
import { runActivity, runActivityAttempt, runActivityResuming } from '../harness/activity-env';
import type { BatchDeletionProgress } from '../../src/activities/batch-deletions';
import { createProviderClients } from '../../src/providers/config';
import { sandboxAdmin } from '../../sandbox/admin-client';
import type { Sandbox } from '../../sandbox/server';
import { eventually, startTestSandbox } from '../harness/sandbox';

let sandbox: Sandbox;
let activities: ReturnType<typeof createActivities>;
beforeAll(async () => {
  ({ sandbox } = await startTestSandbox());
  activities = createActivities(createProviderClients(sandbox.endpoints));
});
afterAll(() => sandbox.close());

/** First attempt: the provider creates the resource but the answer is lost. Second attempt: must adopt it. */
async function createThroughLostResponse<T>(routePattern: string, attempt: () => Promise<T>): Promise<T> {
  const admin = sandboxAdmin(sandbox.url);
  await admin.setFaults({ lostCreateRate: 1, routePattern });
  const first = await attempt().catch((e: unknown) => e);
  expect(first).toBeInstanceOf(ApplicationFailure);
  expect(first).toMatchObject({ type: 'NETWORK_ERROR', nonRetryable: false });
  await admin.setFaults({});
  return attempt();
}

describe('a create whose response was lost is adopted on retry, not duplicated', () => {
  it('training job', async () => {
    const input = {
      step: 'train-1',
      modelType: 'llm' as const,
      datasetId: 'ds_a',
      config: { training: { epochs: 2 } },
      gpuType: 'a100',
    };
    const job = await createThroughLostResponse('/v2/training/jobs$', () =>
      runActivity('wf-adopt-job', activities.startTrainingJob, input),
    );
    expect(job.adopted).toBe(true);
    expect(job.name).toBe('wf-adopt-job--train-1');
    const counters = await sandboxAdmin(sandbox.url).counters();
    expect(counters.creations.jobs['wf-adopt-job--train-1']).toBe(1);
    expect(counters.faultsInjected.lostCreateResponse).toBeGreaterThanOrEqual(1);
  });

  it('checkpoint endpoint', async () => {
    const job = await runActivity('wf-adopt-ep', activities.startTrainingJob, {
      step: 'train-1',
      modelType: 'llm' as const,
      datasetId: 'ds_a',
      config: { training: { epochs: 1 } },
      gpuType: 'a100',
    });
    const page = await eventually(async () => {
      const p = await runActivity('wf-adopt-ep', activities.listCheckpoints, { jobId: job.id });
      return p.bestCheckpointId ? p : undefined;
    });
    const input = {
      step: 'deploy-1',
      checkpointId: page.bestCheckpointId!,
      gpuIds: ['a100'],
      workerCount: 1,
    };
    const ep = await createThroughLostResponse('/v2/endpoints$', () =>
      runActivity('wf-adopt-ep', activities.deployCheckpointEndpoint, input),
    );
    expect(ep.adopted).toBe(true);
    expect((await sandboxAdmin(sandbox.url).counters()).creations.endpoints['wf-adopt-ep--deploy-1']).toBe(1);
  });

  it('TensorMesh served model', async () => {
    const input = {
      step: 'serve-1',
      userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
      modelPath: 'm',
      gpuCount: 1,
      gpuType: 'GPU_TYPE_A100' as const,
    };
    const served = await createThroughLostResponse('/v1/models$', () =>
      runActivity('wf-adopt-mesh', activities.provisionServedModel, input),
    );
    expect(served.adopted).toBe(true);
    expect((await sandboxAdmin(sandbox.url).counters()).creations.meshModels['wf-adopt-mesh--serve-1']).toBe(
      1,
    );
  });

  it('a job found under the name is adopted only when made from what is asked: another dataset is refused, naming both', async () => {
    const input = {
      step: 'train-1',
      modelType: 'llm' as const,
      datasetId: 'ds_first',
      config: { training: { epochs: 2 } },
      gpuType: 'a100',
    };
    // A run in flight when the worker was upgraded passes no name basis: its name stays the workflow id's.
    const first = await runActivity('wf-mismatch', activities.startTrainingJob, input);
    expect(first).toMatchObject({ adopted: false, name: 'wf-mismatch--train-1' });
    const again = await runActivity('wf-mismatch', activities.startTrainingJob, input);
    expect(again).toMatchObject({ adopted: true, id: first.id });
    const err = await runActivity('wf-mismatch', activities.startTrainingJob, {
      ...input,
      datasetId: 'ds_second',
      config: { training: { epochs: 4 } },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'ADOPTION_MISMATCH', nonRetryable: true });
    expect((err as Error).message).toContain('datasetId: asked ds_second, found ds_first');
    expect((err as Error).message).toContain('config.training.epochs: asked 4, found 2');
    expect((await sandboxAdmin(sandbox.url).counters()).creations.jobs['wf-mismatch--train-1']).toBe(1);
  });

  it('a run-based name basis names the job after the run: another run of the same workflow creates anew', async () => {
    const input = {
      step: 'train-1',
      modelType: 'llm' as const,
      datasetId: 'ds_a',
      config: { training: { epochs: 1 } },
      gpuType: 'a100',
    };
    const a = await runActivity('wf-runs', activities.startTrainingJob, {
      ...input,
      nameBasis: 'wf-runs--r1',
    });
    const b = await runActivity('wf-runs', activities.startTrainingJob, {
      ...input,
      nameBasis: 'wf-runs--r2',
    });
    expect(a).toMatchObject({ adopted: false, name: 'wf-runs--r1--train-1', inDoubt: false });
    expect(b).toMatchObject({ adopted: false, name: 'wf-runs--r2--train-1' });
    expect(b.id).not.toBe(a.id);
  });

  it('a second delete of the same checkpoint reports it as already gone', async () => {
    const seeded = await sandboxAdmin(sandbox.url).seedCompletedJob('adopt-delete', 3);
    const page = await runActivity('wf-del', activities.listCheckpoints, {
      jobId: seeded.jobId,
      sortBy: 'epoch' as const,
      sortOrder: 'asc' as const,
    });
    const victim = page.checkpoints.find((c) => c.type === 'automatic')!;
    await expect(runActivity('wf-del', activities.deleteCheckpoint, victim.id)).resolves.toEqual({
      deleted: true,
      alreadyGone: false,
    });
    await expect(runActivity('wf-del', activities.deleteCheckpoint, victim.id)).resolves.toEqual({
      deleted: true,
      alreadyGone: true,
    });
  });
});

describe('a run-named create: one request on its first attempt, a lookup before creating on a retry', () => {
  /** The provider requests `call` makes, as `METHOD path`. */
  async function requestsOf(call: () => Promise<unknown>): Promise<string[]> {
    const from = sandbox.state.requestLog.length;
    await call();
    return sandbox.state.requestLog.slice(from).map((r) => `${r.method} ${r.path.replace(/^\/[a-z]+/, '')}`);
  }
  const train = {
    step: 'train-a100',
    modelType: 'llm' as const,
    datasetId: 'ds_a',
    config: { training: { epochs: 1 } },
    gpuType: 'a100',
  };

  it('training job: the first attempt only creates; the retry after a lost answer adopts', async () => {
    const input = { ...train, nameBasis: 'wf-one--r1' };
    await sandboxAdmin(sandbox.url).setFaults({ lostCreateRate: 1, routePattern: '/v2/training/jobs$' });
    const first = await requestsOf(() =>
      runActivityAttempt('wf-one', 1, activities.startTrainingJob, input).catch(() => undefined),
    );
    await sandboxAdmin(sandbox.url).setFaults({});
    expect(first).toEqual(['POST /v2/training/jobs']);
    const retried = await runActivityAttempt('wf-one', 2, activities.startTrainingJob, input);
    expect(retried).toMatchObject({ adopted: true, inDoubt: true, name: 'wf-one--r1--train-a100' });
    expect((await sandboxAdmin(sandbox.url).counters()).creations.jobs['wf-one--r1--train-a100']).toBe(1);
  });

  it('checkpoint endpoint and TensorMesh model: the first attempt makes the create request alone', async () => {
    const { jobId } = await sandboxAdmin(sandbox.url).seedCompletedJob('one-request-ep', 2);
    const checkpointId = sandbox.state.jobCheckpoints(jobId)[0].id;
    const endpoint = await requestsOf(() =>
      runActivityAttempt('wf-one-ep', 1, activities.deployCheckpointEndpoint, {
        step: 'deploy',
        nameBasis: 'wf-one-ep--r1',
        checkpointId,
        gpuIds: ['a100'],
        workerCount: 1,
      }),
    );
    expect(endpoint).toEqual(['POST /v2/endpoints']);
    const served = await requestsOf(() =>
      runActivityAttempt('wf-one-mesh', 1, activities.provisionServedModel, {
        step: 'deploy',
        nameBasis: 'wf-one-mesh--r1',
        userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
        modelPath: 'm',
        gpuCount: 1,
        gpuType: 'GPU_TYPE_A100' as const,
      }),
    );
    expect(served).toEqual(['POST /v1/models']);
  });
});

describe("a delete whose answer was lost counts as this run's deletion", () => {
  it('the retry answered 404 is counted (not "already gone"); a first ask answered 404 is not', async () => {
    const admin = sandboxAdmin(sandbox.url);
    const { jobId } = await admin.seedCompletedJob('lost-delete', 3);
    const [victim, other] = sandbox.state.checkpoints.ofJob(jobId).filter((c) => c.type === 'automatic');
    await admin.setFaults({ lostDeleteRate: 1, routePattern: `${victim.id}$` });
    const first = await runActivityAttempt('wf-lost-del', 1, activities.deleteCheckpoint, victim.id).catch(
      (e: unknown) => e,
    );
    await admin.setFaults({});
    expect(first).toMatchObject({ type: 'NETWORK_ERROR', nonRetryable: false });
    // The provider did delete it: the answer alone was lost.
    expect(sandbox.state.checkpoints.ofJob(jobId).map((c) => c.id)).not.toContain(victim.id);
    await expect(
      runActivityAttempt('wf-lost-del', 2, activities.deleteCheckpoint, victim.id),
    ).resolves.toEqual({
      deleted: true,
      alreadyGone: false,
      answerLost: true,
    });
    // Someone else deleted `other` before this activity's first ask: not this run's deletion.
    sandbox.state.checkpoints.delete(other.id);
    await expect(
      runActivityAttempt('wf-lost-del', 1, activities.deleteCheckpoint, other.id),
    ).resolves.toEqual({
      deleted: true,
      alreadyGone: true,
    });
  });
});

describe("a cleanup's batch of deletions resumes from its heartbeat", () => {
  it('one id failing does not hold up a batch; its retry asks only what the heartbeat lacks, counts nothing twice, and a 404 to the retry counts as its own lost answer', async () => {
    const admin = sandboxAdmin(sandbox.url);
    const { jobId } = await admin.seedCompletedJob('batch-resume', 20);
    const automatic = sandbox.state.checkpoints
      .ofJob(jobId)
      .filter((c) => c.type === 'automatic')
      .sort((a, b) => (a.epoch ?? 0) - (b.epoch ?? 0));
    // The cleanup's plan keeps the newest two automatic ones (and best, final): not in the batch.
    const batch = automatic.slice(0, 18).map((c) => c.id);
    const kept = sandbox.state.checkpoints
      .ofJob(jobId)
      .map((c) => c.id)
      .filter((id) => !batch.includes(id));
    const present = () => new Set(sandbox.state.checkpoints.ofJob(jobId).map((c) => c.id));

    // Attempt 1: the 4th id answers 500 (retryable): the others are still deleted, then the attempt fails.
    await admin.setFaults({ errorRate: 1, errorStatus: 500, routePattern: `${batch[3]}$` });
    const first = await runActivityResuming(
      { workflowId: 'wf-batch', attempt: 1 },
      activities.deleteCheckpoints,
      { checkpointIds: batch, concurrency: 3 },
    );
    await admin.setFaults({});
    expect(first.error).toBeInstanceOf(ApplicationFailure);
    // It made progress: asked again in 1 s, not after a backoff grown by earlier (also useful) attempts.
    expect(first.error).toMatchObject({ nonRetryable: false, nextRetryDelay: 1000 });
    const last = first.heartbeats.at(-1) as BatchDeletionProgress;
    // One id's 5xx held up nothing else; every deletion it made is in its last heartbeat, nothing else is.
    const goneAfterFirst = batch.filter((id) => !present().has(id));
    expect([...goneAfterFirst].sort()).toEqual(batch.filter((id) => id !== batch[3]).sort());
    expect([...last.deleted].sort()).toEqual([...goneAfterFirst].sort());
    expect(last.alreadyGone).toEqual([]);
    expect(present().has(batch[3])).toBe(true);

    // The worker died before its last heartbeat reached the server: the retry starts from the one before
    // (one deletion unrecorded).
    const unrecorded = last.deleted.at(-1)!;
    const stale: BatchDeletionProgress = { deleted: last.deleted.slice(0, -1), alreadyGone: [] };
    const logFrom = sandbox.state.requestLog.length;
    const second = await runActivityResuming(
      { workflowId: 'wf-batch', attempt: 2, heartbeatDetails: stale },
      activities.deleteCheckpoints,
      { checkpointIds: batch, concurrency: 4 },
    );
    expect(second.error).toBeUndefined();
    const deletesAsked = sandbox.state.requestLog
      .slice(logFrom)
      .filter((r) => r.method === 'DELETE')
      .map((r) => r.path.split('/').at(-1));
    // Only what the heartbeat did not record was asked again: the failed id and the unrecorded one.
    expect([...deletesAsked].sort()).toEqual([batch[3], unrecorded].sort());
    const outcomes = new Map(second.result!.outcomes.map((o) => [o.checkpointId, o.alreadyGone]));
    expect([...outcomes.keys()]).toEqual(batch);
    // Counted once: from the heartbeat, or by this attempt; the unrecorded deletion answers 404 to this
    // retry and counts as this run's deletion whose answer was lost.
    expect(outcomes.get(unrecorded)).toBe(false);
    expect(second.result!.outcomes.filter((o) => o.answerLost).map((o) => o.checkpointId)).toEqual([
      unrecorded,
    ]);
    expect([...outcomes.values()].filter((gone) => !gone)).toHaveLength(batch.length);
    for (const id of stale.deleted) expect(outcomes.get(id)).toBe(false);
    // The whole batch is gone; nothing outside it was touched.
    expect(batch.filter((id) => present().has(id))).toEqual([]);
    expect(kept.every((id) => present().has(id))).toBe(true);
  });
});

describe('exactly-once on documented routes: no lookup route to adopt from', () => {
  let doc: Sandbox;
  let docActivities: ReturnType<typeof createActivities>;
  beforeAll(async () => {
    ({ sandbox: doc } = await startTestSandbox({ profile: 'documented' }));
    docActivities = createActivities(createProviderClients(doc.endpoints));
  });
  afterAll(() => doc.close());

  /** Attempt 1 creates and loses the answer; attempt 2 runs without a lookup. */
  async function lostThenRetried<T>(routePattern: string, call: (attempt: number) => Promise<T>) {
    const admin = sandboxAdmin(doc.url);
    await admin.setFaults({ lostCreateRate: 1, routePattern });
    await expect(call(1)).rejects.toMatchObject({ type: 'NETWORK_ERROR', nonRetryable: false });
    await admin.setFaults({});
    return call(2);
  }

  it('a checkpoint endpoint is created again and the result names the possible duplicate', async () => {
    const { jobId } = await sandboxAdmin(doc.url).seedCompletedJob('doc-adopt-ep', 2);
    const checkpointId = doc.state.jobCheckpoints(jobId)[0].id;
    const input = { step: 'deploy-1', checkpointId, gpuIds: ['a100'], workerCount: 1 };
    const ep = await lostThenRetried('/v2/endpoints$', (n) =>
      runActivityAttempt('wf-doc-ep', n, docActivities.deployCheckpointEndpoint, input),
    );
    expect(ep.adopted).toBe(false);
    expect(ep.possibleDuplicate?.name).toBe('wf-doc-ep--deploy-1');
    expect(ep.possibleDuplicate?.reason).toMatch(/remove it by hand/);
    expect((await sandboxAdmin(doc.url).counters()).creations.endpoints['wf-doc-ep--deploy-1']).toBe(2);
    // A first attempt has nothing to warn about.
    const first = await runActivityAttempt('wf-doc-ep-2', 1, docActivities.deployCheckpointEndpoint, input);
    expect(first.possibleDuplicate).toBeUndefined();
  });

  it("a registry deployment is adopted from the model's documented deployments", async () => {
    const { jobId } = await sandboxAdmin(doc.url).seedCompletedJob('doc-adopt-reg', 2);
    const model = (
      await runActivity('wf-doc-reg', docActivities.listRegisteredModels, { trainingJobId: jobId })
    ).models[0];
    const input = {
      modelId: model.id,
      step: 'deploy-1',
      environment: 'staging',
      gpuType: 'a100',
      workers: 1,
    };
    const dep = await lostThenRetried('/deploy$', (n) =>
      runActivityAttempt('wf-doc-reg', n, docActivities.deployRegisteredModel, input),
    );
    expect(dep.adopted).toBe(true);
    expect((await sandboxAdmin(doc.url).counters()).creations.deployments['wf-doc-reg--deploy-1']).toBe(1);
  });

  it('a TensorMesh model is provisioned again under an attempt name, and the result names the possible duplicate', async () => {
    const input = {
      step: 'serve-1',
      userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
      modelPath: 'm',
      gpuCount: 1,
      gpuType: 'GPU_TYPE_A100' as const,
    };
    const served = await lostThenRetried('/v1/models$', (n) =>
      runActivityAttempt('wf-doc-mesh', n, docActivities.provisionServedModel, input),
    );
    expect(served).toMatchObject({ adopted: false, name: 'wf-doc-mesh--serve-1-a2' });
    expect(served.possibleDuplicate?.name).toBe('wf-doc-mesh--serve-1');
    const creations = (await sandboxAdmin(doc.url).counters()).creations.meshModels;
    expect(creations['wf-doc-mesh--serve-1']).toBe(1); // the lost one, named in the result
    expect(creations['wf-doc-mesh--serve-1-a2']).toBe(1);
  });
});
