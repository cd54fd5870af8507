import { provider } from '../activity-stubs';
import { summarized } from '../summaries';
import type { CleanupInput } from './contract';

const PAGE = 100;

/** Every job the filter matches, oldest first, page by page. */
export async function matchingJobs(filter: CleanupInput['jobFilter'] = {}): Promise<string[]> {
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
