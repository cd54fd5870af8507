import type { Checkpoint } from '../domain/types';
import { paging } from './activity-stubs';

const PAGE = 100;

/**
 * Every checkpoint of a job, page by page (oldest first, so pages stay stable while nothing is
 * deleted), with the provider's own best checkpoint from the first page's summary.
 */
export async function listAllCheckpoints(
  jobId: string,
  includeMetrics: boolean,
): Promise<{ checkpoints: Checkpoint[]; bestCheckpointId?: string }> {
  const checkpoints: Checkpoint[] = [];
  let bestCheckpointId: string | undefined;
  for (let offset = 0; ; offset += PAGE) {
    const page = await paging.listCheckpoints({
      jobId,
      includeMetrics,
      sortBy: 'createdAt',
      sortOrder: 'asc',
      limit: PAGE,
      offset,
    });
    bestCheckpointId ??= page.bestCheckpointId;
    checkpoints.push(...page.checkpoints);
    if (page.checkpoints.length === 0 || checkpoints.length >= page.totalCount)
      return { checkpoints, bestCheckpointId };
  }
}
