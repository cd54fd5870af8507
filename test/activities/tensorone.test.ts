import { createActivities } from '../../src/activities';
import { createProviderClients, type ProviderClients } from '../../src/providers/config';
import { isAbsent } from '../../src/providers/http/capabilities';
import { sandboxAdmin } from '../../sandbox/admin-client';
import type { Sandbox } from '../../sandbox/server';
import { runActivity, runActivityAttempt, runActivityResuming } from '../harness/activity-env';
import { eventually, startTestSandbox } from '../harness/sandbox';
import { startFixtureServer } from '../harness/fixture-server';

let sandbox: Sandbox;
let clients: ProviderClients;
let activities: ReturnType<typeof createActivities>;
beforeAll(async () => {
  ({ sandbox, clients } = await startTestSandbox());
  activities = createActivities(clients);
});
afterAll(() => sandbox.close());

const trainInput = {
  step: 'train-1',
  modelType: 'llm' as const,
  datasetId: 'ds_paged',
  config: { training: { epochs: 2 } },
  gpuType: 'a100',
};

/** `count` jobs of other runs, created after everything already there (the list is newest first). */
async function newerJobs(prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await sandboxAdmin(sandbox.url).seedCompletedJob(`${prefix}-${i}`, 1);
}

describe('a job looked up by its run name is found past the first page of the job list', () => {
  it('a retried create adopts its job from the second page instead of creating another', async () => {
    const first = await runActivity('wf-paged', activities.startTrainingJob, trainInput);
    expect(first).toMatchObject({ adopted: false, name: 'wf-paged--train-1' });
    await newerJobs('paged-filler', 100);
    // Precondition: the job is no longer on the first page (100 per page, newest first).
    const page1 = await clients.tensorone.jobs.list({
      limit: 100,
      offset: 0,
      sort: 'created_at',
      order: 'desc',
    });
    expect(page1.hasMore).toBe(true);
    expect(page1.jobs.map((j) => j.id)).not.toContain(first.id);

    const again = await runActivity('wf-paged', activities.startTrainingJob, trainInput);
    expect(again).toMatchObject({ adopted: true, id: first.id, name: 'wf-paged--train-1' });
    expect((await sandboxAdmin(sandbox.url).counters()).creations.jobs['wf-paged--train-1']).toBe(1);
  });

  it('duplicates of a create in doubt are found and stopped on every page, the kept job on the first', async () => {
    // Oldest first: a duplicate that will sit on the second page, then 100 other jobs, then the kept one.
    const running = { ...trainInput, name: 'wf-dups--train-1', config: { training: { epochs: 100 } } };
    const old = await clients.tensorone.jobs.create(running);
    await newerJobs('dups-filler', 100);
    const kept = await clients.tensorone.jobs.create(running);
    const page1 = await clients.tensorone.jobs.list({
      limit: 100,
      offset: 0,
      sort: 'created_at',
      order: 'desc',
    });
    expect(page1.jobs.map((j) => j.id)).toContain(kept.id);
    expect(page1.jobs.map((j) => j.id)).not.toContain(old.id);

    const res = await runActivity('wf-dups', activities.stopDuplicateTrainingJobs, {
      name: 'wf-dups--train-1',
      keepJobId: kept.id,
    });
    expect(res).toEqual({ duplicates: [old.id], stopped: [old.id] });
    expect((await clients.tensorone.jobs.get(old.id)).status).toBe('stopped');
    expect((await clients.tensorone.jobs.get(kept.id)).status).not.toBe('stopped');
  });
});

describe('a retried resume whose earlier attempt took effect is done, not refused', () => {
  const longJob = { ...trainInput, config: { training: { epochs: 100 } } };

  it('the first attempt lost its answer: the retry, answered 409, finds the job resumed and succeeds', async () => {
    const job = await clients.tensorone.jobs.create({ ...longJob, name: 'resume-lost-answer' });
    await clients.tensorone.jobs.stop(job.id, { saveCheckpoint: true });
    // The first attempt's resume reached the provider; its answer never came back.
    await clients.tensorone.jobs.resume(job.id, {});
    expect(['pending', 'running']).toContain((await clients.tensorone.jobs.get(job.id)).status);

    await expect(
      runActivityAttempt('wf-resume', 2, activities.resumeTrainingJob, { jobId: job.id }),
    ).resolves.toBeUndefined();
    expect(['pending', 'running']).toContain((await clients.tensorone.jobs.get(job.id)).status);
  });

  it('a first attempt refused 409 fails: nothing of this step resumed the job', async () => {
    const job = await clients.tensorone.jobs.create({ ...longJob, name: 'resume-first-refused' });
    await expect(
      runActivityAttempt('wf-resume', 1, activities.resumeTrainingJob, { jobId: job.id }),
    ).rejects.toMatchObject({ type: 'JOB_NOT_RESUMABLE' });
  });

  it('a retry refused for another reason while the job is still stopped fails with that reason', async () => {
    const job = await clients.tensorone.jobs.create({ ...longJob, name: 'resume-wrong-checkpoint' });
    await clients.tensorone.jobs.stop(job.id, { saveCheckpoint: true });
    const other = await sandboxAdmin(sandbox.url).seedCompletedJob('resume-other-job', 1);
    const [foreign] = (await clients.tensorone.checkpoints.list(other.jobId, { limit: 100 })).checkpoints;
    await expect(
      runActivityAttempt('wf-resume', 2, activities.resumeTrainingJob, {
        jobId: job.id,
        checkpointId: foreign.id,
      }),
    ).rejects.toMatchObject({ type: 'CHECKPOINT_MISMATCH' });
    expect((await clients.tensorone.jobs.get(job.id)).status).toBe('stopped');
  });
});

describe('a job stopped unless it ended (a pipeline that did not deploy, the reconciler)', () => {
  const stopIfRunning = async (jobId: string) => {
    const fromMs = Date.now();
    const outcome = await runActivity('wf-stop-if-running', activities.stopTrainingJobIfRunning, {
      jobId,
      reason: 'test',
    });
    const requests = sandbox.state.requestLog.filter((r) => r.at >= fromMs && r.path.includes(jobId));
    return { outcome, requests: requests.map((r) => `${r.method} ${r.path.split(jobId)[1] || '/'}`) };
  };
  const finals = (jobId: string) => sandbox.state.jobCheckpoints(jobId).filter((c) => c.type === 'final');

  it('a running job the job GET says ended (a lie) is stopped all the same, with a checkpoint: the stop is the one request', async () => {
    const job = sandbox.state.createJob({ name: 'ended-by-its-read', totalEpochs: 1000 });
    await eventually(() => sandbox.state.advance(job).completedEpochs >= 1);
    sandbox.state.faults = {
      ...sandbox.state.faults,
      spuriousStatus: 'cancelled',
      spuriousStatusAtEpoch: 1,
      spuriousStatusJobNameContains: 'ended-by-its-read',
    };
    const { outcome, requests } = await stopIfRunning(job.id).finally(() => {
      sandbox.state.faults = { ...sandbox.state.faults, spuriousStatus: undefined };
    });
    expect(outcome).toEqual({ stopped: true, status: 'stopped' });
    expect(requests).toEqual(['POST /stop']);
    expect(job.status).toBe('stopped');
    expect(finals(job.id)).toHaveLength(1);
  });

  it('a completed job: the stop refused 409 names its status; a job stopped before: no second checkpoint', async () => {
    const done = sandbox.state.createJob({ name: 'ended-truly', totalEpochs: 1 });
    await eventually(() => sandbox.state.advance(done).status === 'completed');
    expect(await stopIfRunning(done.id)).toEqual({
      outcome: { stopped: false, status: 'completed' },
      requests: ['POST /stop'],
    });
    expect(done.status).toBe('completed');

    const stopped = sandbox.state.createJob({ name: 'stopped-before', totalEpochs: 1000 });
    await eventually(() => sandbox.state.advance(stopped).completedEpochs >= 1);
    sandbox.state.stopJob(stopped, true);
    expect((await stopIfRunning(stopped.id)).outcome).toMatchObject({ status: 'stopped' });
    expect(finals(stopped.id)).toHaveLength(1);
  });

  it('a 409 that names a status the job still bills in (a refusal for another reason) is not believed: it fails, nothing is claimed', async () => {
    const fixtures = await startFixtureServer({
      'POST /t1/v2/training/jobs/job_busy/stop': {
        status: 409,
        body: { error: 'JOB_BUSY', message: 'a checkpoint is being saved', details: { status: 'running' } },
      },
      'POST /t1/v2/training/jobs/job_gone/stop': {
        status: 404,
        body: { error: 'NOT_FOUND', message: 'no such route' },
      },
    });
    const base = { baseURL: `${fixtures.url}/t1`, apiKey: 'k-123456' };
    const fixtureActivities = createActivities(
      createProviderClients({ tensorone: base, tensormesh: base, marqtune: base }),
    );
    try {
      for (const jobId of ['job_busy', 'job_gone'])
        await expect(
          runActivity('wf-stop-refused', fixtureActivities.stopTrainingJobIfRunning, {
            jobId,
            reason: 'test',
          }),
        ).rejects.toBeDefined();
    } finally {
      await fixtures.close();
    }
  });
});

describe('smokeTestEndpoint hands the workflow the status runsync answered', () => {
  let endpointId: string;
  beforeAll(async () => {
    const { jobId } = await sandboxAdmin(sandbox.url).seedCompletedJob('smoke-status', 2);
    const page = await clients.tensorone.checkpoints.list(jobId);
    const ep = await clients.tensorone.endpoints.create({
      name: 'smoke-status-ep',
      checkpointId: page.bestCheckpointId!,
      gpuIds: ['a100'],
      workerCount: 1,
    });
    endpointId = ep.id;
    await eventually(async () => {
      const got = await clients.tensorone.endpoints.get(ep.id);
      return (!isAbsent(got) && got.status === 'active') || undefined;
    });
  });
  afterEach(() => {
    sandbox.state.faults = { ...sandbox.state.faults, inferenceStatus: undefined };
  });

  it('COMPLETED with the output, trimmed to a preview', async () => {
    const res = await runActivity('wf-smoke', activities.smokeTestEndpoint, {
      endpointId,
      sampleInput: { prompt: 'hello' },
    });
    expect(res).toEqual({ status: 'COMPLETED', outputPreview: '{"text":"echo: hello"}' });
  });

  it('beats while runsync waits (its heartbeat timeout is seconds): at once, then every 2 s', async () => {
    sandbox.state.faults = { ...sandbox.state.faults, latencyMs: 2_500 };
    try {
      const { result, heartbeats } = await runActivityResuming(
        { workflowId: 'wf-smoke', attempt: 1 },
        activities.smokeTestEndpoint,
        { endpointId, sampleInput: { prompt: 'slow' } },
      );
      expect(result?.status).toBe('COMPLETED');
      expect(heartbeats.length).toBeGreaterThanOrEqual(2);
    } finally {
      sandbox.state.faults = { ...sandbox.state.faults, latencyMs: 0 };
    }
  });

  it.each(['FAILED', 'IN_QUEUE'])(
    'a 200 answer with status %s and no output is handed back as that status, not as a success',
    async (answered) => {
      sandbox.state.faults = { ...sandbox.state.faults, inferenceStatus: answered };
      const res = await runActivity('wf-smoke', activities.smokeTestEndpoint, {
        endpointId,
        sampleInput: { prompt: 'hello' },
      });
      expect(res).toEqual({ status: answered, outputPreview: 'null' });
      expect(sandbox.state.faultsInjected.inferenceStatus).toBeGreaterThanOrEqual(1);
    },
  );
});

describe('probeEndpoints counts what speaks about an endpoint, and refuses to blame it for the rest', () => {
  const endpoints: string[] = [];
  beforeAll(async () => {
    const { jobId } = await sandboxAdmin(sandbox.url).seedCompletedJob('probe-figures', 2);
    const page = await clients.tensorone.checkpoints.list(jobId);
    for (const name of ['probe-champion-ep', 'probe-challenger-ep']) {
      const ep = await clients.tensorone.endpoints.create({
        name,
        checkpointId: page.bestCheckpointId!,
        gpuIds: ['a100'],
        workerCount: 1,
      });
      endpoints.push(ep.id);
      await eventually(async () => {
        const got = await clients.tensorone.endpoints.get(ep.id);
        return (!isAbsent(got) && got.status === 'active') || undefined;
      });
    }
  });
  afterEach(() => {
    sandbox.state.faults = {
      ...sandbox.state.faults,
      degradedInference: undefined,
      inferenceStatus: undefined,
    };
  });
  const inputs = [{ prompt: 'a' }, { prompt: 'b' }, { prompt: 'c' }, { prompt: 'd' }];

  it('each input reaches each endpoint once; a slow challenger is measured beside a healthy champion', async () => {
    sandbox.state.faults = {
      ...sandbox.state.faults,
      degradedInference: { endpointNameContains: 'probe-challenger', latencyMs: 600, errorRate: 0 },
    };
    const [champion, challenger] = await runActivity('wf-probe', activities.probeEndpoints, {
      endpointIds: endpoints,
      inputs,
    });
    expect(champion).toMatchObject({ sent: 4, errors: 0, errorRate: 0 });
    expect(challenger).toMatchObject({ sent: 4, errors: 0, errorRate: 0 });
    expect(challenger.p95Ms).toBeGreaterThanOrEqual(600);
    expect(champion.p95Ms).toBeLessThan(challenger.p95Ms! - 300);
  });

  it('500s and a 200 with status FAILED are errors of that endpoint; the other endpoint is unaffected', async () => {
    sandbox.state.faults = {
      ...sandbox.state.faults,
      degradedInference: { endpointNameContains: 'probe-challenger', latencyMs: 0, errorRate: 1 },
    };
    const [champion, challenger] = await runActivity('wf-probe', activities.probeEndpoints, {
      endpointIds: endpoints,
      inputs,
    });
    expect(challenger).toEqual({ sent: 4, errors: 4, errorRate: 1 }); // no p95: nothing was answered
    expect(champion).toMatchObject({ sent: 4, errors: 0 });

    sandbox.state.faults = {
      ...sandbox.state.faults,
      degradedInference: undefined,
      inferenceStatus: 'FAILED',
    };
    const [failed] = await runActivity('wf-probe', activities.probeEndpoints, {
      endpointIds: [endpoints[0]],
      inputs,
    });
    expect(failed).toEqual({ sent: 4, errors: 4, errorRate: 1 });
  });

  it('an endpoint that no longer exists counts as failing, not as the probe failing', async () => {
    const [gone] = await runActivity('wf-probe', activities.probeEndpoints, {
      endpointIds: ['ep_no_such_endpoint'],
      inputs: inputs.slice(0, 2),
    });
    expect(gone).toEqual({ sent: 2, errors: 2, errorRate: 1 });
  });

  it('a refusal of the account (403) ends the probe at once: the model is not blamed for the key', async () => {
    sandbox.state.faults = {
      ...sandbox.state.faults,
      errorRate: 1,
      errorStatus: 403,
      routePattern: 'runsync$',
    };
    try {
      const refused = await runActivity('wf-probe', activities.probeEndpoints, {
        endpointIds: endpoints,
        inputs,
      }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ nonRetryable: true });
    } finally {
      sandbox.state.faults = {
        ...sandbox.state.faults,
        errorRate: 0,
        errorStatus: undefined,
        routePattern: undefined,
      };
    }
  });
});
