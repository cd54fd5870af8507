import type { TrainingJob } from '../domain/types';
import { forEachJobPage, type ListJobs } from './job-pages';

/**
 * The statuses a sweep lists: the ones a watched job spends its life in, both filters the documents
 * name. A job in neither (it ended, or the provider answers a status the filters do not name) is not in
 * the sweep, and its watch reads the job itself.
 */
export const SWEPT_STATUSES = ['running', 'pending'] as const;

/** One sweep of the job list: every job it showed, by id, and when it was begun (the watch's clock). */
export interface Sweep {
  takenAtMs: number;
  jobs: ReadonlyMap<string, TrainingJob>;
}

/**
 * The worker process's shared view of the job list: a look asks for a sweep no older than its
 * window; the first look that finds the last one too old makes a new one (every page of every swept
 * status, oldest job first so that jobs created meanwhile land on later pages), and every look that
 * asks while it is being made waits for that same sweep. A failed sweep is not kept: each look that
 * waited for it fails, and the next look tries again.
 */
export function jobSweeps(list: ListJobs) {
  let latest: Sweep | undefined;
  let inFlight: Promise<Sweep> | undefined;

  async function sweep(nowMs: number): Promise<Sweep> {
    const jobs = new Map<string, TrainingJob>();
    for (const status of SWEPT_STATUSES)
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
     * sweep is never replaced by an older one's answer.
     */
    async fresh(nowMs: number, maxAgeMs: number): Promise<Sweep> {
      if (latest && nowMs - latest.takenAtMs < maxAgeMs) return latest;
      inFlight ??= sweep(nowMs)
        .then((made) => {
          if (!latest || made.takenAtMs >= latest.takenAtMs) latest = made;
          return made;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
  };
}

export type JobSweeps = ReturnType<typeof jobSweeps>;
