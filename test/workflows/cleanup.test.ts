import { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { pipelineWorkflowId, type PipelineInput } from '../../src/domain/pipeline-input';
import { sandboxAdmin } from '../../sandbox/admin-client';
import { SANDBOX_PROFILES } from '../../sandbox/profile';
import { approveSignal, pinSignal, statusQuery } from '../../src/workflows/pipeline/contract';
import {
  deploymentServesSignal,
  type CleanupInput,
  type CleanupResult,
} from '../../src/workflows/cleanup/contract';
import { createProviderClients } from '../../src/providers/config';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { startTimeSkippingEnv } from '../harness/temporal';
import { advanceUntil, HOUR, startWorkflowTestBed, type WorkflowTestBed } from '../harness/workflow-env';
import { eventually, withFaults } from '../harness/sandbox';
import { protectionRegistry } from '../../src/clients/protection-registry';
import { protectionRegistryId, protectionStateQuery } from '../../src/workflows/protection/contract';
import { checkpointCleanup, deleteCheckpointsAtProviderRate, fineTuneToDeploy } from '../../src/workflows';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { uniqueTaskQueue } from '../harness/temporal';
import { testWorkflowCode } from '../harness/workflow-bundles';
import { scheduledActivities } from '../harness/history';

/** One deletion in ten answers 503. */
const ONE_DELETE_IN_TEN_FAILS = {
  errorRate: 0.1,
  errorStatus: 503,
  routePattern: '^/tensorone/v2/training/checkpoints/',
};

/** One deletion in five is made and its answer lost (the connection reset after the act). */
const ONE_DELETE_IN_FIVE_ANSWER_LOST = {
  lostDeleteRate: 0.2,
  routePattern: '^/tensorone/v2/training/checkpoints/',
};

/** A 60-checkpoint job cleaned to its newest 2: 58 deleted, each once, each counted once with its bytes. */
function expectEveryDeletionCountedOnce(on: WorkflowTestBed, jobId: string, result: CleanupResult): void {
  expect(on.sandbox.state.jobCheckpoints(jobId)).toHaveLength(4); // newest 2, best, final
  expect(result.deletedCount).toBe(58);
  expect(new Set(result.deleted.map((d) => d.checkpointId)).size).toBe(58);
  // A retry that lost its heartbeat, or a deletion's answer, finds its own deletions gone (404): counted.
  expect(result.deleted.filter((d) => d.alreadyGone)).toEqual([]);
  expect(result.bytesReclaimed).toBe(result.deleted.reduce((s, d) => s + d.bytes, 0));
  expect(result.bytesReclaimed).toBeGreaterThan(0);
}

let bed: WorkflowTestBed;
// One time-skipping server for both profiles (each server start is seconds on a loaded machine).
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingEnv();
});
afterAll(() => env?.teardown());

// On both sandbox profiles: `documented` has no endpoint list and a checkpoint list without `offset`
// (at most 100 per listing), answering other routes `405 {message}`.
describe.each(SANDBOX_PROFILES)('%s profile', (profile) => {
  const documented = profile === 'documented';
  beforeAll(async () => {
    bed = await startWorkflowTestBed({ profile, unknownRoute: 'method-not-allowed' }, { shared: env });
  });
  afterAll(() => bed?.teardown());

  const cleanup = (input: CleanupInput, workflowId: string) =>
    bed.withWorker(() =>
      bed.env.client.workflow.execute(checkpointCleanup, {
        args: [input],
        taskQueue: bed.taskQueue,
        workflowId,
      }),
    );

  it('cleans up a job with 1,200 checkpoints completely and never deletes best, final, deployed or pinned ones', async () => {
    const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('big-job', 1200);
    const all = bed.sandbox.state.jobCheckpoints(jobId);
    const best = all.find((c) => c.type === 'best')!;
    const final = all.find((c) => c.type === 'final')!;
    const pinned = all.find((c) => c.epoch === 17 && c.type === 'automatic')!;
    const deployed = all.find((c) => c.epoch === 400 && c.type === 'automatic')!;
    bed.sandbox.state.endpoints.set('ep_serving', {
      id: 'ep_serving',
      name: 'serving',
      kind: 'endpoint',
      checkpointId: deployed.id,
      workers: 1,
      createdAtMs: 0,
      readyAtMs: 0,
      fails: false,
    });

    const result = await cleanup(
      {
        jobIds: [jobId],
        retention: { keepLastN: 5 },
        // Without an endpoint list the served set is not known here (the served set is the "protect"
        // work's): the deployed checkpoint is protected the way a pipeline protects its own.
        protectedCheckpointIds: documented ? [pinned.id, deployed.id] : [pinned.id],
        maxDeletes: 5000,
        // Deletions are batches of up to 500 ids per activity: a run's listing alone passes 60 events,
        // so every run continues as new after one batch.
        historyEventLimit: 60,
      },
      'cleanup-big',
    );

    const left = new Set(bed.sandbox.state.jobCheckpoints(jobId).map((c) => c.id));
    for (const keep of [best, final, pinned, deployed]) expect(left.has(keep.id)).toBe(true);
    expect(result.examined).toBe(1202);
    // 1,200 automatic − 5 newest − pinned − deployed (the best copy has its own id).
    expect(result.deleted).toHaveLength(1200 - 5 - 2);
    expect(result.deletedCount).toBe(result.deleted.length);
    expect(left.size).toBe(1202 - result.deleted.length);
    expect(result.runs).toBeGreaterThan(1); // continued as new on the way
    expect(result.notListed).toBeUndefined(); // every checkpoint was examined
    expect(result.kept).toBe(1202 - result.deletedCount);
    expect(new Set(result.deleted.map((d) => d.checkpointId)).size).toBe(result.deleted.length);
    expect(result.deleted.every((d) => d.reason === 'beyond-keep-last-n' && d.type === 'automatic')).toBe(
      true,
    );
    expect(result.bytesReclaimed).toBe(result.deleted.reduce((s, d) => s + d.bytes, 0));
  });

  it('a dry run reports what it would delete and deletes nothing', async () => {
    const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('dry-job', 20);
    const result = await cleanup(
      { jobIds: [jobId], retention: { keepLastN: 3 }, dryRun: true },
      'cleanup-dry',
    );
    expect(result.dryRun).toBe(true);
    expect(result.deleted).toHaveLength(17);
    expect(bed.sandbox.state.jobCheckpoints(jobId)).toHaveLength(22);
  });

  it('a dry run of a job beyond one listing says how many checkpoints it could not examine', async () => {
    const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('dry-big', 150);
    const result = await cleanup(
      { jobIds: [jobId], retention: { keepLastN: 3 }, dryRun: true },
      'cleanup-dry-big',
    );
    expect(bed.sandbox.state.jobCheckpoints(jobId)).toHaveLength(152);
    expect(result.examined).toBe(152);
    if (documented) {
      // Only the oldest 100 were planned, and as if they were all: their own newest 3 are kept too, so a
      // partial view never deletes what the whole would keep. 52 were never listed.
      const oldest = [...bed.sandbox.state.jobCheckpoints(jobId)]
        .sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id))
        .slice(0, 100);
      expect(result.deleted).toHaveLength(oldest.filter((c) => c.type === 'automatic').length - 3);
      expect(result.notListed).toBe(52);
    } else {
      expect(result.deleted).toHaveLength(147);
      expect(result.notListed).toBeUndefined();
    }
  });

  it('bounds deletions per run and cleans every job a filter matches', async () => {
    const admin = sandboxAdmin(bed.sandbox.url);
    const a = await admin.seedCompletedJob('team-a-1', 10);
    const b = await admin.seedCompletedJob('team-a-2', 10);
    const other = await admin.seedCompletedJob('team-b-1', 10);
    const result = await cleanup(
      {
        jobFilter: { status: 'completed', namePrefix: 'team-a-' },
        retention: { keepLastN: 2 },
        maxDeletes: 12,
      },
      'cleanup-filter',
    );
    expect(result.jobs).toEqual([a.jobId, b.jobId]);
    expect(result.deleted).toHaveLength(12);
    expect(result.truncated).toBe(true);
    expect(bed.sandbox.state.jobCheckpoints(other.jobId)).toHaveLength(12);
  });

  it('deletions that fail now and then are retried by Temporal from their heartbeat: every checkpoint deleted once and counted once', async () => {
    const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('flaky-deletes', 60);
    const errorsBefore = bed.sandbox.state.faultsInjected.serverError ?? 0;
    // One deletion in ten answers 503: each attempt of the batch fails part-way and is retried.
    const result = await withFaults(bed.sandbox, ONE_DELETE_IN_TEN_FAILS, () =>
      cleanup({ jobIds: [jobId], retention: { keepLastN: 2 } }, 'cleanup-flaky-deletes'),
    );
    expect(bed.sandbox.state.faultsInjected.serverError ?? 0).toBeGreaterThan(errorsBefore);
    expectEveryDeletionCountedOnce(bed, jobId, result);
  });

  it("deletions whose answers are lost are retried and counted as this cleanup's own: the bytes are all reported", async () => {
    const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('lost-delete-answers', 60);
    const result = await withFaults(bed.sandbox, ONE_DELETE_IN_FIVE_ANSWER_LOST, () =>
      cleanup({ jobIds: [jobId], retention: { keepLastN: 2 } }, 'cleanup-lost-delete-answers'),
    );
    expect(bed.sandbox.state.faultsInjected.lostDeleteResponse ?? 0).toBeGreaterThan(0);
    expect(result.deleted.some((d) => d.answerLost)).toBe(true);
    expectEveryDeletionCountedOnce(bed, jobId, result);
  });

  describe('every cleanup keeps the same protected checkpoints', () => {
    // What the cleanup Schedule starts (scripts/main-job.ts), with a tighter retention: no ids passed in.
    const scheduleInput: CleanupInput = {
      jobFilter: { status: 'completed' },
      retention: { keepLastN: 1 },
      maxDeletes: 1000,
    };
    const scheduled = (workflowId: string) => cleanup(scheduleInput, workflowId);
    const tenEpochs = tensoroneTrain({ config: { training: { epochs: 10 } } });
    const idsOf = (jobId: string) => bed.sandbox.state.jobCheckpoints(jobId).map((c) => c.id);
    const newestAutomatic = (jobId: string) =>
      bed.sandbox.state
        .jobCheckpoints(jobId)
        .filter((c) => c.type === 'automatic')
        .sort((a, b) => (b.epoch ?? 0) - (a.epoch ?? 0))[0].id;
    const startPipeline = (input: PipelineInput) =>
      bed.env.client.workflow.start(fineTuneToDeploy, {
        args: [input],
        taskQueue: bed.taskQueue,
        workflowId: pipelineWorkflowId(input.name),
      });
    const noOwnCleanup = { enabled: false, retention: { keepLastN: 2 }, maxDeletes: 1000 };
    /** A gated pipeline of ten epochs, started and waiting for its approval: its handle and status then. */
    async function awaitingApproval(name: string) {
      const handle = await startPipeline(
        pipelineInput(name, {
          train: tenEpochs,
          gate: { approval: { required: true, timeout: '24h', onTimeout: 'reject' } },
        }),
      );
      const waiting = await bed.withWorker(() =>
        advanceUntil(bed.env, async () => {
          const s = await handle.query(statusQuery);
          return s.phase === 'awaiting-approval' ? s : undefined;
        }),
      );
      return { handle, waiting };
    }

    it("a Schedule's cleanup keeps the candidate of a pipeline awaiting approval; approving it then deploys it", async () => {
      const { handle, waiting } = await awaitingApproval('protect-approval');
      const candidate = waiting.candidate!.checkpointId;
      // Retention alone would delete it: an automatic checkpoint, not the newest.
      expect(waiting.candidate!.type).toBe('automatic');
      expect(newestAutomatic(waiting.jobId!)).not.toBe(candidate);

      // Through a client that does not skip time: the pipeline's approval window stays open meanwhile.
      const plain = new Client({ connection: bed.env.connection, namespace: bed.env.namespace });
      const result = await plain.workflow.execute(checkpointCleanup, {
        args: [scheduleInput],
        taskQueue: bed.taskQueue,
        workflowId: 'scheduled-cleanup-approval',
      });
      expect(result.jobs).toContain(waiting.jobId);
      expect(result.deleted.some((d) => d.jobId === waiting.jobId)).toBe(true); // it did clean that job
      expect(idsOf(waiting.jobId!)).toContain(candidate);

      await handle.signal(approveSignal, { by: 'ada' });
      const deployed = await bed.withWorker(() => handle.result());
      expect(deployed.outcome).toBe('deployed');
      expect(deployed.checkpoint?.checkpointId).toBe(candidate);
      expect(deployed.deployment?.status).toBe('active');
    });

    it("the candidate of a pipeline terminated while awaiting approval is no one's: the next cleanup deletes it by retention", async () => {
      const { handle, waiting } = await awaitingApproval('protect-ended');
      const candidate = waiting.candidate!.checkpointId;
      expect(newestAutomatic(waiting.jobId!)).not.toBe(candidate);
      await handle.terminate('operator gave up on it');

      const result = await scheduled('scheduled-cleanup-ended-holder');
      expect(result.deleted.map((d) => d.checkpointId)).toContain(candidate);
      expect(result.spared ?? []).toEqual([]);
      expect(idsOf(waiting.jobId!)).not.toContain(candidate);
    });

    it("a Schedule's cleanup keeps a checkpoint served through TensorMesh modelPath", async () => {
      const served = await bed.withWorker(async () =>
        (
          await startPipeline(
            pipelineInput('protect-mesh', {
              train: tenEpochs,
              deploy: {
                target: 'tensormesh',
                userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
                gpuType: 'GPU_TYPE_H100',
              },
              cleanup: noOwnCleanup,
            }),
          )
        ).result(),
      );
      const checkpoint = served.checkpoint!.checkpointId;
      const model = [...bed.sandbox.state.meshModels.values()].find((m) =>
        [m.modelId, m.deploymentId].includes(served.deployment!.id),
      )!;
      expect(model.modelPath).toBe(`tensorone://checkpoints/${checkpoint}`);
      expect(newestAutomatic(served.jobId!)).not.toBe(checkpoint);

      const result = await scheduled('scheduled-cleanup-mesh');
      expect(result.deleted.some((d) => d.jobId === served.jobId)).toBe(true);
      expect(idsOf(served.jobId!)).toContain(checkpoint);
    });

    it("a Schedule's cleanup keeps a checkpoint pinned in a pipeline", async () => {
      const result = await bed.withWorker(async () => {
        const handle = await startPipeline(pipelineInput('protect-pin', { cleanup: noOwnCleanup }));
        const job = await advanceUntil(bed.env, async () => {
          const s = await handle.query(statusQuery);
          return (s.training?.epoch ?? 0) >= 2 ? s.jobId : undefined;
        });
        await handle.signal(pinSignal, `ckpt_${job!.slice(4)}_e1`);
        return handle.result();
      });
      const pinned = `ckpt_${result.jobId!.slice(4)}_e1`;
      expect(result.checkpoint?.checkpointId).not.toBe(pinned);

      const cleaned = await scheduled('scheduled-cleanup-pin');
      expect(cleaned.deleted.some((d) => d.jobId === result.jobId)).toBe(true);
      expect(idsOf(result.jobId!)).toContain(pinned);
    });

    it('two cleanups of the same job at once report together exactly the bytes deleted', async () => {
      const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('concurrent-job', 40);
      // Sizes as the provider reports them (the bytes a cleanup counts).
      const before = (
        await createProviderClients(bed.sandbox.endpoints).tensorone.checkpoints.list(jobId, { limit: 100 })
      ).checkpoints;
      expect(before).toHaveLength(42);
      const faults = bed.sandbox.state.faults;
      // Slow deletions: both cleanups have planned the same checkpoints before either deletes one.
      bed.sandbox.state.faults = {
        ...faults,
        latencyMs: 300,
        routePattern: '^/tensorone/v2/training/checkpoints/',
      };
      try {
        const input: CleanupInput = { jobIds: [jobId], retention: { keepLastN: 2 }, concurrency: 4 };
        // Through a client that does not skip time: while both wait on their batches of slow deletions,
        // a skipping server would jump past the batches' heartbeat timeout (no real worker dies so fast).
        const plain = new Client({ connection: bed.env.connection, namespace: bed.env.namespace });
        const [a, b] = await bed.withWorker(async () => {
          const handles = await Promise.all(
            ['concurrent-a', 'concurrent-b'].map((workflowId) =>
              plain.workflow.start(checkpointCleanup, {
                args: [input],
                taskQueue: bed.taskQueue,
                workflowId,
              }),
            ),
          );
          return Promise.all(handles.map((h) => h.result()));
        });
        const left = new Set(bed.sandbox.state.jobCheckpoints(jobId).map((c) => c.id));
        const gone = before.filter((c) => !left.has(c.id));
        expect(gone).toHaveLength(38);
        expect(a.deletedCount + b.deletedCount).toBe(gone.length);
        expect(a.bytesReclaimed + b.bytesReclaimed).toBe(gone.reduce((s, c) => s + (c.sizeBytes ?? 0), 0));
        // Both tried some of the same checkpoints: the second try found it gone and counted nothing.
        const alreadyGone = [...a.deleted, ...b.deleted].filter((d) => d.alreadyGone);
        expect(alreadyGone.length).toBeGreaterThan(0);
        expect(alreadyGone.every((d) => d.bytes === 0)).toBe(true);
      } finally {
        bed.sandbox.state.faults = faults;
      }
    });

    it('a pipeline whose chosen checkpoints a cleanup is deleting chooses among the rest and deploys what it reports', async () => {
      const handle = await startPipeline(
        pipelineInput('claim-around-leases', { train: tenEpochs, cleanup: noOwnCleanup }),
      );
      const jobId = await bed.withWorker(() =>
        advanceUntil(bed.env, async () => (await handle.query(statusQuery)).jobId),
      );
      const ckpt = (suffix: string) => `ckpt_${jobId.slice(4)}_${suffix}`;
      // A cleanup holds deletion leases on every checkpoint this job will have but its first epoch's.
      const leased = [
        ...[2, 3, 4, 5, 6, 7, 8, 9, 10].map((e) => ckpt(`e${e}`)),
        ckpt('best'),
        ckpt('final_e10'),
      ];
      const lease = await protectionRegistry(bed.env.client, bed.taskQueue).lease({
        workflowId: 'cleanup-holding-leases',
        runId: 'r1',
        checkpointIds: leased,
        endedHolders: [],
        untilMs: (await bed.env.currentTimeMs()) + 48 * HOUR,
      });
      expect(lease.granted).toHaveLength(leased.length);

      const result = await bed.withWorker(() => handle.result());
      expect(result.outcome).toBe('deployed');
      expect(result.checkpoint?.checkpointId).toBe(ckpt('e1'));
      const endpoint = bed.sandbox.state.endpoints.get(result.deployment!.id);
      expect(endpoint?.checkpointId).toBe(ckpt('e1'));
    });

    it('a cleanup that planned before a pin arrived spares the pinned checkpoint and says so', async () => {
      const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('spared-job', 10);
      const pinned = `ckpt_${jobId.slice(4)}_e3`;
      const faults = bed.sandbox.state.faults;
      // A slow checkpoint listing: the cleanup has read the protected set and is listing when the pin arrives.
      bed.sandbox.state.faults = {
        ...faults,
        latencyMs: 3000,
        routePattern: '^/tensorone/v2/training/jobs/[^/]+/checkpoints',
      };
      try {
        const result = await bed.withWorker(async () => {
          const run = await bed.env.client.workflow.start(checkpointCleanup, {
            args: [{ jobIds: [jobId], retention: { keepLastN: 2 } } satisfies CleanupInput],
            taskQueue: bed.taskQueue,
            workflowId: 'cleanup-spares-late-pin',
          });
          await advanceUntil(
            bed.env,
            async () =>
              (await run.describe()).raw.pendingActivities?.some(
                (a) => a.activityType?.name === 'listCheckpoints',
              ),
            100,
          );
          const claim = await protectionRegistry(bed.env.client, bed.taskQueue).claim([
            { checkpointId: pinned, kind: 'pinned', workflowId: 'operator', runId: 'r1', at: '' },
          ]);
          expect(claim).toEqual({ recorded: [pinned], beingDeleted: [] });
          return run.result();
        });
        expect(bed.sandbox.state.jobCheckpoints(jobId).map((c) => c.id)).toContain(pinned);
        expect(result.spared).toEqual([{ checkpointId: pinned, reason: 'pinned in operator' }]);
        expect(result.deleted.map((d) => d.checkpointId)).not.toContain(pinned);
        expect(result.deletedCount).toBeGreaterThan(0);
      } finally {
        bed.sandbox.state.faults = faults;
      }
    });

    /** `fn` while the routes matching `routePattern` refuse every request (403: no retry can fix it). */
    async function refusing<T>(routePattern: string, fn: () => Promise<T>): Promise<T> {
      const faults = bed.sandbox.state.faults;
      bed.sandbox.state.faults = { ...faults, errorRate: 1, errorStatus: 403, routePattern };
      try {
        return await fn();
      } finally {
        bed.sandbox.state.faults = faults;
      }
    }

    it('deletes nothing when what is in use cannot be determined, and says why', async () => {
      const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('doubt-job', 10);
      // The registry (what it says is deployed) refuses: the cleanup learns at once it cannot know.
      const result = await refusing('^/tensorone/v2/training/models', () =>
        cleanup({ jobIds: [jobId], retention: { keepLastN: 2 } }, 'cleanup-in-doubt'),
      );
      expect(bed.sandbox.state.jobCheckpoints(jobId)).toHaveLength(12);
      expect(result.deletedCount).toBe(0);
      expect(result.deleted).toEqual([]);
      expect(result.keptInDoubt).toEqual([
        { jobId, reason: expect.stringContaining('could not determine which are in use') },
      ]);
      expect(result.keptInDoubt[0].reason).toMatch(/training\/models/);
    });

    it('asks the protected set and the first listing in one workflow task', async () => {
      const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('one-round-job', 10);
      const result = await cleanup({ jobIds: [jobId], retention: { keepLastN: 2 } }, 'cleanup-one-round');
      expect(result.deletedCount).toBe(8);
      const events =
        (await bed.env.client.workflow.getHandle('cleanup-one-round').fetchHistory()).events ?? [];
      const scheduled = scheduledActivities(events);
      const taskOf = (activity: string) => scheduled.find((s) => s.name === activity)?.task;
      expect(taskOf('protectedCheckpoints')).toBeDefined();
      expect(taskOf('listCheckpoints')).toBe(taskOf('protectedCheckpoints'));
    });

    it('leases, deletes and ends its leases in one activity: the registry holds none of its leases after', async () => {
      const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('leased-in-batch', 10);
      const workflowId = 'cleanup-leases-with-deletions';
      const result = await cleanup({ jobIds: [jobId], retention: { keepLastN: 2 } }, workflowId);
      expect(result.deletedCount).toBe(8);
      expect(bed.sandbox.state.jobCheckpoints(jobId)).toHaveLength(4);
      const events = (await bed.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
      const names = scheduledActivities(events).map((s) => s.name);
      expect(names.filter((n) => n === 'leaseAndDeleteCheckpoints')).toHaveLength(1);
      expect(names).not.toContain('leaseDeletions');
      expect(names).not.toContain('releaseDeletions');
      const state = await bed.env.client.workflow
        .getHandle(protectionRegistryId(bed.taskQueue))
        .query(protectionStateQuery);
      expect(state.leases.filter((l) => l.workflowId === workflowId)).toEqual([]);
    });

    it('a job ended by a batch that released its leases, then continued as new, asks no release after it', async () => {
      const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('released-then-continued', 10);
      const workflowId = `cleanup-released-then-continued-${profile}`;
      const handle = await bed.env.client.workflow.start(checkpointCleanup, {
        // A history this short continues as new right after the batch.
        args: [{ jobIds: [jobId], retention: { keepLastN: 2 }, historyEventLimit: 5 } satisfies CleanupInput],
        taskQueue: bed.taskQueue,
        workflowId,
      });
      const result = await bed.withWorker(() => handle.result());
      expect(result.deletedCount).toBe(8);
      expect(result.runs).toBeGreaterThan(1);
      const first = await bed.env.client.workflow
        .getHandle(workflowId, handle.firstExecutionRunId)
        .fetchHistory();
      const names = scheduledActivities(first.events ?? []).map((s) => s.name);
      expect(names).toContain('leaseAndDeleteCheckpoints');
      expect(names).not.toContain('releaseDeletions');
      expect(first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    });

    it("a pipeline's cleanup reads at once but leases and deletes only once told the deployment serves, keeping the pins it is told, also in the run it continues as", async () => {
      const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('awaits-deployment', 10);
      const oldest = bed.sandbox.state
        .jobCheckpoints(jobId)
        .find((c) => c.type === 'automatic' && c.epoch === 1)!;
      const workflowId = `cleanup-awaits-deployment-${profile}`;
      const handle = await bed.env.client.workflow.start(checkpointCleanup, {
        // A history this short continues as new right after the batch: the next run lists the job again.
        args: [
          {
            jobIds: [jobId],
            retention: { keepLastN: 2 },
            awaitsDeployment: true,
            historyEventLimit: 5,
          } satisfies CleanupInput,
        ],
        taskQueue: bed.taskQueue,
        workflowId,
      });
      const result = await bed.withWorker(async () => {
        const read = await eventually(async () => {
          const steps = scheduledActivities((await handle.fetchHistory()).events ?? []);
          return steps.filter((a) => a.completedAt !== undefined).length >= 2 ? steps : undefined;
        });
        // Both reads answered; nothing leased, deleted or ended before the pipeline says so.
        expect(read.map((a) => a.name).sort()).toEqual(['listCheckpoints', 'protectedCheckpoints']);
        expect(bed.sandbox.state.jobCheckpoints(jobId)).toHaveLength(12);
        expect((await handle.describe()).status.name).toBe('RUNNING');
        // Pinned while the pipeline deployed: the plan made after the go-ahead keeps it.
        await handle.signal(deploymentServesSignal, { protectedCheckpointIds: [oldest.id] });
        return handle.result();
      });
      // Its first lease came after the go-ahead, in its own history's order.
      const first =
        (await bed.env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).fetchHistory())
          .events ?? [];
      const told = first.find(
        (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'deploymentServes',
      );
      const lease = scheduledActivities(first).find((a) => a.name === 'leaseAndDeleteCheckpoints');
      expect(lease!.scheduledAt).toBeGreaterThan(Number(told!.eventId));
      // 10 automatic − the newest 2 − the pinned one; the continued run deleted nothing more.
      expect(result.deletedCount).toBe(7);
      expect(result.runs).toBeGreaterThan(1);
      expect(result.deleted.map((d) => d.checkpointId)).not.toContain(oldest.id);
      expect(bed.sandbox.state.jobCheckpoints(jobId).map((c) => c.id)).toContain(oldest.id);
    });

    it("a pipeline's cleanup with nothing to delete still ends only once told the deployment serves", async () => {
      const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('awaits-deployment-none', 2);
      const handle = await bed.env.client.workflow.start(checkpointCleanup, {
        args: [
          { jobIds: [jobId], retention: { keepLastN: 5 }, awaitsDeployment: true } satisfies CleanupInput,
        ],
        taskQueue: bed.taskQueue,
        workflowId: `cleanup-awaits-deployment-none-${profile}`,
      });
      const result = await bed.withWorker(async () => {
        await eventually(async () => {
          const steps = scheduledActivities((await handle.fetchHistory()).events ?? []);
          return steps.filter((a) => a.completedAt !== undefined).length >= 2 || undefined;
        });
        expect((await handle.describe()).status.name).toBe('RUNNING');
        await handle.signal(deploymentServesSignal, { protectedCheckpointIds: [] });
        return handle.result();
      });
      expect(result.deletedCount).toBe(0);
      expect(result.examined).toBe(4);
    });

    it('a job beyond one listing is leased and deleted pass by pass, its leases ended only with the last pass', async () => {
      const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('leased-passes', 250);
      const workflowId = 'cleanup-leased-passes';
      const result = await cleanup({ jobIds: [jobId], retention: { keepLastN: 0 } }, workflowId);
      expect(result.deletedCount).toBe(250);
      expect(bed.sandbox.state.jobCheckpoints(jobId)).toHaveLength(2);
      const events = (await bed.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
      const batches = scheduledActivities(events)
        .filter((a) => a.name === 'leaseAndDeleteCheckpoints')
        .map((a) => a.input?.releaseAfter);
      // Without offset (documented) the oldest 100 at a time: three passes; with it, one.
      expect(batches).toEqual(documented ? [false, false, true] : [true]);
      const names = scheduledActivities(events).map((a) => a.name);
      expect(names).not.toContain('releaseDeletions');
      const state = await bed.env.client.workflow
        .getHandle(protectionRegistryId(bed.taskQueue))
        .query(protectionStateQuery);
      expect(state.leases.filter((l) => l.workflowId === workflowId)).toEqual([]);
    });

    it('a listing that fails while what is in use cannot be determined leaves the job kept, not the cleanup failed', async () => {
      const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('doubt-list-job', 10);
      // The registry and the job's checkpoint list both refuse.
      const result = await refusing('^/tensorone/v2/training/(models|jobs/[^/]+/checkpoints)', () =>
        cleanup({ jobIds: [jobId], retention: { keepLastN: 2 } }, 'cleanup-doubt-list'),
      );
      expect(bed.sandbox.state.jobCheckpoints(jobId)).toHaveLength(12);
      expect(result.deletedCount).toBe(0);
      expect(result.keptInDoubt).toEqual([
        { jobId, reason: expect.stringContaining('could not determine which are in use') },
      ]);
    });

    it('a listing that fails while what is in use is known fails the cleanup, deleting nothing', async () => {
      const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('list-refused-job', 10);
      await refusing('^/tensorone/v2/training/jobs/[^/]+/checkpoints', () =>
        expect(
          cleanup({ jobIds: [jobId], retention: { keepLastN: 2 } }, 'cleanup-list-refused'),
        ).rejects.toThrow(/Workflow execution failed/),
      );
      expect(bed.sandbox.state.jobCheckpoints(jobId)).toHaveLength(12);
    });
  });
});

describe('under a TensorOne rate limit (TENSORONE_MAX_RPS, provider task queues)', () => {
  let limited: WorkflowTestBed;
  beforeAll(async () => {
    limited = await startWorkflowTestBed(
      { profile: 'documented', unknownRoute: 'method-not-allowed' },
      { shared: env, providerQueues: true, tensoroneMaxRps: 50 },
    );
  });
  afterAll(() => limited?.teardown());

  it('deletes one checkpoint per provider-queue activity in a child per batch; a flaky delete is retried, counted once', async () => {
    const { jobId } = await sandboxAdmin(limited.sandbox.url).seedCompletedJob('limited-deletes', 60);
    const workflowId = 'cleanup-under-rate-limit';
    const result = await withFaults(limited.sandbox, ONE_DELETE_IN_TEN_FAILS, () =>
      limited.withWorker(() =>
        limited.env.client.workflow.execute(checkpointCleanup, {
          args: [{ jobIds: [jobId], retention: { keepLastN: 2 } }],
          taskQueue: limited.taskQueue,
          workflowId,
        }),
      ),
    );
    expect(limited.sandbox.state.faultsInjected.serverError ?? 0).toBeGreaterThan(0);
    expectEveryDeletionCountedOnce(limited, jobId, result);
    const events = (await limited.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const activities = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
    expect(activities).not.toContain('deleteCheckpoints');
    expect(activities).not.toContain('leaseAndDeleteCheckpoints');
    expect(activities).not.toContain('deleteCheckpoint');
    expectRateLimitsAskedLocally(events);
    const children = events.flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes ?? []);
    expect(children.length).toBeGreaterThanOrEqual(1);
    for (const child of children) {
      expect(child.workflowType?.name).toBe('deleteCheckpointsAtProviderRate');
      const childEvents =
        (await limited.env.client.workflow.getHandle(child.workflowId!).fetchHistory()).events ?? [];
      const queues = new Set(
        childEvents.flatMap((e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name ?? []),
      );
      expect(queues).toEqual(new Set([`${limited.taskQueue}--tensorone`]));
    }
  });

  it('a deletion whose answer is lost is retried on the provider queue and counted once, with its bytes', async () => {
    const { jobId } = await sandboxAdmin(limited.sandbox.url).seedCompletedJob('limited-lost-answers', 60);
    const lostBefore = limited.sandbox.state.faultsInjected.lostDeleteResponse ?? 0;
    const result = await withFaults(limited.sandbox, ONE_DELETE_IN_FIVE_ANSWER_LOST, () =>
      limited.withWorker(() =>
        limited.env.client.workflow.execute(checkpointCleanup, {
          args: [{ jobIds: [jobId], retention: { keepLastN: 2 } }],
          taskQueue: limited.taskQueue,
          workflowId: 'cleanup-lost-answers-under-rate-limit',
        }),
      ),
    );
    expect(limited.sandbox.state.faultsInjected.lostDeleteResponse ?? 0).toBeGreaterThan(lostBefore);
    expect(result.deleted.some((d) => d.answerLost)).toBe(true);
    expectEveryDeletionCountedOnce(limited, jobId, result);
  });

  it("every TensorOne request of a cleanup comes from an activity on the provider queue, the protected set's reads too", async () => {
    const { jobId } = await sandboxAdmin(limited.sandbox.url).seedCompletedJob('limited-origins', 12);
    const fromMs = Date.now();
    const workflowId = 'cleanup-origins-under-rate-limit';
    const result = await limited.withWorker(() =>
      limited.env.client.workflow.execute(checkpointCleanup, {
        args: [{ jobIds: [jobId], retention: { keepLastN: 2 } }],
        taskQueue: limited.taskQueue,
        workflowId,
      }),
    );
    expect(result.deletedCount).toBe(10);
    const requests = limited.sandbox.state.requestLog.filter(
      (r) => r.at >= fromMs && r.path.startsWith('/tensorone/'),
    );
    // The protected set reads the registry (and the endpoint list where the provider has one).
    expect(requests.some((r) => r.path.startsWith('/tensorone/v2/training/models'))).toBe(true);
    // Each request's origin is `workflowId/activityId`: the queue that activity was scheduled on.
    const queues = new Map<string, string>();
    for (const r of requests) {
      const origin = r.origin ?? '';
      const cut = origin.lastIndexOf('/');
      const [origWorkflowId, activityId] = [origin.slice(0, cut), origin.slice(cut + 1)];
      if (!queues.has(origin)) {
        const events =
          (await limited.env.client.workflow.getHandle(origWorkflowId).fetchHistory()).events ?? [];
        const scheduled = events.find(
          (e) => e.activityTaskScheduledEventAttributes?.activityId === activityId,
        )?.activityTaskScheduledEventAttributes;
        queues.set(origin, `${scheduled?.activityType?.name} on ${scheduled?.taskQueue?.name}`);
      }
      expect({ path: r.path, from: queues.get(origin) }).toEqual({
        path: r.path,
        from: expect.stringMatching(new RegExp(` on ${limited.taskQueue}--tensorone$`)),
      });
    }
  });

  it("when the protected set's registry read through the provider queue is refused, every checkpoint is kept and the reason named", async () => {
    const { jobId } = await sandboxAdmin(limited.sandbox.url).seedCompletedJob('limited-in-doubt', 12);
    const before = limited.sandbox.state.jobCheckpoints(jobId).length;
    const refusedRegistry = {
      errorRate: 1,
      errorStatus: 403,
      routePattern: '^/tensorone/v2/training/models',
    };
    const result = await withFaults(limited.sandbox, refusedRegistry, () =>
      limited.withWorker(() =>
        limited.env.client.workflow.execute(checkpointCleanup, {
          args: [{ jobIds: [jobId], retention: { keepLastN: 2 } }],
          taskQueue: limited.taskQueue,
          workflowId: 'cleanup-in-doubt-under-rate-limit',
        }),
      ),
    );
    expect(limited.sandbox.state.jobCheckpoints(jobId)).toHaveLength(before);
    expect(result.deletedCount).toBe(0);
    expect(result.keptInDoubt).toEqual([
      { jobId, reason: expect.stringContaining('could not determine which are in use') },
    ]);
    expect(result.keptInDoubt[0]!.reason).toMatch(/training\/models/);
  });

  it('a deletion child that fails on one checkpoint ends only after the deletions in flight beside it, which its history shows', async () => {
    const { jobId } = await sandboxAdmin(limited.sandbox.url).seedCompletedJob('child-fails', 4);
    const [refused, slow] = limited.sandbox.state
      .jobCheckpoints(jobId)
      .filter((c) => c.type === 'automatic')
      .map((c) => c.id);
    const real = createActivities(createProviderClients(limited.sandbox.endpoints));
    const taskQueue = uniqueTaskQueue('child-fails');
    // One deletion the provider refuses at once, one beside it that takes 2 s (real time) and succeeds.
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      ...testWorkflowCode(),
      activities: {
        ...real,
        async deleteCheckpoint(id: string) {
          if (id === refused) throw ApplicationFailure.nonRetryable('Forbidden', 'FORBIDDEN');
          await new Promise((r) => setTimeout(r, 2000));
          return real.deleteCheckpoint(id);
        },
      },
    });
    const handle = await env.client.workflow.start(deleteCheckpointsAtProviderRate, {
      args: [
        {
          jobId,
          checkpoints: [
            { id: refused!, reason: 'beyond-keep-last-n' },
            { id: slow!, reason: 'beyond-keep-last-n' },
          ],
          concurrency: 2,
        },
      ],
      taskQueue,
      workflowId: `deletions-${taskQueue}`,
    });
    const [failure, slowGoneAtEnd] = await worker.runUntil(async () => {
      const err = await handle.result().catch((e: unknown) => e);
      return [err, !limited.sandbox.state.checkpoints.has(slow!)] as const;
    });
    expect((failure as Error).message).toMatch(/failed/i);
    // The deletion beside the refused one had finished when the child ended: nothing lands later, and
    // its outcome is in the child's history.
    expect(slowGoneAtEnd).toBe(true);
    const completed = ((await handle.fetchHistory()).events ?? []).filter(
      (e) => e.activityTaskCompletedEventAttributes,
    );
    expect(completed).toHaveLength(1);
  });

  it('a cleanup cancelled while its deletion child runs ends after the deletions in flight: none lands after it, each is in the history', async () => {
    const { jobId } = await sandboxAdmin(limited.sandbox.url).seedCompletedJob('cancelled-limited', 20);
    const { handle, before, leftAtEnd } = await cancelDuringSlowDeletions(
      limited,
      jobId,
      'cleanup-cancelled-under-rate-limit',
    );
    // The child ended with its parent, and its history holds every deletion that took place.
    const events = (await handle.fetchHistory()).events ?? [];
    const childId = events.flatMap(
      (e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? [],
    )[0]!;
    const child = limited.env.client.workflow.getHandle(childId);
    expect((await child.describe()).status.name).toBe('CANCELLED');
    const completed = ((await child.fetchHistory()).events ?? []).filter(
      (e) => e.activityTaskCompletedEventAttributes,
    );
    expect(completed).toHaveLength(before - leftAtEnd);
  });

  it('without a limit, a cleanup cancelled during its heartbeating batch also ends only after the deletions in flight', async () => {
    // The batch learns of the cancel at its next heartbeat to reach the server: at most 12 s away with
    // the worker's defaults (0.8 of its 15 s heartbeat timeout), a second here.
    const plain = await startWorkflowTestBed(
      {},
      { shared: env, providerQueues: true, workerOverrides: { maxHeartbeatThrottleInterval: '1s' } },
    );
    try {
      const { jobId } = await sandboxAdmin(plain.sandbox.url).seedCompletedJob('cancelled-batch', 20);
      await cancelDuringSlowDeletions(plain, jobId, 'cleanup-cancelled-during-batch');
    } finally {
      await plain.teardown();
    }
  });

  it('without a limit the same worker deletes in heartbeating batches on its own queue', async () => {
    const plain = await startWorkflowTestBed({}, { shared: env, providerQueues: true });
    try {
      const { jobId } = await sandboxAdmin(plain.sandbox.url).seedCompletedJob('unlimited-deletes', 12);
      const workflowId = 'cleanup-without-rate-limit';
      const result = await plain.withWorker(() =>
        plain.env.client.workflow.execute(checkpointCleanup, {
          args: [{ jobIds: [jobId], retention: { keepLastN: 2 } }],
          taskQueue: plain.taskQueue,
          workflowId,
        }),
      );
      expect(result.deletedCount).toBe(10);
      const events = (await plain.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
      const deletions = events
        .flatMap((e) => e.activityTaskScheduledEventAttributes ?? [])
        .filter((a) => a.activityType?.name === 'leaseAndDeleteCheckpoints');
      expect(deletions.map((a) => a.taskQueue?.name)).toEqual([plain.taskQueue]);
      expect(events.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toBe(false);
      expectRateLimitsAskedLocally(events);
    } finally {
      await plain.teardown();
    }
  });
});

/**
 * The worker's rate limits were learned without a round trip: no activity task asked them, one local
 * activity's marker holds the answer (in the cleanup's first workflow task, before anything is listed).
 */
function expectRateLimitsAskedLocally(events: temporal.api.history.v1.IHistoryEvent[]): void {
  const scheduled = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
  expect(scheduled).not.toContain('providerRateLimits');
  const markers = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
  expect(markers).toHaveLength(1);
  const firstTaskDone = events.findIndex((e) => e.workflowTaskCompletedEventAttributes);
  expect(events.indexOf(markers[0]!)).toBeGreaterThan(firstTaskDone);
  expect(events.findIndex((e) => e.activityTaskScheduledEventAttributes)).toBeGreaterThan(
    events.indexOf(markers[0]!),
  );
}

/**
 * Starts a cleanup of `jobId` (keep the last 2, two deletions at a time) whose deletions each take 2 s,
 * cancels it while the first two are in flight, and checks that nothing is deleted after it ended.
 */
async function cancelDuringSlowDeletions(bed: WorkflowTestBed, jobId: string, workflowId: string) {
  const before = bed.sandbox.state.jobCheckpoints(jobId).length;
  const slowDeletes = { latencyMs: 2000, routePattern: '^/tensorone/v2/training/checkpoints/' };
  return withFaults(bed.sandbox, slowDeletes, async () => {
    const startedAt = Date.now();
    const handle = await bed.withWorker(() =>
      bed.env.client.workflow.start(checkpointCleanup, {
        args: [{ jobIds: [jobId], retention: { keepLastN: 2 }, concurrency: 2 }],
        taskQueue: bed.taskQueue,
        workflowId,
      }),
    );
    const deletesAsked = () =>
      // This cleanup's own: the earlier tests' deletions are in the same log.
      bed.sandbox.state.requestLog.filter(
        (r) => r.at >= startedAt && r.method === 'DELETE' && r.path.includes('/v2/training/checkpoints/'),
      ).length;
    for (let i = 0; i < 150 && deletesAsked() < 2; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow(/cancel/i);
    const leftAtEnd = bed.sandbox.state.jobCheckpoints(jobId).length;
    // What was in flight had its 2 s; nothing more is deleted after the cleanup ended.
    await new Promise((r) => setTimeout(r, 3000));
    expect(bed.sandbox.state.jobCheckpoints(jobId)).toHaveLength(leftAtEnd);
    expect(leftAtEnd).toBeLessThan(before);
    return { handle, before, leftAtEnd };
  });
}
