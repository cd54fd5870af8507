import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { PipelineInput } from '../../src/domain/pipeline-input';
import { sandboxAdmin } from '../../sandbox/admin-client';
import { epochMetrics } from '../../sandbox/curves';
import { NO_FAULTS, type FaultConfig } from '../../sandbox/faults';
import { SANDBOX_PROFILES } from '../../sandbox/profile';
import { approveUpdate, statusQuery, type PipelineStatus } from '../../src/workflows/pipeline/contract';
import type { SuperviseInput } from '../../src/workflows/supervise/contract';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import {
  advanceUntil,
  startPipeline,
  useSharedTimeSkippingEnv,
  useWorkflowTestBed,
} from '../harness/workflow-env';
import { superviseTrainingJob } from '../../src/workflows';
import { scheduledActivities } from '../harness/history';

/** The phases of a pipeline that has not ended its training (a fleet-budget reservation comes first). */
const BEFORE_TRAINED = ['starting', 'awaiting-budget', 'training'];

/**
 * A provider that says "completed" before the job has finished (the job list, then the confirming GET)
 * gets no deploy and no cleanup: no pipeline ends deployed while its job still trains, and no
 * checkpoint of a job still training is deleted.
 */
const shared = useSharedTimeSkippingEnv();

describe.each(SANDBOX_PROFILES)('%s profile', (profile) => {
  const bed = useWorkflowTestBed({ profile, unknownRoute: 'invalid-method' }, { shared });

  const start = (input: PipelineInput) => startPipeline(bed, input);
  const jobNamed = (name: string) => {
    const job = [...bed.sandbox.state.jobs.values()].find((j) => j.name.startsWith(`pipeline-${name}--`))!;
    return bed.sandbox.state.advance(job);
  };
  const endpointsNamed = (name: string) =>
    [...bed.sandbox.state.endpoints.values()].filter((e) => e.name.startsWith(`pipeline-${name}--`));
  const deletedOf = (jobId: string) =>
    [...bed.sandbox.state.checkpoints.deleted.values()].filter((c) => c.jobId === jobId);
  /** Lies told since the last `lie` (the sandbox counts over the whole file). */
  let liesBefore = 0;
  const liesTold = () => (bed.sandbox.state.faultsInjected.statusLie ?? 0) - liesBefore;
  const lie = (looks: number, name: string) => {
    liesBefore = bed.sandbox.state.faultsInjected.statusLie ?? 0;
    bed.sandbox.state.faults = {
      ...NO_FAULTS,
      statusLie: { status: 'completed', atEpoch: 4, looks, jobNameContains: name },
    };
  };
  /** The pipeline's status once it has left training, or training has reached `epoch`. */
  const trainedTo = (handle: { query: (q: typeof statusQuery) => Promise<PipelineStatus> }, epoch: number) =>
    advanceUntil(bed.env, async () => {
      const s = await handle.query(statusQuery);
      return !BEFORE_TRAINED.includes(s.phase) || (s.training?.epoch ?? 0) >= epoch ? s : undefined;
    });

  it('"completed" on two looks in a row (list, then GET) at epoch 4 of 20: no deploy, no checkpoint of the running job deleted; the real best is deployed after the real end', async () => {
    lie(2, 'pipeline-lying-done--');
    const result = await bed.withWorker(async () => {
      const handle = await start(
        pipelineInput('lying-done', { train: tensoroneTrain({ config: { training: { epochs: 20 } } }) }),
      );
      const later = await trainedTo(handle, 8);
      expect(liesTold()).toBe(2);
      // Four epochs after the lie: still training, nothing deployed, nothing deleted.
      expect(later.phase).toBe('training');
      expect(endpointsNamed('lying-done')).toHaveLength(0);
      expect(deletedOf(later.jobId!)).toEqual([]);
      expect(jobNamed('lying-done').status).toBe('running');
      return handle.result();
    });
    expect(result.outcome).toBe('deployed');
    const job = jobNamed('lying-done');
    expect(job).toMatchObject({ status: 'completed', completedEpochs: 20 });
    // The best of all 20 epochs, not of the 3 done when the lie came.
    const losses = [...Array(20).keys()].map(
      (i) => epochMetrics(bed.sandbox.state.options.seed, job.name, i + 1, 20).validationLoss,
    );
    expect(result.checkpoint?.value).toBe(Math.min(...losses));
  });

  it('a "completed" that never stops short of the total is given up on past the grace: COMPLETION_DOUBTED names the job, which is stopped; nothing deployed or deleted', async () => {
    lie(1_000_000, 'pipeline-always-done--');
    const input = pipelineInput('always-done', {
      train: tensoroneTrain({ config: { training: { epochs: 20 } } }),
      supervision: { ...pipelineInput('x').supervision, unknownStatusGrace: '15m' },
    });
    const err = await bed.withWorker(async () => (await start(input)).result().catch((e: unknown) => e));
    expect(err).toBeInstanceOf(WorkflowFailedError);
    let cause = (err as WorkflowFailedError).cause;
    while (cause && !(cause instanceof ApplicationFailure))
      cause = (cause as Error & { cause?: Error }).cause;
    const job = jobNamed('always-done');
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('COMPLETION_DOUBTED');
    expect(cause!.message).toContain(`training job ${job.id} answered "completed" at step`);
    expect(cause!.message).toContain('stopped with a saved checkpoint');
    expect(job.status).toBe('stopped');
    expect(job.completedEpochs).toBeLessThan(20);
    expect(endpointsNamed('always-done')).toHaveLength(0);
    expect(deletedOf(job.id)).toEqual([]);
  });

  /**
   * A gated pipeline whose job the provider runs again while the gate awaits approval (resumed by hand,
   * or a completion it takes back), approved with `faults` set: its status once it has failed.
   */
  async function approvedAfterTrainingAgain(
    name: string,
    faults: Partial<FaultConfig> = {},
  ): Promise<PipelineStatus> {
    const input = pipelineInput(name, {
      train: tensoroneTrain({ config: { training: { epochs: 3 } } }),
      gate: { approval: { required: true, timeout: '24h', onTimeout: 'reject' } },
    });
    return bed.withWorker(async () => {
      const handle = await start(input);
      const waiting = await advanceUntil(bed.env, async () => {
        const s = await handle.query(statusQuery);
        return s.phase === 'awaiting-approval' ? s : undefined;
      });
      const job = jobNamed(name);
      expect(job.status).toBe('completed');
      bed.sandbox.state.resumeJob(job, 2);
      bed.sandbox.state.faults = { ...NO_FAULTS, ...faults };
      try {
        await handle.executeUpdate(approveUpdate, {
          args: [{ checkpointId: waiting.candidate!.checkpointId, by: 'ada' }],
        });
        await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      } finally {
        bed.sandbox.state.faults = NO_FAULTS;
      }
      return handle.query(statusQuery);
    });
  }

  it('"completed", then training again while the gate awaits approval: the look right before the deploy refuses it (COMPLETION_DOUBTED) and the job is stopped', async () => {
    const status = await approvedAfterTrainingAgain('done-then-running');
    const job = jobNamed('done-then-running');
    expect(status.failure).toContain('COMPLETION_DOUBTED');
    expect(status.failure).toContain(`training job ${job.id} answers "pending" right before the deploy`);
    expect(endpointsNamed('done-then-running')).toHaveLength(0);
    expect(deletedOf(job.id)).toEqual([]);
    expect(job.status).toBe('stopped');
    expect(status.stoppedJobs).toEqual([job.id]);
  });

  it('"completed", then training again, and the checkpoint list refusing: the refusal is not the failure; the job\'s status is (COMPLETION_DOUBTED), and the job is stopped', async () => {
    const status = await approvedAfterTrainingAgain('done-then-running-unlisted', {
      errorRate: 1,
      errorStatus: 403,
      routePattern: '^/tensorone/v2/training/jobs/[^/]+/checkpoints',
    });
    const job = jobNamed('done-then-running-unlisted');
    expect(status.failure).toContain('COMPLETION_DOUBTED');
    expect(status.failure).toContain(`training job ${job.id} answers "pending" right before the deploy`);
    expect(endpointsNamed('done-then-running-unlisted')).toHaveLength(0);
    expect(job.status).toBe('stopped');
  });

  it("the look before deploying asks the job and its newest checkpoints in one workflow task, beside the candidate's listing", async () => {
    const input = pipelineInput('one-look-task', {
      train: tensoroneTrain({ config: { training: { epochs: 3 } } }),
    });
    const handle = await start(input);
    expect((await bed.withWorker(() => handle.result())).outcome).toBe('deployed');
    const scheduled = scheduledActivities((await handle.fetchHistory()).events ?? []);
    const look = scheduled.find((s) => s.name === 'getTrainingJob')!;
    expect(look).toBeDefined();
    expect(scheduled.filter((s) => s.task === look.task && s.name === 'listCheckpoints')).toHaveLength(2);
  });

  it('a supervision that continues as new while doubting keeps its grace clock: it gives up once, at the grace, and stops the job', async () => {
    await bed.sandbox.state.syncClock();
    const jobId = bed.sandbox.state.createJob({ name: 'doubt-across-runs', totalEpochs: 40 }).id;
    lie(1_000_000, 'doubt-across-runs');
    const handle = await bed.env.client.workflow.start(superviseTrainingJob, {
      args: [
        {
          provider: 'tensorone',
          jobId,
          freshness: '5m',
          minInterval: '30s',
          stallAfter: '30m',
          resumeBudget: 2,
          unknownStatusGrace: '3h',
          reportEvery: '20m',
          historyEventLimit: 30,
        },
      ],
      taskQueue: bed.taskQueue,
      workflowId: `supervise-doubt-across-runs-${profile}`,
    });
    const err = await bed.withWorker(() => handle.result().catch((e: unknown) => e));
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'COMPLETION_DOUBTED' });
    // The lie began at epoch 4 (30 virtual minutes in, after the queue): the give-up came at the
    // 3 h grace from it, not 3 h after the last continue-as-new.
    const job = bed.sandbox.state.advance(bed.sandbox.state.jobs.get(jobId)!);
    expect(job.status).toBe('stopped');
    expect(job.completedEpochs).toBeGreaterThanOrEqual(3 + 18);
    expect(job.completedEpochs).toBeLessThanOrEqual(3 + 18 + 3);
    const first = await bed.env.client.workflow
      .getHandle(handle.workflowId, handle.firstExecutionRunId)
      .describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    // The last run began while doubting, and was handed the time the doubt began.
    const last = await bed.env.client.workflow.getHandle(handle.workflowId).fetchHistory();
    const started = last.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
    const carried = defaultPayloadConverter.fromPayload<SuperviseInput>(started).carried!;
    expect(carried.runs).toBeGreaterThan(1);
    expect(carried.firstUnknownAtMs).toBeDefined();
  });

  it('Marqtune: "completed" on two looks at epoch 4 of 20 (checkpoints short of the epochs asked for) is not deployed; the last epoch is', async () => {
    const { modelId } = await sandboxAdmin(bed.sandbox.url).addMarqtuneModel({
      modelName: 'mq-lying-done',
      epochs: 20,
    });
    lie(2, 'mq-lying-done');
    const result = await bed.withWorker(async () => {
      const handle = await start(
        pipelineInput('mq-lying-done', {
          train: { kind: 'marqtune', modelId },
          deploy: {
            target: 'tensormesh',
            userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
            gpuType: 'GPU_TYPE_H100',
          },
        }),
      );
      const later = await trainedTo(handle, 8);
      expect(liesTold()).toBe(2);
      expect(later.phase).toBe('training');
      return handle.result();
    });
    expect(result).toMatchObject({ outcome: 'deployed', checkpoint: { checkpointId: 'checkpoint-20' } });
  });
});
