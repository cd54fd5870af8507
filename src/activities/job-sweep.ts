import type { JobStatus, TrainingJob } from '../domain/types';
import type { SweptStatus } from '../workflows/job-list-sweep/contract';
import { forEachJobPage, type ListJobs } from './job-pages';
import { waitAtMost } from './wait-at-most';

/**
 * The statuses a sweep lists, both filters the documents name: `running`, where a watched job spends
 * its life, always; `pending` as well for a look that expects its job still waiting (a sweep of one
 * job is then one request, not two). A job in neither (it ended, or the provider answers a status the
 * filters do not name) is not in the sweep, and its watch reads the job itself.
 */
export const SWEPT_STATUSES: readonly SweptStatus[] = ['running', 'pending'];
const WAITING_STATUSES: readonly (JobStatus | undefined)[] = ['pending', 'queued', undefined];

/** The statuses a look needs swept, given the status it last knew of its job (none before its first look). */
export function statusesFor(expected: JobStatus | undefined): SweptStatus[] {
  return WAITING_STATUSES.includes(expected) ? ['running', 'pending'] : ['running'];
}

/** One sweep of the job list: every job it showed, by id, and when it was begun (the watch's clock). */
export interface Sweep {
  takenAtMs: number;
  jobs: ReadonlyMap<string, TrainingJob>;
}

/**
 * The worker process's shared view of the job list, one sweep per status: a look asks for sweeps no
 * older than its window of the statuses it needs (`statusesFor`); for each status the first look that
 * finds the last one too old makes a new one (every page, oldest job first so that jobs created
 * meanwhile land on later pages), and every look that asks while it is being made waits for that same
 * sweep (at most `lookWaitsMs`, when set). The pending jobs are swept only for a look that needs them,
 * never later for looks that did not. A failed sweep is not kept: each look that waited for it fails,
 * and the next look tries again.
 */
export function jobSweeps(list: ListJobs, options: { lookWaitsMs?: number } = {}) {
  const latest = new Map<SweptStatus, Sweep>();
  const inFlight = new Map<SweptStatus, Promise<Sweep>>();

  function sweep(status: SweptStatus, nowMs: number): Promise<Sweep> {
    let made = inFlight.get(status);
    if (made) return made;
    made = (async () => {
      const jobs = new Map<string, TrainingJob>();
      await forEachJobPage(list, { status, sort: 'created_at', order: 'asc' }, (page) => {
        for (const job of page) jobs.set(job.id, job);
      });
      return { takenAtMs: nowMs, jobs };
    })()
      .then((made) => {
        const held = latest.get(status);
        if (!held || made.takenAtMs >= held.takenAtMs) latest.set(status, made);
        return made;
      })
      .finally(() => inFlight.delete(status));
    inFlight.set(status, made);
    return made;
  }

  return {
    /**
     * The provider refused the list (a route or filter it does not have): until the window passes,
     * looks find no job in it and read their jobs themselves, without asking the list again.
     */
    refused(nowMs: number): void {
      for (const status of SWEPT_STATUSES) latest.set(status, { takenAtMs: nowMs, jobs: new Map() });
    },
    /**
     * Sweeps begun less than `maxAgeMs` before `nowMs` (both on the asking watch's clock); a newer
     * sweep is never replaced by an older one's answer. `expected`: the status the look last knew of
     * its job (none before its first look).
     */
    async fresh(nowMs: number, maxAgeMs: number, expected?: JobStatus): Promise<Sweep> {
      const answer = Promise.all(
        statusesFor(expected).map((status) => {
          const held = latest.get(status);
          return held && nowMs - held.takenAtMs < maxAgeMs ? held : sweep(status, nowMs);
        }),
      ).then(combined);
      // Behind a rate limit a sweep may take longer than a look may wait: the look ends as a poll and
      // the sweep goes on for the next one.
      return options.lookWaitsMs === undefined
        ? answer
        : waitAtMost(answer, options.lookWaitsMs, 'the sweep of the job list');
    },
  };
}

/**
 * One view of the sweeps of several statuses: as old as the oldest; a job in two of them (it moved
 * from pending to running between them) as the later one saw it.
 */
export function combined(sweeps: Sweep[]): Sweep {
  if (sweeps.length === 1) return sweeps[0]!;
  const jobs = new Map<string, TrainingJob>();
  for (const sweep of [...sweeps].sort((a, b) => a.takenAtMs - b.takenAtMs))
    for (const [id, job] of sweep.jobs) jobs.set(id, job);
  return { takenAtMs: Math.min(...sweeps.map((s) => s.takenAtMs)), jobs };
}

export type JobSweeps = ReturnType<typeof jobSweeps>;
