import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { JobStatus, TrainingJob } from '../domain/types';
import { sweepServes, sweepWindowStartMs } from '../decisions/sweep-window';
import {
  JOB_LIST_SWEEP_WORKFLOW_TYPE,
  jobListSweepId,
  type JobListSweepInput,
  type JobListSweepResult,
  type SweptStatus,
  SWEEP_TOO_LARGE,
} from '../workflows/job-list-sweep/contract';
import type { JobSweeps, Sweep } from './job-sweep';
import { waitAtMost } from './wait-at-most';

/** A sweep run that has not ended in this long failed: its looks' process sweeps by itself for the window. */
const SWEEP_RUN_TIMEOUT_MS = 60_000;
/** How long a look waits for the fleet's sweep when no rate limit sets it: inside the watch's 30 s. */
const LOOK_WAITS_MS = 20_000;
/** Looks that last saw their job in one of these want the next sweep to list the pending jobs too. */
const WAITING_STATUSES: readonly (JobStatus | undefined)[] = ['pending', 'queued', undefined];

/** The fleet's sweep cannot be had (no client, Temporal unreachable, the run lost or timed out). */
class FleetSweepUnavailable extends Error {}

/**
 * The job list swept once per freshness window for every worker process of a task queue. A look asks
 * for a sweep no older than its window (`maxAgeMs`); the process's latest answers while it is young
 * enough, otherwise the first look of the process starts or joins the window's `jobListSweep` run
 * (`jobListSweepId`: the id is the single writer, so the processes that ask in one window share one
 * run) and the process's other looks wait for the same answer. Its result is read from the run: one
 * sweep at the provider per window, one result read per process.
 *
 * A provider's refusal or failure of the list comes back as the classified failure a direct list would
 * give. When the sweep cannot be had at all, the process sweeps by itself for the rest of the window
 * (`ownSweeps`, the per-process sweep): looks stay as correct as before, never read an empty answer
 * into a failed sweep, and cost at most what one sweep per process costs.
 */
export function fleetJobSweeps(
  ownSweeps: JobSweeps,
  options: { lookWaitsMs?: number; runTimeoutMs?: number } = {},
): JobSweeps {
  const runTimeoutMs = options.runTimeoutMs ?? SWEEP_RUN_TIMEOUT_MS;
  let latest: Sweep | undefined;
  let waitingWanted = false;
  /** The end of the last window in which the fleet's sweep could not be had. */
  let unavailableUntilMs = Number.NEGATIVE_INFINITY;
  const asking = new Map<string, Promise<Sweep>>();

  async function sweepOfWindow(
    client: Client,
    taskQueue: string,
    windowMs: number,
    windowStartMs: number,
    withPending: boolean,
    nowMs: number,
  ): Promise<Sweep> {
    const statuses: SweptStatus[] = withPending ? ['running', 'pending'] : ['running'];
    const results = await Promise.all(
      statuses.map((status) =>
        startOrJoin(
          client,
          { taskQueue, workflowId: jobListSweepId(taskQueue, status, windowMs, windowStartMs), runTimeoutMs },
          { status, takenAtMs: nowMs },
        ),
      ),
    );
    // A job that moved from pending to running between the two lists is kept as the later list saw it.
    const jobs = new Map<string, TrainingJob>();
    for (const result of results) for (const job of result.jobs) jobs.set(job.id, job);
    return { takenAtMs: Math.min(...results.map((r) => r.takenAtMs)), jobs };
  }

  return {
    refused(nowMs: number): void {
      latest = { takenAtMs: nowMs, jobs: new Map() };
      ownSweeps.refused(nowMs);
    },

    async fresh(nowMs: number, maxAgeMs: number, expected?: JobStatus): Promise<Sweep> {
      if (WAITING_STATUSES.includes(expected)) waitingWanted = true;
      if (latest && sweepServes(latest.takenAtMs, nowMs, maxAgeMs)) return latest;
      if (nowMs < unavailableUntilMs) return ownSweeps.fresh(nowMs, maxAgeMs, expected);
      const windowStartMs = sweepWindowStartMs(nowMs, maxAgeMs);
      let client: Client;
      let taskQueue: string;
      try {
        const ctx = Context.current();
        taskQueue = ctx.info.taskQueue;
        client = ctx.client;
      } catch {
        return ownSweeps.fresh(nowMs, maxAgeMs, expected); // no worker client: not inside a worker
      }
      const withPending = waitingWanted;
      const key = `${taskQueue}/${maxAgeMs}/${windowStartMs}/${withPending}`;
      let answer = asking.get(key);
      if (!answer) {
        waitingWanted = false;
        answer = sweepOfWindow(client, taskQueue, maxAgeMs, windowStartMs, withPending, nowMs)
          .then((made) => {
            if (!latest || made.takenAtMs >= latest.takenAtMs) latest = made;
            return made;
          })
          .catch((err: unknown) => {
            if (err instanceof FleetSweepUnavailable)
              unavailableUntilMs = Math.max(unavailableUntilMs, windowStartMs + maxAgeMs);
            throw err;
          })
          .finally(() => asking.delete(key));
        asking.set(key, answer);
      }
      try {
        // The sweep may take longer than a look may wait: the look ends as a poll, the next one joins.
        return await waitAtMost(
          answer,
          options.lookWaitsMs ?? LOOK_WAITS_MS,
          "the fleet's sweep of the job list",
        );
      } catch (err) {
        if (!(err instanceof FleetSweepUnavailable)) throw err;
        return ownSweeps.fresh(nowMs, maxAgeMs, expected);
      }
    },
  };
}

/**
 * The result of the run `workflowId`: started by this call, or the one another process (or an
 * earlier look) started in the window, running or completed. A failed or timed-out run is started
 * again (`ALLOW_DUPLICATE_FAILED_ONLY`); a completed one is read, never repeated.
 */
async function startOrJoin(
  client: Client,
  run: { taskQueue: string; workflowId: string; runTimeoutMs: number },
  input: JobListSweepInput,
): Promise<JobListSweepResult> {
  const { taskQueue, workflowId } = run;
  try {
    let handle;
    try {
      handle = await client.workflow.start(JOB_LIST_SWEEP_WORKFLOW_TYPE, {
        args: [input],
        taskQueue,
        workflowId,
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        workflowRunTimeout: run.runTimeoutMs,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      handle = client.workflow.getHandle(workflowId);
    }
    return (await handle.result()) as JobListSweepResult;
  } catch (err) {
    throw sweepFailure(err);
  }
}

/** The provider's classified failure of a page, as a direct list would give it; anything else: unavailable. */
function sweepFailure(err: unknown): Error {
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause instanceof ActivityFailure ? err.cause.cause : undefined;
    if (cause instanceof ApplicationFailure) return cause;
    // More jobs than a result carries: the processes sweep by themselves for the window.
    if (err.cause instanceof ApplicationFailure && err.cause.type === SWEEP_TOO_LARGE)
      return new FleetSweepUnavailable(err.cause.message);
  }
  const why = err instanceof Error ? err.message : String(err);
  return new FleetSweepUnavailable(`the fleet's sweep of the job list cannot be had: ${why}`);
}
