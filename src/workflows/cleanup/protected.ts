import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { LeaseAnswer } from '../../decisions/protection';
import type { CheckpointSummary } from '../../decisions/retention';
import { isAbsent } from '../../domain/capability';
import { protection, provider } from '../activity-stubs';
import { summarized } from '../summaries';
import type { DeletedCheckpoint, KeptInDoubt, SparedCheckpoint } from './contract';
import type { CleanupMode } from './run';

/** Itemized checkpoints a lease refused, for the audit trail (the count is always exact). */
const SPARED_ITEMS_LIMIT = 200;

/**
 * Checkpoints of deployed endpoints, kept in every job by runs recorded before the shared protected
 * set (they asked the assumed endpoint list; absent, it protects nothing). Runs since ask nothing here.
 */
export async function endpointCheckpoints(mode: CleanupMode): Promise<string[]> {
  const endpoints = mode.shared ? [] : await provider.listEndpoints();
  return (isAbsent(endpoints) ? [] : endpoints).map((e) => e.checkpointId).filter((id): id is string => !!id);
}

/** The shared protected set for one job, or why it cannot be known (then nothing of the job is deleted). */
export async function sharedProtectedSet(jobId: string): Promise<{ ids: string[] } | { doubt: KeptInDoubt }> {
  try {
    const answer = await summarized(
      protection.protectedCheckpoints,
      `which checkpoints of job ${jobId} are in use (pinned, candidates, deployed)?`,
      { jobIds: [jobId] },
    );
    return { ids: answer.checkpoints.map((c) => c.checkpointId) };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const why =
      cause instanceof ApplicationFailure
        ? `${cause.type ?? 'Error'}: ${cause.message}`
        : ((cause as Error)?.message ?? String(cause));
    return {
      doubt: { jobId, reason: `kept every checkpoint: could not determine which are in use (${why})` },
    };
  }
}

/**
 * The part of a planned batch the protection registry lets this cleanup delete. What it refuses (a
 * pipeline claimed it after the plan) joins the job's protected ids, so the next plan keeps it too.
 */
export async function leaseDeletions(
  batch: (CheckpointSummary & { reason: DeletedCheckpoint['reason'] })[],
  protectedIds: Set<string>,
  spared: SparedCheckpoint[],
): Promise<typeof batch> {
  if (batch.length === 0) return batch;
  const answer = await protection.leaseDeletions({ checkpointIds: batch.map((c) => c.id) });
  return grantedPart(batch, answer, protectedIds, spared);
}

/**
 * What of a batch a lease granted. What it refused (a pipeline claimed it after the plan) joins the
 * job's protected ids, so the next plan keeps it too, and the audit trail's spared checkpoints.
 */
export function grantedPart<T extends { id: string }>(
  batch: T[],
  answer: LeaseAnswer,
  protectedIds: Set<string>,
  spared: SparedCheckpoint[],
): T[] {
  for (const r of answer.refused) {
    protectedIds.add(r.checkpointId);
    if (spared.length < SPARED_ITEMS_LIMIT) spared.push(r);
  }
  const granted = new Set(answer.granted);
  return batch.filter((c) => granted.has(c.id));
}
