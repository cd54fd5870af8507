import { ApplicationFailure } from '@temporalio/common';
import { deleteBatchResumably, type BatchDeletionProgress } from '../../src/activities/batch-deletions';
import type { DeleteOutcome } from '../../src/activities/failures';
import { leasedDeletionActivities } from '../../src/activities/leased-deletions';
import type { LeaseAnswer } from '../../src/decisions/protection';
import { runActivityResuming } from '../harness/activity-env';

/**
 * A registry that protects `claimed` (a pipeline holds them) and a provider whose deletions are
 * recorded; every call goes into one log, so the order of lease, deletions and release is visible.
 */
function world(claimed: string[] = [], failDeleting: string[] = [], goneAtProvider: string[] = []) {
  const log: string[] = [];
  const activity = leasedDeletionActivities({
    async leaseDeletions({ checkpointIds }): Promise<LeaseAnswer> {
      log.push(`lease ${checkpointIds.join(',')}`);
      return {
        granted: checkpointIds.filter((id) => !claimed.includes(id)),
        refused: checkpointIds
          .filter((id) => claimed.includes(id))
          .map((checkpointId) => ({ checkpointId, reason: 'candidate of a running pipeline' })),
      };
    },
    deleteCheckpoints: (input) =>
      deleteBatchResumably(input, async (id): Promise<DeleteOutcome> => {
        if (failDeleting.includes(id)) throw new Error(`connection reset deleting ${id}`);
        log.push(`delete ${id}`);
        return { deleted: true, alreadyGone: false };
      }),
    async releaseDeletions(input) {
      // Only what this attempt or an earlier one was granted: a retry deleting now keeps its own.
      expect(input).toEqual({ upToThisAttempt: true });
      log.push('release');
    },
    async getCheckpoint(id: string) {
      log.push(`get ${id}`);
      if (goneAtProvider.includes(id))
        throw ApplicationFailure.create({
          message: `tensorone GET /v2/training/checkpoints/:id: 404`,
          type: 'NOT_FOUND',
          nonRetryable: true,
          details: [{ provider: 'tensorone', route: 'GET /v2/training/checkpoints/:id', status: 404 }],
        });
      return { id };
    },
  }).leaseAndDeleteCheckpoints;
  return { log, activity };
}

describe('a cleanup batch leased, deleted and released in one activity', () => {
  it('deletes only what the registry granted, after the lease, and releases after the last deletion', async () => {
    const { log, activity } = world(['c2']);
    const { result } = await runActivityResuming({ workflowId: 'cleanup', attempt: 1 }, activity, {
      checkpointIds: ['c1', 'c2', 'c3'],
      concurrency: 1,
      releaseAfter: true,
    });
    expect(log).toEqual(['lease c1,c2,c3', 'delete c1', 'delete c3', 'release']);
    expect(result?.lease).toEqual({
      granted: ['c1', 'c3'],
      refused: [{ checkpointId: 'c2', reason: 'candidate of a running pipeline' }],
    });
    expect(result?.outcomes.map((o) => o.checkpointId)).toEqual(['c1', 'c3']);
  });

  it('keeps the leases when more of the job follows (the workflow releases after its last pass)', async () => {
    const { log, activity } = world();
    await runActivityResuming({ workflowId: 'cleanup', attempt: 1 }, activity, {
      checkpointIds: ['c1'],
      releaseAfter: false,
    });
    expect(log).toEqual(['lease c1', 'delete c1']);
  });

  it('a batch that fails on one deletion does not release: the workflow does, once the batch stopped', async () => {
    const { log, activity } = world([], ['c2']);
    const { error } = await runActivityResuming({ workflowId: 'cleanup', attempt: 1 }, activity, {
      checkpointIds: ['c1', 'c2'],
      concurrency: 1,
      releaseAfter: true,
    });
    expect(String(error)).toMatch(/connection reset deleting c2/);
    expect(log).not.toContain('release');
  });

  it('a retry leases again only what it has not finished; a checkpoint claimed meanwhile is spared', async () => {
    // The first attempt deleted c1 (its heartbeat says so) and died; a pipeline then claimed c3.
    const { log, activity } = world(['c3']);
    const earlier: BatchDeletionProgress = { deleted: ['c1'], alreadyGone: [] };
    const { result } = await runActivityResuming(
      { workflowId: 'cleanup', attempt: 2, heartbeatDetails: earlier },
      activity,
      { checkpointIds: ['c1', 'c2', 'c3'], concurrency: 1, releaseAfter: true },
    );
    expect(log).toEqual(['lease c2,c3', 'delete c2', 'release']);
    expect(result?.lease.granted).toEqual(['c1', 'c2']);
    expect(result?.lease.refused.map((r) => r.checkpointId)).toEqual(['c3']);
    expect(result?.outcomes).toEqual([
      { checkpointId: 'c1', alreadyGone: false },
      { checkpointId: 'c2', alreadyGone: false },
    ]);
  });

  it('a retry refused what an earlier attempt deleted after its last heartbeat: that deletion is counted once, as its answer lost, never as spared', async () => {
    // Attempt 1 was granted all three, deleted c1 (heartbeated) and c2 (not: it died first). Then the
    // registry, started anew and rebuilding, refuses everything: c2 is gone all the same, deleted by this
    // cleanup; c3 is kept.
    const { log, activity } = world(['c2', 'c3'], [], ['c2']);
    const earlier: BatchDeletionProgress = { deleted: ['c1'], alreadyGone: [], leased: ['c1', 'c2', 'c3'] };
    const { result } = await runActivityResuming(
      { workflowId: 'cleanup', attempt: 2, heartbeatDetails: earlier },
      activity,
      { checkpointIds: ['c1', 'c2', 'c3'], concurrency: 1, releaseAfter: true },
    );
    expect(log.filter((l) => l.startsWith('delete'))).toEqual([]);
    expect(log.at(-1)).toBe('release');
    expect(result?.lease.granted).toEqual(['c1', 'c2']);
    expect(result?.lease.refused.map((r) => r.checkpointId)).toEqual(['c3']);
    expect(result?.outcomes).toEqual([
      { checkpointId: 'c1', alreadyGone: false },
      { checkpointId: 'c2', alreadyGone: false, answerLost: true },
    ]);
  });

  it('a retry refused what no attempt was granted: gone or not, it is spared, never counted as this cleanup’s deletion', async () => {
    // c2 was refused to attempt 1 too (pinned); someone else deleted it by hand since.
    const { log, activity } = world(['c2'], [], ['c2']);
    const earlier: BatchDeletionProgress = { deleted: ['c1'], alreadyGone: [], leased: ['c1'] };
    const { result } = await runActivityResuming(
      { workflowId: 'cleanup', attempt: 2, heartbeatDetails: earlier },
      activity,
      { checkpointIds: ['c1', 'c2'], concurrency: 1, releaseAfter: true },
    );
    expect(log).toEqual(['lease c2', 'release']);
    expect(result?.lease.granted).toEqual(['c1']);
    expect(result?.lease.refused.map((r) => r.checkpointId)).toEqual(['c2']);
    expect(result?.outcomes).toEqual([{ checkpointId: 'c1', alreadyGone: false }]);
  });

  it('every heartbeat after the lease carries what it granted, so a retry knows what it may have deleted', async () => {
    const { activity } = world(['c2']);
    const { heartbeats } = await runActivityResuming({ workflowId: 'cleanup', attempt: 1 }, activity, {
      checkpointIds: ['c1', 'c2', 'c3'],
      concurrency: 1,
      releaseAfter: true,
    });
    const last = heartbeats.at(-1) as BatchDeletionProgress;
    expect(last.leased).toEqual(['c1', 'c3']);
    expect(last.deleted).toEqual(['c1', 'c3']);
  });

  it('a first attempt never looks up what the registry refused: a refusal there is only a refusal', async () => {
    const { log, activity } = world(['c2'], [], ['c2']);
    const { result } = await runActivityResuming({ workflowId: 'cleanup', attempt: 1 }, activity, {
      checkpointIds: ['c1', 'c2'],
      concurrency: 1,
      releaseAfter: true,
    });
    expect(log).toEqual(['lease c1,c2', 'delete c1', 'release']);
    expect(result?.lease.refused.map((r) => r.checkpointId)).toEqual(['c2']);
  });

  it('a retry with everything finished asks the registry nothing but the release', async () => {
    const { log, activity } = world();
    const earlier: BatchDeletionProgress = { deleted: ['c1'], alreadyGone: ['c2'] };
    const { result } = await runActivityResuming(
      { workflowId: 'cleanup', attempt: 3, heartbeatDetails: earlier },
      activity,
      { checkpointIds: ['c1', 'c2'], releaseAfter: true },
    );
    expect(log).toEqual(['release']);
    expect(result?.outcomes).toEqual([
      { checkpointId: 'c1', alreadyGone: false },
      { checkpointId: 'c2', alreadyGone: true },
    ]);
  });

  it('a lease that refuses everything deletes nothing and still ends the leases', async () => {
    const { log, activity } = world(['c1', 'c2']);
    const { result } = await runActivityResuming({ workflowId: 'cleanup', attempt: 1 }, activity, {
      checkpointIds: ['c1', 'c2', 'c1'],
      releaseAfter: true,
    });
    expect(log).toEqual(['lease c1,c2', 'release']);
    expect(result?.outcomes).toEqual([]);
    expect(result?.lease.granted).toEqual([]);
  });
});
