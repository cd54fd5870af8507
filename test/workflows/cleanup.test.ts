import { sandboxAdmin } from '../../src/sandbox/admin-client';
import type { CleanupInput, CleanupResult } from '../../src/workflows/definitions';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SANDBOX_PROFILES } from '../../src/sandbox/profile';
import { startTimeSkippingEnv } from '../harness/temporal';
import { startWorkflowTestBed, type WorkflowTestBed } from '../harness/workflow-env';

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
    bed = await startWorkflowTestBed({ profile, unknownRoute: 'method-not-allowed' }, env);
  });
  afterAll(() => bed?.teardown());

  const cleanup = (input: CleanupInput, workflowId: string) =>
    bed.withWorker(() =>
      bed.env.client.workflow.execute('checkpointCleanup', {
        args: [input],
        taskQueue: bed.taskQueue,
        workflowId,
      }),
    ) as Promise<CleanupResult>;

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
        historyEventLimit: 1500,
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
});
