import { CancellationScope } from '@temporalio/workflow';
import { planCleanup, type CheckpointSummary } from '../../decisions/retention';
import type { Checkpoint } from '../../domain/types';
import { protection } from '../activity-stubs';
import { heldRead } from '../held-read';
import { listAllCheckpoints } from './checkpoint-pages';
import { deleteGranted, fitsOneBatch, leaseAndDeleteBatch } from './delete';
import { leaseDeletions, sharedProtectedSet } from './protected';
import { untilDeploymentServes } from './go-ahead';
import { deletedEntry, recordDeletion } from './record';
import { continueIfHistoryLong, type CleanupRun } from './run';

/** One job being cleaned: what it keeps, and whether it asked the registry for a lease. */
interface JobInCleanup {
  jobId: string;
  protectedIds: Set<string>;
  /** Released after the job only when a lease was asked for: a job with nothing to delete asks none. */
  leased: boolean;
}

/**
 * Cleans one job: asks what of it is in use (a job whose use cannot be determined is kept whole, and
 * said why), then lists, plans and deletes until a listing is complete or allows nothing more.
 * Answers whether `maxDeletes` cut the run short.
 */
export async function cleanJob(run: CleanupRun, jobId: string): Promise<boolean> {
  // The first listing is asked beside the protected set, one round instead of two: what the plan
  // deletes is leased from the registry afterwards all the same, so a claim made between the two
  // answers is still kept.
  const firstListing = run.mode.listsWithProtectedSet ? heldRead(() => listingOf(run, jobId)) : undefined;
  // Asked per job, just before planning it: a candidate chosen meanwhile is protected too.
  const inUse = run.mode.shared ? await sharedProtectedSet(jobId) : { ids: [] };
  if ('doubt' in inUse) {
    if (!run.carry.keptInDoubt.some((k) => k.jobId === jobId)) run.carry.keptInDoubt.push(inUse.doubt);
    // Nothing of the job is deleted: its listing, answered or failed, is not needed.
    await firstListing?.().catch(() => undefined);
    return false;
  }
  const job: JobInCleanup = { jobId, protectedIds: new Set([...run.givenIds, ...inUse.ids]), leased: false };
  try {
    // Without `offset` the list shows only the oldest 100: delete what they allow, then list again, until
    // a listing is complete or allows nothing more (docs/reliability.md, "Exactly-once on documented routes").
    let listed = firstListing;
    for (;;) {
      const listing = listed ? await listed() : await listingOf(run, jobId);
      listed = undefined;
      // A pipeline's cleanup has read ahead of its deployment; it plans and leases once that serves.
      for (const id of await untilDeploymentServes(run)) job.protectedIds.add(id);
      const pass = await planAndDelete(run, job, listing);
      if (pass.done) return pass.truncated;
    }
  } finally {
    // Released even when the cleanup fails or continues as new (the next run leases again).
    if (job.leased) await CancellationScope.nonCancellable(() => protection.releaseDeletions());
  }
}

type Listing = Awaited<ReturnType<typeof listAllCheckpoints>>;

/** A listing of the job's checkpoints; since batched deletions its pages are asked `concurrency` at a time. */
function listingOf(run: CleanupRun, jobId: string): Promise<Listing> {
  return listAllCheckpoints(jobId, false, run.mode.batched ? run.mode.concurrency : 1);
}

/** One listing's plan, and the deletions the plan and `maxDeletes` allow. */
async function planAndDelete(
  run: CleanupRun,
  job: JobInCleanup,
  listing: Listing,
): Promise<{ done: boolean; truncated: boolean }> {
  const { carry, mode } = run;
  const checkpoints = listing.checkpoints.map(summary);
  const plan = planCleanup(checkpoints, run.input.retention, job.protectedIds, Date.now());
  // A job continued mid-way was counted by the run that first planned it.
  if (carry.countedJob !== job.jobId) {
    carry.examined += Math.max(listing.totalCount, checkpoints.length);
    carry.countedJob = job.jobId;
  }
  const batch = plan.delete.slice(0, Math.max(0, mode.maxDeletes - carry.deletedCount));
  const truncated = batch.length < plan.delete.length;

  const done = listing.complete || mode.dryRun || truncated || batch.length === 0;
  if (mode.dryRun) {
    batch.forEach((c) => recordDeletion(run, deletedEntry(c, c.reason)));
  } else if (mode.leasesWithDeletions && fitsOneBatch(batch)) {
    job.leased = true;
    // The job's last pass ends its leases with its deletions: no activity of its own afterwards.
    const { released } = await leaseAndDeleteBatch(run, job.jobId, batch, job.protectedIds, done);
    if (released) job.leased = false;
    await continueIfHistoryLong(run);
  } else {
    job.leased ||= mode.leased && batch.length > 0;
    const granted = mode.leased ? await leaseDeletions(batch, job.protectedIds, carry.spared) : batch;
    await deleteGranted(run, job.jobId, granted);
  }
  const unseen = listing.totalCount - checkpoints.length;
  if (done && !listing.complete && unseen > 0) carry.notListed = (carry.notListed ?? 0) + unseen;
  return { done, truncated };
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
