import type { JobStatus, TrainingJob } from '../domain/types';
import { forEachJobPage, type ListJobs } from './job-pages';
import { waitAtMost } from './wait-at-most';

/**
 * The statuses a sweep lists, both filters the documents name: `running`, where a watched job spends
 * its life, and `pending` only when a look since the last sweep expected a job to be waiting (a sweep
 * of one job is then one request, not two). A job in neither (it ended, or the provider answers a
 * status the filters do not name) is not in the sweep, and its watch reads the job itself.
 */
const ALWAYS_SWEPT = 'running';
const SWEPT_WHEN_WANTED = 'pending';
const WAITING_STATUSES: readonly (JobStatus | undefined)[] = ['pending', 'queued', undefined];

/** One sweep of the job list: every job it showed, by id, and when it was begun (the watch's clock). */
export interface Sweep {
  takenAtMs: number;
  jobs: ReadonlyMap<string, TrainingJob>;
}

/**
 * The worker process's shared view of the job list: a look asks for a sweep no older than its
 * window; the first look that finds the last one too old makes a new one (every page of every swept
 * status, oldest job first so that jobs created meanwhile land on later pages), and every look that
 * asks while it is being made waits for that same sweep (at most `lookWaitsMs`, when set). A failed
 * sweep is not kept: each look that waited for it fails, and the next look tries again.
 */
export function jobSweeps(list: ListJobs, options: { lookWaitsMs?: number } = {}) {
  let latest: Sweep | undefined;
  let inFlight: Promise<Sweep> | undefined;
  let waitingWanted = false;

  async function sweep(nowMs: number): Promise<Sweep> {
    const jobs = new Map<string, TrainingJob>();
    const statuses = waitingWanted ? [ALWAYS_SWEPT, SWEPT_WHEN_WANTED] : [ALWAYS_SWEPT];
    waitingWanted = false;
    for (const status of statuses)
      await forEachJobPage(list, { status, sort: 'created_at', order: 'asc' }, (page) => {
        for (const job of page) jobs.set(job.id, job);
      });
    return { takenAtMs: nowMs, jobs };
  }

  return {
    /**
     * The provider refused the list (a route or filter it does not have): until the window passes,
     * looks find no job in it and read their jobs themselves, without asking the list again.
     */
    refused(nowMs: number): void {
      latest = { takenAtMs: nowMs, jobs: new Map() };
    },
    /**
     * A sweep begun less than `maxAgeMs` before `nowMs` (both on the asking watch's clock); a newer
     * sweep is never replaced by an older one's answer. `expected`: the status the look last knew of
     * its job (none before its first look).
     */
    async fresh(nowMs: number, maxAgeMs: number, expected?: JobStatus): Promise<Sweep> {
      if (WAITING_STATUSES.includes(expected)) waitingWanted = true;
      if (latest && nowMs - latest.takenAtMs < maxAgeMs) return latest;
      inFlight ??= sweep(nowMs)
        .then((made) => {
          if (!latest || made.takenAtMs >= latest.takenAtMs) latest = made;
          return made;
        })
        .finally(() => {
          inFlight = undefined;
        });
      // Behind a rate limit a sweep may take longer than a look may wait: the look ends as a poll and
      // the sweep goes on for the next one.
      return options.lookWaitsMs === undefined
        ? inFlight
        : waitAtMost(inFlight, options.lookWaitsMs, 'the sweep of the job list');
    },
  };
}

export type JobSweeps = ReturnType<typeof jobSweeps>;
