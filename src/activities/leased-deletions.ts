import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { saysCheckpointGone, type LeaseAnswer } from '../decisions/protection';
import type { BatchDeletionOutcome, BatchDeletionProgress, DeleteBatchInput } from './batch-deletions';
import { beatingWhile } from './context';

interface Parts {
  leaseDeletions(input: { checkpointIds: string[] }): Promise<LeaseAnswer>;
  deleteCheckpoints(input: DeleteBatchInput): Promise<{ outcomes: BatchDeletionOutcome[] }>;
  releaseDeletions(input: { upToThisAttempt?: boolean }): Promise<void>;
  /** The documented checkpoint GET, classified (a 404 is a failure whose first detail says 404). */
  getCheckpoint(checkpointId: string): Promise<unknown>;
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
      // Beating while the registry answers (a rebuilding one takes up to 20 s, past the batch's heartbeat
      // timeout), with what earlier attempts finished, so a retry still resumes from it.
      const keep = { details: carried ?? { deleted: [], alreadyGone: [] } };
      const answer = rest.length
        ? await beatingWhile(() => parts.leaseDeletions({ checkpointIds: rest }), keep)
        : undefined;
      // A retry refused what an earlier attempt was granted and may have deleted after its last heartbeat
      // (a registry rebuilding refuses everything): one the provider says is gone was this cleanup's
      // deletion whose answer was lost, counted once as such (no DELETE sent, never reported spared).
      // What no attempt was granted is only a refusal: gone or not, this cleanup did not delete it.
      const grantedBefore = new Set(carried?.leased ?? []);
      const mayHaveDeleted = (answer?.refused ?? [])
        .map((r) => r.checkpointId)
        .filter((id) => grantedBefore.has(id));
      const lost = mayHaveDeleted.length
        ? await beatingWhile(() => goneOf(parts.getCheckpoint, mayHaveDeleted, input.concurrency), keep)
        : new Set<string>();
      const toDelete = [...earlier, ...(answer?.granted ?? [])];
      const leased = [...new Set([...grantedBefore, ...(answer?.granted ?? [])])];
      const { outcomes } = await parts.deleteCheckpoints({
        checkpointIds: toDelete,
        ...(input.concurrency !== undefined ? { concurrency: input.concurrency } : {}),
        ...(leased.length ? { leased } : {}),
      });
      // Only what this attempt (or an earlier one) was granted: an attempt that timed out and ran on to
      // here must not end the leases of the retry that is deleting now.
      if (input.releaseAfter) await parts.releaseDeletions({ upToThisAttempt: true });
      return {
        lease: {
          granted: [...toDelete, ...lost],
          refused: (answer?.refused ?? []).filter((r) => !lost.has(r.checkpointId)),
        },
        outcomes: [
          ...outcomes,
          ...[...lost].map((checkpointId) => ({ checkpointId, alreadyGone: false, answerLost: true })),
        ],
      };
    },
  };
}

/**
 * Which of these the provider says are gone (404), `concurrency` GETs at a time. Any other answer or
 * failure leaves the checkpoint as refused: kept and said so, the safe side.
 */
async function goneOf(
  get: (checkpointId: string) => Promise<unknown>,
  ids: string[],
  concurrency = 8,
): Promise<Set<string>> {
  const gone = new Set<string>();
  const at = Math.max(1, Math.min(concurrency, 32));
  for (let i = 0; i < ids.length; i += at)
    await Promise.all(
      ids.slice(i, i + at).map(async (id) => {
        try {
          await get(id);
        } catch (err) {
          if (saysCheckpointGone(err instanceof ApplicationFailure ? err : undefined)) gone.add(id);
        }
      }),
    );
  return gone;
}
