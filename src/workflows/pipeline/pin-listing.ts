import type { ListCheckpointsQuery } from '../../providers/tensorone/client';
import type { CheckpointPage } from '../../domain/types';
import { listingComplete, type PinListing } from '../../decisions/pin-ownership';

const PAGE = 100;

type ListPage = (input: { jobId: string } & ListCheckpointsQuery) => Promise<CheckpointPage>;

/**
 * Looks for one checkpoint in the job's own list, page by page (oldest first), until it is found,
 * every checkpoint was seen, or a page brings nothing new (a provider that does not page past the
 * first); then the newest page too, where a checkpoint made since the pages began is.
 */
export async function lookInJobListing(
  listPage: ListPage,
  jobId: string,
  checkpointId: string,
): Promise<PinListing> {
  const seen = new Set<string>();
  let totalCount = 0;
  const take = (page: CheckpointPage): boolean => {
    totalCount = page.totalCount;
    const before = seen.size;
    for (const c of page.checkpoints) seen.add(c.id);
    return seen.size > before;
  };
  for (let offset = 0; ; offset += PAGE) {
    const page = await listPage({
      jobId,
      includeMetrics: false,
      sortBy: 'createdAt',
      sortOrder: 'asc',
      limit: PAGE,
      offset,
    });
    const fresh = take(page);
    if (seen.has(checkpointId)) return { found: true, seen: seen.size, totalCount };
    if (listingComplete({ seen: seen.size, totalCount }) || !fresh || page.checkpoints.length === 0) break;
  }
  if (!listingComplete({ seen: seen.size, totalCount })) {
    take(
      await listPage({ jobId, includeMetrics: false, sortBy: 'createdAt', sortOrder: 'desc', limit: PAGE }),
    );
  }
  return { found: seen.has(checkpointId), seen: seen.size, totalCount };
}
