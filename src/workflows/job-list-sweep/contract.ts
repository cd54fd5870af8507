import type { TrainingJob } from '../../domain/types';

// The contract of the fleet's job-list sweep: one short workflow per task queue, swept status and
// freshness window, started by type name from the watch activity (which loads no workflow code). Its
// workflow id is the single writer: every worker process that asks in the window joins the same run.

export const JOB_LIST_SWEEP_WORKFLOW_TYPE = 'jobListSweep';

/** The failure type of a provider answer that fails its schema (src/activities/failures.ts). */
export const MALFORMED_RESPONSE = 'MALFORMED_RESPONSE';

/**
 * The most jobs one sweep's result carries: a workflow result is at most 2 MB (the server's blob limit)
 * and a listed job is about 430 bytes (the sandbox's; a provider's may carry more metrics), so 3,000
 * leave room. A sweep that would list more fails at once with `SWEEP_TOO_LARGE`, and the worker
 * processes sweep by themselves for that window.
 */
export const MAX_SWEPT_JOBS = 3_000;
export const SWEEP_TOO_LARGE = 'SWEEP_TOO_LARGE';

/** The statuses a sweep lists: both filters the job list documents. */
export type SweptStatus = 'running' | 'pending';

export interface JobListSweepInput {
  status: SweptStatus;
  /** When the first look that asked began it, on the watches' clock: what every reader takes as its age. */
  takenAtMs: number;
}

export interface JobListSweepResult {
  takenAtMs: number;
  /** Every job of every page, oldest first. */
  jobs: TrainingJob[];
}

/**
 * `job-sweep--<task queue>--tensorone--<status>--<window length>--<window start>`: one id per window
 * for the whole fleet of the queue. The window length is in it because supervisions of different
 * freshness sweep on windows of their own.
 */
export function jobListSweepId(
  taskQueue: string,
  status: SweptStatus,
  windowMs: number,
  windowStartMs: number,
): string {
  return `job-sweep--${taskQueue}--tensorone--${status}--${windowMs}--${windowStartMs}`;
}
