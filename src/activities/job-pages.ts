import type { TrainingJob } from '../domain/types';
import type { ListJobsQuery } from '../providers/tensorone/client';

/** The documented job list's largest page (`limit` 1-100). */
export const JOB_LIST_PAGE = 100;

export type JobListPage = { jobs: TrainingJob[]; total?: number; hasMore: boolean };
export type ListJobs = (query: ListJobsQuery) => Promise<JobListPage>;

/**
 * Pages through the documented job list (`limit`, `offset`), handing each page to `visit` with its
 * offset; stops at the last page, at an empty page, or when `visit` answers true.
 */
export async function forEachJobPage(
  list: ListJobs,
  query: Omit<ListJobsQuery, 'limit' | 'offset'>,
  visit: (jobs: TrainingJob[], offset: number) => boolean | void,
): Promise<void> {
  for (let offset = 0; ; offset += JOB_LIST_PAGE) {
    const page = await list({ ...query, limit: JOB_LIST_PAGE, offset });
    if (visit(page.jobs, offset) === true || !page.hasMore || page.jobs.length === 0) return;
  }
}
