/**
 * Whose a checkpoint is, for a pin: only a checkpoint positively known to be the pipeline's job's is
 * pinned. The job's own checkpoint list is what tells (a checkpoint's GET need not name its job).
 */

/** What the job's checkpoint list showed while looking for one checkpoint. */
export interface PinListing {
  /** The checkpoint was on one of the pages. */
  found: boolean;
  /** Distinct checkpoints the pages showed. */
  seen: number;
  /** How many the provider says the job has (`totalCount`). */
  totalCount: number;
}

/** Every checkpoint the provider counts was seen (a count that is not a number never is). */
export function listingComplete(l: Pick<PinListing, 'seen' | 'totalCount'>): boolean {
  return Number.isFinite(l.totalCount) && l.seen >= l.totalCount;
}

/**
 * Why a pin is refused after looking for the checkpoint in the job's list, or undefined when it was
 * found there. Not found among every checkpoint: it is not the job's (another job's, deleted, or never
 * made). Not found among some of them: its owner cannot be known, and a pin is not taken on a guess.
 */
export function pinOwnershipRefusal(jobId: string, checkpointId: string, l: PinListing): string | undefined {
  if (l.found) return undefined;
  if (listingComplete(l))
    return `checkpoint ${checkpointId} is not one of the ${l.seen} checkpoints of job ${jobId} (every page of its list): it belongs to another job, was deleted, or never existed; pin one of job ${jobId}'s checkpoints`;
  return `cannot tell whether checkpoint ${checkpointId} belongs to job ${jobId}: its list showed ${l.seen} of the ${l.totalCount} checkpoints it counts and not this one; not pinned (try again once the pipeline has listed them all, after choosing its candidate)`;
}
