import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  continueAsNew,
  executeChild,
  isCancellation,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import type { Checkpoint } from '../../domain/types';
import { planCleanup, type CheckpointSummary } from '../../decisions/retention';
import { deletions, protection, provider, waitedDeletionBatches, workerSettings } from '../activity-stubs';
import { summarized } from '../summaries';
import { cleanupMetrics } from '../metrics';
import { isAbsent } from '../../domain/capability';
import { listAllCheckpoints } from './checkpoint-pages';
import { deleteCheckpointsAtProviderRate } from './checkpoint-deletions';
import type {
  CleanupCarry,
  CleanupInput,
  CleanupResult,
  DeletedCheckpoint,
  KeptInDoubt,
  SparedCheckpoint,
} from './contract';

const PAGE = 100;
const DEFAULT_HISTORY_EVENT_LIMIT = 8000;
/** ~180 bytes each: 2,000 itemized deletions keep result and carried input under ~400 KB. */
const DELETED_ITEMS_LIMIT = 2000;

/** Every cleanup asks the shared protected set (src/activities/protection.ts), per job, before planning. */
const SHARED_PROTECTED_SET_PATCH = 'cleanup-shared-protected-set';
/**
 * Every deletion is leased from the protection registry first: a pipeline that claimed a checkpoint
 * after this cleanup planned (but before it deletes) keeps it, and one that claims later is told.
 */
const LEASED_DELETIONS_PATCH = 'cleanup-leases-deletions';
/**
 * A batch's granted deletions run inside heartbeating activities (`deleteCheckpoints`), up to
 * DELETION_BATCH ids each, instead of one activity per checkpoint: history grows by one activity per
 * batch, and the deletions run near the provider's capacity. The listing that plans them asks its pages
 * `concurrency` at a time (a job of 10,000 checkpoints is 100 pages).
 */
const BATCHED_DELETIONS_PATCH = 'cleanup-batched-deletions';
/**
 * Ids per deletion activity. At the sandbox's ~1,500 deletions/s, 500 take ~0.3 s against the
 * ~30-50 ms an activity costs in dispatch and workflow task (≥ 85 % of capacity); at a provider's
 * rate limit of 10/s they take 50 s, well inside the start-to-close, heartbeating throughout.
 * Input, result and heartbeat stay ~25 KB each, so 10,000 deletions add ~1 MB over 20 activities.
 */
const DELETION_BATCH = 500;
/**
 * Under a configured TensorOne rate limit, a batch's deletions run as one activity per checkpoint on
 * the provider's task queue (in a child workflow per batch), where the server holds them to the limit.
 */
const RATE_LIMITED_DELETIONS_PATCH = 'cleanup-deletions-held-to-provider-rate';
/**
 * A cancelled cleanup waits for its deletion batch to stop (the deletions in flight to finish) before it
 * releases its leases: none lands after a pipeline may claim the checkpoint.
 */
const WAITS_FOR_CANCELLED_BATCH_PATCH = 'cleanup-waits-for-cancelled-deletion-batch';
/**
 * The worker's rate limits are asked as a local activity (a marker in the workflow task that asks)
 * instead of an activity task: one round trip less per cleanup, the same answer in the history.
 */
const RATE_LIMITS_LOCALLY_PATCH = 'cleanup-asks-rate-limits-locally';
/** Itemized checkpoints a lease refused, for the audit trail (the count is always exact). */
const SPARED_ITEMS_LIMIT = 200;

/** The worker fleet's provider rate limits (see RATE_LIMITS_LOCALLY_PATCH). */
function providerRateLimits() {
  return patched(RATE_LIMITS_LOCALLY_PATCH)
    ? workerSettings.providerRateLimits()
    : provider.providerRateLimits();
}

/**
 * Deletes old checkpoints by a retention policy, for one job or every job matching a filter. Never
 * touches best, final or protected checkpoints — the same set for every cleanup, whoever started it:
 * candidates of pipelines in flight, pins, everything deployed (src/decisions/protection.ts); when
 * that set cannot be determined the job's checkpoints are all kept and the result says why. Pages
 * through all checkpoints, bounds deletions per run, treats 404 as already deleted, and its result
 * lists each deleted checkpoint with its reason: the workflow history is the audit trail. Runs on a
 * Temporal Schedule (see src/schedules/cleanup-schedule.ts), never a loop of its own.
 */
export async function checkpointCleanup(input: CleanupInput): Promise<CleanupResult> {
  try {
    const result = await cleanUp(input);
    cleanupMetrics.ended('completed');
    return result;
  } catch (err) {
    // A continue-as-new is the same cleanup going on; a cancel is the operator's.
    if (!(err instanceof ContinueAsNew) && !isCancellation(err)) cleanupMetrics.ended('failed');
    throw err;
  }
}

async function cleanUp(input: CleanupInput): Promise<CleanupResult> {
  const carry: CleanupCarry = input.carried
    ? { ...input.carried, runs: input.carried.runs + 1 }
    : { jobsDone: [], deleted: [], deletedCount: 0, bytesReclaimed: 0, examined: 0, kept: 0, runs: 1 };
  carry.deletedCount ??= carry.deleted.length;
  carry.bytesReclaimed ??= carry.deleted.reduce((s, d) => s + d.bytes, 0);
  carry.keptInDoubt ??= [];
  carry.spared ??= [];
  // Only deletions this run made count: a checkpoint already gone before its first ask (another cleanup,
  // a hand deletion) is listed with 0 bytes; one whose answer was lost and a retry found gone counts.
  const record = (entry: DeletedCheckpoint) => {
    const counted = entry.alreadyGone ? { ...entry, bytes: 0 } : entry;
    if (!entry.alreadyGone) {
      if (!input.dryRun) cleanupMetrics.deleted(entry.bytes);
      carry.deletedCount = (carry.deletedCount ?? 0) + 1;
      carry.bytesReclaimed = (carry.bytesReclaimed ?? 0) + entry.bytes;
    }
    if (carry.deleted.length < DELETED_ITEMS_LIMIT) carry.deleted.push(counted);
  };
  const dryRun = input.dryRun ?? false;
  const maxDeletes = input.maxDeletes ?? 1000;
  const concurrency = Math.max(1, Math.min(input.concurrency ?? 8, 32));
  const jobIds = input.jobIds ?? (await matchingJobs(input.jobFilter));
  const shared = patched(SHARED_PROTECTED_SET_PATCH);
  const leased = !dryRun && patched(LEASED_DELETIONS_PATCH);
  const batched = !dryRun && patched(BATCHED_DELETIONS_PATCH);
  const atProviderRate =
    batched && patched(RATE_LIMITED_DELETIONS_PATCH) && (await providerRateLimits()).tensorone !== undefined;
  let batchesThisRun = 0;
  const batchStubs = () => (patched(WAITS_FOR_CANCELLED_BATCH_PATCH) ? waitedDeletionBatches : deletions);
  // Runs recorded before the shared set asked the (assumed) endpoint list; absent, it protects nothing.
  const endpoints = shared ? [] : await provider.listEndpoints();
  const endpointCheckpoints = (isAbsent(endpoints) ? [] : endpoints)
    .map((e) => e.checkpointId)
    .filter((id): id is string => !!id);
  const givenIds = [...(input.protectedCheckpointIds ?? []), ...endpointCheckpoints];
  let truncated = false;

  for (const jobId of jobIds) {
    if (carry.jobsDone.includes(jobId)) continue;
    // Asked per job, just before planning it: a candidate chosen meanwhile is protected too.
    const inUse = shared ? await sharedProtectedSet(jobId) : { ids: [] };
    if ('doubt' in inUse) {
      if (!carry.keptInDoubt.some((k) => k.jobId === jobId)) carry.keptInDoubt.push(inUse.doubt);
      carry.jobsDone.push(jobId);
      continue;
    }
    const protectedIds = new Set([...givenIds, ...inUse.ids]);
    // Released after the job only when a lease was asked for: a job with nothing to delete asks none.
    let leasedForJob = false;
    try {
      // Without `offset` the list shows only the oldest 100: delete what they allow, then list again, until
      // a listing is complete or allows nothing more (docs/reliability.md, "Exactly-once on documented routes").
      for (;;) {
        // Since BATCHED_DELETIONS_PATCH the listing's pages are asked `concurrency` at a time, too.
        const listing = await listAllCheckpoints(jobId, false, batched ? concurrency : 1);
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
          leasedForJob ||= leased && batch.length > 0;
          const granted = leased ? await leaseDeletions(batch, protectedIds, carry.spared) : batch;
          for (let i = 0; batched && i < granted.length; i += DELETION_BATCH) {
            const slice = granted.slice(i, i + DELETION_BATCH);
            const what = `delete ${slice.length} checkpoint${slice.length === 1 ? '' : 's'} of job ${jobId} (${describeReasons(slice)})`;
            const { outcomes } = atProviderRate
              ? await executeChild(deleteCheckpointsAtProviderRate, {
                  // Unique per run and batch: a continued run deletes what is left under new ids.
                  workflowId: `${workflowInfo().workflowId}/deletions-${workflowInfo().runId.slice(0, 8)}-${++batchesThisRun}`,
                  staticSummary: `${what}, at the provider's rate limit`,
                  args: [
                    { jobId, checkpoints: slice.map((c) => ({ id: c.id, reason: c.reason })), concurrency },
                  ],
                })
              : await summarized(batchStubs().deleteCheckpoints, what, {
                  checkpointIds: slice.map((c) => c.id),
                  concurrency,
                });
            const answered = new Map(outcomes.map((o) => [o.checkpointId, o]));
            slice.forEach((c) => record({ ...deletedEntry(c, c.reason), ...howDeleted(answered.get(c.id)) }));
            if (historyTooLong(input)) {
              await continueAsNew<typeof checkpointCleanup>({ ...input, jobIds, carried: carry });
            }
          }
          // Runs recorded before BATCHED_DELETIONS_PATCH: one activity per checkpoint, `concurrency` at once.
          for (let i = 0; !batched && i < granted.length; i += concurrency) {
            const slice = granted.slice(i, i + concurrency);
            const outcomes = await Promise.all(
              slice.map((c) =>
                summarized(
                  provider.deleteCheckpoint,
                  `delete checkpoint ${c.id} of job ${jobId} (${c.reason})`,
                  c.id,
                ),
              ),
            );
            slice.forEach((c, k) => record({ ...deletedEntry(c, c.reason), ...howDeleted(outcomes[k]) }));
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
    } finally {
      // Released even when the cleanup fails or continues as new (the next run leases again).
      if (leasedForJob) await CancellationScope.nonCancellable(() => protection.releaseDeletions());
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
    keptInDoubt: carry.keptInDoubt,
    truncated,
    runs: carry.runs,
    ...(carry.notListed ? { notListed: carry.notListed } : {}),
    ...(carry.spared.length ? { spared: carry.spared } : {}),
  };
}

/**
 * The part of a planned batch the protection registry lets this cleanup delete. What it refuses (a
 * pipeline claimed it after the plan) joins the job's protected ids, so the next plan keeps it too.
 */
async function leaseDeletions(
  batch: (CheckpointSummary & { reason: DeletedCheckpoint['reason'] })[],
  protectedIds: Set<string>,
  spared: SparedCheckpoint[],
): Promise<typeof batch> {
  if (batch.length === 0) return batch;
  const answer = await protection.leaseDeletions({ checkpointIds: batch.map((c) => c.id) });
  for (const r of answer.refused) {
    protectedIds.add(r.checkpointId);
    if (spared.length < SPARED_ITEMS_LIMIT) spared.push(r);
  }
  const granted = new Set(answer.granted);
  return batch.filter((c) => granted.has(c.id));
}

/** The shared protected set for one job, or why it cannot be known (then nothing of the job is deleted). */
async function sharedProtectedSet(jobId: string): Promise<{ ids: string[] } | { doubt: KeptInDoubt }> {
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

/** `12 beyond-keep-last-n, 3 older-than-keep-window`: what a batch's summary says it deletes and why. */
function describeReasons(batch: { reason: DeletedCheckpoint['reason'] }[]): string {
  const counts = new Map<string, number>();
  for (const c of batch) counts.set(c.reason, (counts.get(c.reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason}`).join(', ');
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
    const page = await summarized(
      provider.listTrainingJobs,
      `list ${filter.status ?? 'all'} training jobs from ${offset}`,
      {
        status: filter.status,
        modelType: filter.modelType as never,
        limit: PAGE,
        offset,
        sort: 'created_at',
        order: 'asc',
      },
    );
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

/** A deletion's flags for the result: gone before this run asked, or asked again after a lost answer. */
function howDeleted(outcome?: { alreadyGone: boolean; answerLost?: boolean }): {
  alreadyGone: boolean;
  answerLost?: true;
} {
  if (outcome?.answerLost) return { alreadyGone: false, answerLost: true };
  return { alreadyGone: outcome?.alreadyGone ?? false };
}
