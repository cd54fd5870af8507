import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { TrainingJob } from '../../domain/types';
import { summarized } from '../summaries';
import {
  MALFORMED_RESPONSE,
  MAX_SWEPT_JOBS,
  SWEEP_TOO_LARGE,
  type JobListSweepInput,
  type JobListSweepResult,
} from './contract';

/** The documented job list's largest page (`limit` 1-100). */
const PAGE = 100;

/**
 * A page is one request (under a rate limit, on the provider's task queue like every provider call). A
 * few quick tries: the looks waiting for the sweep end as polls meanwhile, and a sweep that fails is
 * started again by the next look that asks, never taken as "no jobs". A malformed answer fails the
 * sweep at its first try: the looks count those tries, one per look, as they do for their own reads.
 */
const pages = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '10s',
    maximumAttempts: 4,
    nonRetryableErrorTypes: [MALFORMED_RESPONSE],
  },
});

/**
 * One sweep of the documented job list for every worker process of a task queue: every page of one
 * status, oldest job first (jobs created meanwhile land on later pages). Its id names the queue, the
 * status and the freshness window (`jobListSweepId`): the looks of every process that ask in the window
 * join this run and read its result, so the provider sees one sweep per window, not one per process.
 * The pages the first one's `total` announces are asked at once (under a rate limit the provider queue
 * still dispatches them at the limit): a sweep takes two rounds of activities, not one per page; pages
 * past the total (jobs created meanwhile) follow one at a time.
 */
export async function jobListSweep(input: JobListSweepInput): Promise<JobListSweepResult> {
  const jobs = new Map<string, TrainingJob>();
  const listPage = (offset: number) =>
    summarized(pages.listTrainingJobs, `list ${input.status} jobs from ${offset} for the fleet's sweep`, {
      status: input.status,
      sort: 'created_at',
      order: 'asc',
      limit: PAGE,
      offset,
    });
  for (let offsets = [0]; ;) {
    const answered = await Promise.all(offsets.map(listPage));
    for (const page of answered) for (const job of page.jobs) jobs.set(job.id, job);
    // Known from a page's total when the list gives one, else counted: no result past the limit.
    const total = Math.max(jobs.size, ...answered.map((page) => page.total ?? 0));
    if (total > MAX_SWEPT_JOBS)
      throw ApplicationFailure.nonRetryable(
        `${total} ${input.status} jobs are more than one sweep's result carries (${MAX_SWEPT_JOBS})`,
        SWEEP_TOO_LARGE,
      );
    const last = answered[answered.length - 1]!;
    if (!last.hasMore || last.jobs.length === 0) break;
    const from = offsets[offsets.length - 1]! + PAGE;
    offsets = [];
    for (let offset = from; offset === from || offset < total; offset += PAGE) offsets.push(offset);
  }
  return { takenAtMs: input.takenAtMs, jobs: [...jobs.values()] };
}
