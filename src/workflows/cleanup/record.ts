import type { CheckpointSummary } from '../../decisions/retention';
import { cleanupMetrics } from '../metrics';
import type { CleanupResult, DeletedCheckpoint } from './contract';
import type { CleanupRun } from './run';

/** ~180 bytes each: 2,000 itemized deletions keep result and carried input under ~400 KB. */
const DELETED_ITEMS_LIMIT = 2000;

/**
 * Records one deletion. Only deletions this run made count: a checkpoint already gone before its
 * first ask (another cleanup, a hand deletion) is listed with 0 bytes; one whose answer was lost and
 * a retry found gone counts.
 */
export function recordDeletion(run: CleanupRun, entry: DeletedCheckpoint): void {
  const { carry } = run;
  const counted = entry.alreadyGone ? { ...entry, bytes: 0 } : entry;
  if (!entry.alreadyGone) {
    if (!run.input.dryRun) cleanupMetrics.deleted(entry.bytes);
    carry.deletedCount += 1;
    carry.bytesReclaimed += entry.bytes;
  }
  if (carry.deleted.length < DELETED_ITEMS_LIMIT) carry.deleted.push(counted);
}

export function deletedEntry(c: CheckpointSummary, reason: DeletedCheckpoint['reason']): DeletedCheckpoint {
  return {
    jobId: c.jobId,
    checkpointId: c.id,
    type: c.type,
    epoch: c.epoch,
    reason,
    bytes: c.sizeBytes ?? 0,
  };
}

/** A deletion's flags for the result: gone before this run asked, or asked again after a lost answer. */
export function howDeleted(outcome?: { alreadyGone: boolean; answerLost?: boolean }): {
  alreadyGone: boolean;
  answerLost?: true;
} {
  if (outcome?.answerLost) return { alreadyGone: false, answerLost: true };
  return { alreadyGone: outcome?.alreadyGone ?? false };
}

export function cleanupResult(run: CleanupRun, truncated: boolean): CleanupResult {
  const { carry } = run;
  return {
    dryRun: run.mode.dryRun,
    jobs: run.jobIds,
    examined: carry.examined,
    // Everything examined and not deleted (also what maxDeletes left): the same whether the job's
    // checkpoints were seen in one listing or in several.
    kept: carry.examined - carry.deletedCount,
    deleted: carry.deleted,
    deletedCount: carry.deletedCount,
    bytesReclaimed: carry.bytesReclaimed,
    keptInDoubt: carry.keptInDoubt,
    truncated,
    runs: carry.runs,
    ...(carry.notListed ? { notListed: carry.notListed } : {}),
    ...(carry.spared.length ? { spared: carry.spared } : {}),
  };
}
