import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { PipelineInput } from '../../src/domain/pipeline-input';
import { NO_FAULTS } from '../../sandbox/faults';
import { approveSignal, cancelSignal, statusQuery } from '../../src/workflows/pipeline/contract';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { advanceUntil, startPipeline, useWorkflowTestBed } from '../harness/workflow-env';
import { fineTuneToDeploy } from '../../src/workflows';

/**
 * What the pipeline owns, under a hostile provider: a rerun creates anew, the deployed artifact is the
 * gated one, a cancel in the middle of a create leaves nothing billed, a late-acted create's duplicate
 * is stopped. The TensorOne client gives up after 3 s here, so a "late" provider costs seconds, not 30.
 */
const bed = useWorkflowTestBed({}, { tensoroneTimeoutMs: 3000 });

const start = (input: PipelineInput) => startPipeline(bed, input);
const run = (input: PipelineInput) => bed.withWorker(async () => (await start(input)).result());

async function failureOf(input: PipelineInput): Promise<ApplicationFailure> {
  const err = await run(input).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause = (err as WorkflowFailedError).cause;
  while (cause && !(cause instanceof ApplicationFailure)) cause = (cause as Error & { cause?: Error }).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

const jobsNamed = (name: string) =>
  [...bed.sandbox.state.jobs.values()]
    .filter((j) => j.name.startsWith(`pipeline-${name}--`))
    .map((j) => bed.sandbox.state.advance(j));
const endpointsNamed = (name: string) =>
  [...bed.sandbox.state.endpoints.values()].filter((e) => e.name.startsWith(`pipeline-${name}--`));
const registryModelOf = (jobId: string) =>
  [...bed.sandbox.state.registry.values()].find((m) => m.trainingJobId === jobId)!;

/** Waits in real time (the time-skipping server does not skip while no one awaits a result). */
async function waitFor(probe: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not reached in real time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const short = (epochs: number, over: Parameters<typeof tensoroneTrain>[0] = {}) =>
  tensoroneTrain({ config: { strategy: 'lora', training: { epochs, learning_rate: 2e-4 } }, ...over });

describe('a rerun owns only what it creates', () => {
  it('a rerun with another dataset and epochs trains a new job and deploys a new endpoint, adopting none', async () => {
    const first = await run(pipelineInput('rerun', { train: short(2) }));
    expect(first.outcome).toBe('deployed');
    const second = await run(pipelineInput('rerun', { train: short(3, { datasetId: 'ds_support_v2' }) }));
    expect(second.outcome).toBe('deployed');
    expect(second.jobId).not.toBe(first.jobId);
    expect(second.deployment?.id).not.toBe(first.deployment?.id);
    const job = bed.sandbox.state.jobs.get(second.jobId!)!;
    expect(job.datasetId).toBe('ds_support_v2');
    expect(job.totalEpochs).toBe(3);
    expect(second.checkpoint?.checkpointId).toContain(second.jobId!.slice(4));
    expect(jobsNamed('rerun')).toHaveLength(2);
  });
});

describe('the registry deploys what was gated', () => {
  it('gates, reports and deploys the job’s registered model; the result names it with the registry’s metric', async () => {
    const result = await run(
      pipelineInput('registry-gated', {
        train: short(10),
        deploy: { target: 'tensorone-registry', environment: 'staging', gpuType: 'a100', workers: 1 },
      }),
    );
    const model = registryModelOf(result.jobId!);
    expect(result.checkpoint).toMatchObject({
      registeredModelId: model.id,
      type: 'final',
      value: model.metrics.validationLoss,
    });
    const served = bed.sandbox.state.endpoints.get(result.deployment!.id)!;
    expect(served.modelId).toBe(model.id);
    // The final checkpoint, what the registered model is made from, survives cleanup.
    expect(bed.sandbox.state.checkpoints.get(result.checkpoint!.checkpointId)?.type).toBe('final');
  });

  it('a second pipeline asking for a version that exists is refused and serves nothing of the other’s', async () => {
    const base = await run(pipelineInput('version-base', { train: short(1) }));
    const baseModel = registryModelOf(base.jobId!);
    const deploy = {
      target: 'tensorone-registry' as const,
      environment: 'staging',
      gpuType: 'a100',
      workers: 1,
      versionOf: { modelId: baseModel.id, version: 'v7.0.0' },
    };
    const first = await run(pipelineInput('version-a', { train: short(2), deploy }));
    expect(first.outcome).toBe('deployed');
    const f = await failureOf(pipelineInput('version-b', { train: short(2), deploy }));
    expect(f.type).toBe('VERSION_EXISTS');
    expect(f.message).toContain('v7.0.0');
    expect(f.message).toContain('not provably');
    expect(endpointsNamed('version-b')).toHaveLength(0);
    expect(baseModel.versions.filter((v) => v.version === 'v7.0.0')).toEqual([
      expect.objectContaining({ trainingJobId: first.jobId }),
    ]);
  });

  it('never deploys a registry model of another job, even when the registry ignores the job filter', async () => {
    await run(pipelineInput('other-model', { train: short(1) }));
    const registryDeployments = () =>
      [...bed.sandbox.state.endpoints.values()].filter((e) => e.kind === 'registry').length;
    const before = registryDeployments();
    bed.sandbox.state.faults = { ...NO_FAULTS, registryIgnoresJobFilter: true };
    // Stopped by its budget: the job has no registered model of its own.
    const f = await failureOf(
      pipelineInput('no-own-model', {
        train: short(40),
        budget: { maxCost: 8 },
        deploy: { target: 'tensorone-registry', environment: 'staging', gpuType: 'a100', workers: 1 },
      }),
    );
    expect(f.type).toBe('MODEL_NOT_FOUND');
    expect(f.message).toMatch(/has no registered model/);
    expect(endpointsNamed('no-own-model')).toHaveLength(0);
    expect(registryDeployments()).toBe(before);
  });
});

// The create's answer is held 2.5 s (under the client's 3 s): the cancel arrives while it is awaited.
describe('a cancel in the middle of a create leaves nothing billed', () => {
  /** Cancels, and checks that `status` lists what the result lists. */
  const cancelled = async (handle: WorkflowHandle<typeof fineTuneToDeploy>) => {
    await handle.signal(cancelSignal, { reason: 'test' });
    const result = await handle.result();
    const status = await handle.query(statusQuery);
    expect(status.phase).toBe('cancelled');
    expect(status.stoppedJobs).toEqual(result.stoppedJobs);
    expect(status.removedDeployments).toEqual(result.removedDeployments);
    return result;
  };

  it('the job whose create was still answering is stopped, and the result says so', async () => {
    bed.sandbox.state.faults = {
      ...NO_FAULTS,
      slowCreates: {
        routePattern: '^/tensorone/v2/training/jobs$',
        actAfterMs: 0,
        answerAfterMs: 2500,
        count: 1,
      },
    };
    const result = await bed.withWorker(async () => {
      const handle = await start(pipelineInput('cancel-job-create'));
      await waitFor(() => jobsNamed('cancel-job-create').length > 0);
      return cancelled(handle);
    });
    expect(result.outcome).toBe('cancelled');
    const [job] = jobsNamed('cancel-job-create');
    expect(job.status).toBe('stopped');
    expect(result.stoppedJobs).toEqual([job.id]);
    expect(jobsNamed('cancel-job-create')).toHaveLength(1);
  });

  it('the endpoint whose create was still answering is removed, and the result says so', async () => {
    const input = pipelineInput('cancel-endpoint-create', {
      train: short(1),
      gate: { approval: { required: true, timeout: '24h', onTimeout: 'reject' } },
    });
    const result = await bed.withWorker(async () => {
      const handle = await start(input);
      await advanceUntil(
        bed.env,
        async () => (await handle.query(statusQuery)).phase === 'awaiting-approval',
      );
      bed.sandbox.state.faults = {
        ...NO_FAULTS,
        slowCreates: {
          routePattern: '^/tensorone/v2/endpoints$',
          actAfterMs: 0,
          answerAfterMs: 2500,
          count: 1,
        },
      };
      await handle.signal(approveSignal, { by: 'test' });
      await waitFor(() => endpointsNamed('cancel-endpoint-create').length > 0);
      return cancelled(handle);
    });
    expect(result.outcome).toBe('cancelled');
    expect(endpointsNamed('cancel-endpoint-create')).toHaveLength(0);
    expect(result.removedDeployments).toHaveLength(1);
    expect(result.stoppedJobs).toBeUndefined(); // the job had completed: nothing to stop
  });
});

describe('a pipeline that fails leaves nothing billed', () => {
  const failedStatus = async (input: PipelineInput) =>
    bed.withWorker(async () => {
      const handle = await start(input);
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      return handle.query(statusQuery);
    });

  it('a job still running when supervision gives up is stopped with a checkpoint, and status lists it', async () => {
    bed.sandbox.state.faults = { ...NO_FAULTS, stallAtEpoch: 2, stallJobNameContains: 'pipeline-gives-up--' };
    const input = pipelineInput('gives-up', {
      train: short(4),
      supervision: { ...pipelineInput('x').supervision, resumeBudget: 0 },
    });
    const status = await failedStatus(input);
    expect(status.phase).toBe('failed');
    expect(status.failure).toMatch(/RESUME_BUDGET_EXHAUSTED/);
    const [job] = jobsNamed('gives-up');
    expect(job.status).toBe('stopped');
    expect(status.stoppedJobs).toEqual([job.id]);
  });

  it('a deployment that failed is removed and status lists it; the completed job is left alone', async () => {
    bed.sandbox.state.faults = { ...NO_FAULTS, failDeployments: true };
    const status = await failedStatus(pipelineInput('deploy-removed', { train: short(1) }));
    expect(status.failure).toMatch(/DEPLOY_FAILED/);
    expect(endpointsNamed('deploy-removed')).toHaveLength(0);
    expect(status.removedDeployments).toEqual([status.deployment?.id]);
    expect(status.deployment?.status).toBe('removed');
    expect(status.stoppedJobs).toBeUndefined();
    expect(jobsNamed('deploy-removed')[0].status).toBe('completed');
  });
});

describe('a create the provider acts on after the client gave up', () => {
  it('the duplicate job is stopped and reported; the pipeline deploys the one it kept', async () => {
    bed.sandbox.state.faults = {
      ...NO_FAULTS,
      slowCreates: {
        routePattern: '^/tensorone/v2/training/jobs$',
        actAfterMs: 6000,
        answerAfterMs: 0,
        count: 1,
      },
    };
    const result = await bed.withWorker(async () => {
      const handle = await start(pipelineInput('late-create', { train: short(3) }));
      // Both creates land before virtual time moves on: the retry's, then the late one.
      await waitFor(() => jobsNamed('late-create').length === 2);
      return await handle.result();
    });
    expect(result.outcome).toBe('deployed');
    const jobs = jobsNamed('late-create');
    expect(jobs).toHaveLength(2);
    const duplicate = jobs.find((j) => j.id !== result.jobId)!;
    expect(result.duplicateJobs).toEqual([duplicate.id]);
    expect(duplicate.status).toBe('stopped');
    expect(duplicate.completedEpochs).toBeLessThan(3);
    expect(bed.sandbox.state.jobs.get(result.jobId!)!.status).toBe('completed');
  });
});
