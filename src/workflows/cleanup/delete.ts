import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { CheckpointSummary } from '../../decisions/retention';
import { deletions, provider, waitedDeletionBatches } from '../activity-stubs';
import { summarized } from '../summaries';
import { deleteCheckpointsAtProviderRate } from './checkpoint-deletions';
import type { DeletedCheckpoint, DeletionOutcome } from './contract';
import { waitsForCancelledBatch } from './patches';
import { grantedPart } from './protected';
import { deletedEntry, howDeleted, recordDeletion } from './record';
import { continueIfHistoryLong, type CleanupRun } from './run';

/**
 * Ids per deletion activity. At the sandbox's ~1,500 deletions/s, 500 take ~0.3 s against the
 * ~30-50 ms an activity costs in dispatch and workflow task (≥ 85 % of capacity); at a provider's
 * rate limit of 10/s they take 50 s, well inside the start-to-close, heartbeating throughout.
 * Input, result and heartbeat stay ~25 KB each, so 10,000 deletions add ~1 MB over 20 activities.
 */
const DELETION_BATCH = 500;

export type PlannedDeletion = CheckpointSummary & { reason: DeletedCheckpoint['reason'] };

/**
 * Deletes what the registry granted, one of three ways: batches in heartbeating activities, batches
 * in a child held to the provider's rate limit, or (runs recorded before batches) one activity per
 * checkpoint. Each answer is recorded; a long history continues as new between batches.
 */
export async function deleteGranted(
  run: CleanupRun,
  jobId: string,
  granted: PlannedDeletion[],
): Promise<void> {
  if (run.mode.batched) await deleteInBatches(run, jobId, granted);
  else await deleteOneByOne(run, jobId, granted);
}

async function deleteInBatches(run: CleanupRun, jobId: string, granted: PlannedDeletion[]): Promise<void> {
  for (let i = 0; i < granted.length; i += DELETION_BATCH) {
    const slice = granted.slice(i, i + DELETION_BATCH);
    const what = `delete ${slice.length} checkpoint${slice.length === 1 ? '' : 's'} of job ${jobId} (${describeReasons(slice)})`;
    const { outcomes } = run.mode.atProviderRate
      ? await deleteInChild(run, jobId, slice, what)
      : await summarized(
          (waitsForCancelledBatch() ? waitedDeletionBatches : deletions).deleteCheckpoints,
          what,
          { checkpointIds: slice.map((c) => c.id), concurrency: run.mode.concurrency },
        );
    const answered = new Map(outcomes.map((o) => [o.checkpointId, o]));
    slice.forEach((c) =>
      recordDeletion(run, { ...deletedEntry(c, c.reason), ...howDeleted(answered.get(c.id)) }),
    );
    await continueIfHistoryLong(run);
  }
}

/**
 * A batch that fits one activity, leased and deleted there (`leasesWithDeletions`): the registry's grant
 * comes first inside the activity, and on the job's last batch its leases end there too. Answers
 * whether they did (else the job's leases are released after it, as before). The caller continues as
 * new when the history is long, once it knows whether leases are still held.
 */
export async function leaseAndDeleteBatch(
  run: CleanupRun,
  jobId: string,
  batch: PlannedDeletion[],
  protectedIds: Set<string>,
  releaseAfter: boolean,
): Promise<{ released: boolean }> {
  // Read as the other batches' summaries are ("delete 12 checkpoints of job … (reasons)"), then the lease.
  const what =
    `delete ${batch.length} checkpoint${batch.length === 1 ? '' : 's'} of job ${jobId} ` +
    `(${describeReasons(batch)}) the registry leases${releaseAfter ? ', then end the leases' : ''}`;
  const { lease, outcomes } = await summarized(waitedDeletionBatches.leaseAndDeleteCheckpoints, what, {
    checkpointIds: batch.map((c) => c.id),
    concurrency: run.mode.concurrency,
    releaseAfter,
  });
  const answered = new Map(outcomes.map((o) => [o.checkpointId, o]));
  grantedPart(batch, lease, protectedIds, run.carry.spared).forEach((c) =>
    recordDeletion(run, { ...deletedEntry(c, c.reason), ...howDeleted(answered.get(c.id)) }),
  );
  return { released: releaseAfter };
}

/** Whether a batch fits one deletion activity. */
export const fitsOneBatch = (batch: unknown[]): boolean => batch.length > 0 && batch.length <= DELETION_BATCH;

/** One batch in a child workflow whose deletions the server holds to the provider's rate limit. */
function deleteInChild(
  run: CleanupRun,
  jobId: string,
  slice: PlannedDeletion[],
  what: string,
): Promise<{ outcomes: DeletionOutcome[] }> {
  const { workflowId, runId } = workflowInfo();
  return executeChild(deleteCheckpointsAtProviderRate, {
    // Unique per run and batch: a continued run deletes what is left under new ids.
    workflowId: `${workflowId}/deletions-${runId.slice(0, 8)}-${++run.batchesStarted}`,
    staticSummary: `${what}, at the provider's rate limit`,
    args: [
      {
        jobId,
        checkpoints: slice.map((c) => ({ id: c.id, reason: c.reason })),
        concurrency: run.mode.concurrency,
      },
    ],
  });
}

/** Runs recorded before batched deletions: one activity per checkpoint, `concurrency` at once. */
async function deleteOneByOne(run: CleanupRun, jobId: string, granted: PlannedDeletion[]): Promise<void> {
  for (let i = 0; i < granted.length; i += run.mode.concurrency) {
    const slice = granted.slice(i, i + run.mode.concurrency);
    const outcomes = await Promise.all(
      slice.map((c) =>
        summarized(
          provider.deleteCheckpoint,
          `delete checkpoint ${c.id} of job ${jobId} (${c.reason})`,
          c.id,
        ),
      ),
    );
    slice.forEach((c, k) =>
      recordDeletion(run, { ...deletedEntry(c, c.reason), ...howDeleted(outcomes[k]) }),
    );
    await continueIfHistoryLong(run);
  }
}

/** `12 beyond-keep-last-n, 3 older-than-keep-window`: what a batch's summary says it deletes and why. */
function describeReasons(batch: { reason: DeletedCheckpoint['reason'] }[]): string {
  const counts = new Map<string, number>();
  for (const c of batch) counts.set(c.reason, (counts.get(c.reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason}`).join(', ');
}
