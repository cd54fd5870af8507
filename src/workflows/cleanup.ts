import { continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { Checkpoint } from '../domain/types';
import { planCleanup, type CheckpointSummary } from '../decisions/retention';
import { provider } from './activity-stubs';
import { isAbsent } from '../domain/capability';
import { listAllCheckpoints } from './checkpoint-pages';
import type { CleanupCarry, CleanupInput, CleanupResult, DeletedCheckpoint } from './definitions';

const PAGE = 100;
const DEFAULT_HISTORY_EVENT_LIMIT = 8000;
/** ~180 bytes each: 2,000 itemized deletions keep result and carried input under ~400 KB. */
const DELETED_ITEMS_LIMIT = 2000;

/**
 * Deletes old checkpoints by a retention policy, for one job or every job matching a filter. Never
 * touches best, final, pinned or deployed checkpoints (every endpoint's checkpoint is protected). Pages
 * through all checkpoints, bounds deletions per run, treats 404 as already deleted, and its result
 * lists each deleted checkpoint with its reason: the workflow history is the audit trail. Runs on a
 * Temporal Schedule (see src/schedules/cleanup-schedule.ts), never a loop of its own.
 */
export async function checkpointCleanup(input: CleanupInput): Promise<CleanupResult> {
  const carry: CleanupCarry = input.carried
    ? { ...input.carried, runs: input.carried.runs + 1 }
    : { jobsDone: [], deleted: [], deletedCount: 0, bytesReclaimed: 0, examined: 0, kept: 0, runs: 1 };
  carry.deletedCount ??= carry.deleted.length;
  carry.bytesReclaimed ??= carry.deleted.reduce((s, d) => s + d.bytes, 0);
  const record = (entry: DeletedCheckpoint) => {
    carry.deletedCount = (carry.deletedCount ?? 0) + 1;
    carry.bytesReclaimed = (carry.bytesReclaimed ?? 0) + entry.bytes;
    if (carry.deleted.length < DELETED_ITEMS_LIMIT) carry.deleted.push(entry);
  };
  const dryRun = input.dryRun ?? false;
  const maxDeletes = input.maxDeletes ?? 1000;
  const concurrency = Math.max(1, Math.min(input.concurrency ?? 8, 32));
  const jobIds = input.jobIds ?? (await matchingJobs(input.jobFilter));
  const endpoints = await provider.listEndpoints();
  // Without the (assumed) endpoint list only the given ids are protected here (the served set is the
  // "protect" work's: docs/providers.md).
  const endpointCheckpoints = (isAbsent(endpoints) ? [] : endpoints)
    .map((e) => e.checkpointId)
    .filter((id): id is string => !!id);
  const protectedIds = new Set([...(input.protectedCheckpointIds ?? []), ...endpointCheckpoints]);
  let truncated = false;

  for (const jobId of jobIds) {
    if (carry.jobsDone.includes(jobId)) continue;
    // Without `offset` the list shows only the oldest 100: delete what they allow, then list again, until
    // a listing is complete or allows nothing more (docs: README, "Cleanup on the documented routes").
    for (;;) {
      const listing = await listAllCheckpoints(jobId, false);
      const checkpoints = listing.checkpoints.map(summary);
      const plan = planCleanup(checkpoints, input.retention, protectedIds, Date.now());
      // A job continued mid-way was counted by the run that first planned it.
      if (carry.countedJob !== jobId) {
        carry.examined += Math.max(listing.totalCount, checkpoints.length);
        carry.countedJob = jobId;
      }
      const room = maxDeletes - carry.deletedCount;
      const batch = plan.delete.slice(0, Math.max(0, room));
      if (batch.length < plan.delete.length) truncated = true;

      if (dryRun) {
        batch.forEach((c) => record(deletedEntry(c, c.reason)));
      } else {
        for (let i = 0; i < batch.length; i += concurrency) {
          const slice = batch.slice(i, i + concurrency);
          const outcomes = await Promise.all(slice.map((c) => provider.deleteCheckpoint(c.id)));
          slice.forEach((c, k) =>
            record({ ...deletedEntry(c, c.reason), alreadyGone: outcomes[k].alreadyGone }),
          );
          if (historyTooLong(input)) {
            // The plan is recomputed from the provider on the next run: deleted checkpoints are gone by then.
            await continueAsNew<typeof checkpointCleanup>({ ...input, jobIds, carried: carry });
          }
        }
      }
      const unseen = listing.totalCount - checkpoints.length;
      if (listing.complete || dryRun || truncated || batch.length === 0) {
        if (!listing.complete && unseen > 0) carry.notListed = (carry.notListed ?? 0) + unseen;
        break;
      }
    }
    carry.jobsDone.push(jobId);
    if (truncated) break;
  }

  return {
    dryRun,
    jobs: jobIds,
    examined: carry.examined,
    // Everything examined and not deleted (also what maxDeletes left): the same whether the job's
    // checkpoints were seen in one listing or in several.
    kept: carry.examined - carry.deletedCount,
    deleted: carry.deleted,
    deletedCount: carry.deletedCount,
    bytesReclaimed: carry.bytesReclaimed,
    truncated,
    runs: carry.runs,
    ...(carry.notListed ? { notListed: carry.notListed } : {}),
  };
}

function deletedEntry(c: CheckpointSummary, reason: DeletedCheckpoint['reason']): DeletedCheckpoint {
  return {
    jobId: c.jobId,
    checkpointId: c.id,
    type: c.type,
    epoch: c.epoch,
    reason,
    bytes: c.sizeBytes ?? 0,
  };
}

function historyTooLong(input: CleanupInput): boolean {
  const info = workflowInfo();
  return (
    info.continueAsNewSuggested ||
    info.historyLength >= (input.historyEventLimit ?? DEFAULT_HISTORY_EVENT_LIMIT)
  );
}

async function matchingJobs(filter: CleanupInput['jobFilter'] = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await provider.listTrainingJobs({
      status: filter.status,
      modelType: filter.modelType as never,
      limit: PAGE,
      offset,
      sort: 'created_at',
      order: 'asc',
    });
    ids.push(
      ...page.jobs
        .filter((j) => !filter.namePrefix || (j.name ?? '').startsWith(filter.namePrefix))
        .map((j) => j.id),
    );
    if (!page.hasMore || page.jobs.length === 0) return ids;
  }
}

function summary(c: Checkpoint): CheckpointSummary {
  return {
    id: c.id,
    jobId: c.jobId ?? '',
    type: c.type,
    epoch: c.epoch,
    createdAt: c.createdAt,
    sizeBytes: c.sizeBytes,
  };
}
