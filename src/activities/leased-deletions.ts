import { Context } from '@temporalio/activity';
import type { LeaseAnswer } from '../decisions/protection';
import type { BatchDeletionOutcome, BatchDeletionProgress, DeleteBatchInput } from './batch-deletions';

interface Parts {
  leaseDeletions(input: { checkpointIds: string[] }): Promise<LeaseAnswer>;
  deleteCheckpoints(input: DeleteBatchInput): Promise<{ outcomes: BatchDeletionOutcome[] }>;
  releaseDeletions(): Promise<void>;
}

export interface LeasedDeletionInput extends DeleteBatchInput {
  /** The job's last batch: its leases end with it, instead of in an activity of their own. */
  releaseAfter: boolean;
}

/** The lease as it held for this batch, and each granted deletion's outcome. */
export interface LeasedDeletionAnswer {
  lease: LeaseAnswer;
  outcomes: BatchDeletionOutcome[];
}

/**
 * A cleanup's batch in one activity: the registry's lease, the granted deletions (heartbeating, resumable:
 * see deleteBatchResumably), and on the job's last batch the release. The order is the rule's — nothing
 * is deleted before the registry granted it — so the two round trips of their own are saved, not the safety.
 * A retried attempt leases again what it has not finished: a checkpoint a pipeline claimed meanwhile (a
 * registry that restarted refuses everything while it rebuilds) is spared, never deleted; what an earlier
 * attempt deleted counts as granted. The release comes only after every deletion ended, so none lands
 * after a pipeline may claim the checkpoint; a cancelled or failed batch leaves the release to the
 * workflow, which waits for the batch to stop first.
 */
export function leasedDeletionActivities(parts: Parts) {
  return {
    async leaseAndDeleteCheckpoints(input: LeasedDeletionInput): Promise<LeasedDeletionAnswer> {
      const ctx = Context.current();
      const carried = ctx.info.heartbeatDetails as BatchDeletionProgress | undefined;
      const finished = new Set([
        ...(carried?.deleted ?? []),
        ...(carried?.alreadyGone ?? []),
        ...(carried?.answerLost ?? []),
      ]);
      const asked = [...new Set(input.checkpointIds)];
      const earlier = asked.filter((id) => finished.has(id));
      const rest = asked.filter((id) => !finished.has(id));
      const answer = rest.length
        ? await beatingWhile(ctx, carried, () => parts.leaseDeletions({ checkpointIds: rest }))
        : undefined;
      const granted = [...earlier, ...(answer?.granted ?? [])];
      const { outcomes } = await parts.deleteCheckpoints({
        checkpointIds: granted,
        ...(input.concurrency !== undefined ? { concurrency: input.concurrency } : {}),
      });
      if (input.releaseAfter) await parts.releaseDeletions();
      return { lease: { granted, refused: answer?.refused ?? [] }, outcomes };
    },
  };
}

/** Beats as often as the deletions do. */
const HEARTBEAT_EVERY_MS = 2000;

/**
 * Heartbeats (with what earlier attempts finished, so a retry still resumes from it) while the lease is
 * asked: a registry rebuilding answers after up to 20 s, longer than the batch's heartbeat timeout, and
 * its answer (refused, and why) must reach the cleanup rather than time the attempt out again and again.
 */
async function beatingWhile<T>(
  ctx: Context,
  carried: BatchDeletionProgress | undefined,
  call: () => Promise<T>,
): Promise<T> {
  const progress: BatchDeletionProgress = carried ?? { deleted: [], alreadyGone: [] };
  ctx.heartbeat(progress);
  const timer = setInterval(() => ctx.heartbeat(progress), HEARTBEAT_EVERY_MS);
  try {
    return await call();
  } finally {
    clearInterval(timer);
  }
}
