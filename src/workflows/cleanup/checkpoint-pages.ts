import type { Checkpoint } from '../../domain/types';
import { candidateQueries, type SelectionPolicy } from '../../decisions/candidate';
import { paging, provider } from '../activity-stubs';
import { summarized } from '../summaries';

const PAGE = 100;

interface CheckpointListing {
  /** Every checkpoint seen, each once. */
  checkpoints: Checkpoint[];
  bestCheckpointId?: string;
  /** What the provider says the job has (`totalCount`). */
  totalCount: number;
  /** Every checkpoint of the job was seen. */
  complete: boolean;
}

/**
 * Every checkpoint of a job the list will show, page by page (oldest first, so pages stay stable while
 * nothing is deleted), with the provider's own best checkpoint from the first page's summary. The
 * documents page only through `limit` (≤ 100); `offset` is our assumption. A provider that ignores it
 * answers the same page again: ids already seen are never counted twice, and a page that brings
 * nothing new ends the listing (`complete: false`) instead of looping.
 *
 * `pagesInFlight` above 1: once the first two pages showed that `offset` works, the rest of the pages
 * the first page's `totalCount` announces are asked that many at a time (a job of 10,000 checkpoints
 * is 100 pages); they are read in order, so the result is the same as one page at a time.
 */
export async function listAllCheckpoints(
  jobId: string,
  includeMetrics: boolean,
  pagesInFlight = 1,
): Promise<CheckpointListing> {
  const seen = new Map<string, Checkpoint>();
  let bestCheckpointId: string | undefined;
  let totalCount = 0;
  for (let offset = 0; ;) {
    const remaining = Math.ceil((totalCount - seen.size) / PAGE);
    const width = offset < 2 * PAGE ? 1 : Math.max(1, Math.min(pagesInFlight, remaining));
    const pages = await Promise.all(
      Array.from({ length: width }, (_, k) =>
        summarized(
          paging.listCheckpoints,
          `list checkpoints of job ${jobId} from ${offset + k * PAGE}${includeMetrics ? ', with metrics' : ''}`,
          {
            jobId,
            includeMetrics,
            sortBy: 'createdAt',
            sortOrder: 'asc',
            limit: PAGE,
            offset: offset + k * PAGE,
          },
        ),
      ),
    );
    for (const page of pages) {
      bestCheckpointId ??= page.bestCheckpointId;
      totalCount = page.totalCount;
      const before = seen.size;
      for (const c of page.checkpoints) if (!seen.has(c.id)) seen.set(c.id, c);
      const listing = { checkpoints: [...seen.values()], bestCheckpointId, totalCount: page.totalCount };
      if (seen.size >= page.totalCount) return { ...listing, complete: true };
      if (page.checkpoints.length === 0 || seen.size === before) return { ...listing, complete: false };
    }
    offset += width * PAGE;
  }
}

/**
 * The checkpoints a candidate is chosen from. When the list cannot show them all (no `offset`), it
 * also asks for the documented sorts that put the best first for the policy (see `candidateQueries`)
 * and reads the provider's own best checkpoint by id, so the best is seen however many the job has.
 */
export async function listCandidateCheckpoints(
  jobId: string,
  policy: SelectionPolicy,
): Promise<CheckpointListing> {
  const listing = await listAllCheckpoints(jobId, true);
  if (listing.complete) return listing;
  const seen = new Map(listing.checkpoints.map((c) => [c.id, c]));
  for (const query of candidateQueries(policy)) {
    const page = await paging.listCheckpoints({ jobId, includeMetrics: true, limit: PAGE, ...query });
    for (const c of page.checkpoints) if (!seen.has(c.id)) seen.set(c.id, c);
  }
  const best = listing.bestCheckpointId;
  if (best && !seen.has(best)) seen.set(best, await provider.getCheckpoint(best));
  return { ...listing, checkpoints: [...seen.values()], complete: seen.size >= listing.totalCount };
}
