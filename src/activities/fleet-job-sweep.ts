import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { JobStatus } from '../domain/types';
import { sweepServes, sweepWindowStartMs } from '../decisions/sweep-window';
import {
  JOB_LIST_SWEEP_WORKFLOW_TYPE,
  jobListSweepId,
  type JobListSweepInput,
  type JobListSweepResult,
  type SweptStatus,
  SWEEP_TOO_LARGE,
} from '../workflows/job-list-sweep/contract';
import { combined, statusesFor, SWEPT_STATUSES, type JobSweeps, type Sweep } from './job-sweep';
import { waitAtMost } from './wait-at-most';

/** A sweep run that has not ended in this long failed: its looks' process sweeps by itself for the window. */
const SWEEP_RUN_TIMEOUT_MS = 60_000;
/** How long a look waits for the fleet's sweep when no rate limit sets it: inside the watch's 30 s. */
const LOOK_WAITS_MS = 20_000;

/** The fleet's sweep cannot be had (no client, Temporal unreachable, the run lost or timed out). */
class FleetSweepUnavailable extends Error {}

/**
 * The job list swept once per freshness window for every worker process of a task queue. A look asks
 * for a sweep of its window (`windowMs` long, aligned to the epoch) of the statuses it needs: `running`
 * always, `pending` as well when the look expects its job still waiting. For each, the process's latest
 * answers when it was begun in the look's window or later (`sweepServes`); otherwise the look starts or
 * joins the window's `jobListSweep` run of that status (`jobListSweepId`: the id is the single writer,
 * so the processes that ask in one window share one run) and the process's other looks wait for the
 * same answer. So the first look of a window, in whichever process, begins the window's sweep, and no
 * look reads a sweep of an earlier window. Whether a status is swept in a window depends only on the
 * looks of that window, never on which process a look ran in: adding processes adds no sweep.
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
  /** The process's newest sweep of each status. */
  const latest = new Map<SweptStatus, Sweep>();
  /** The end of the last window in which the fleet's sweep could not be had. */
  let unavailableUntilMs = Number.NEGATIVE_INFINITY;
  const asking = new Map<string, Promise<Sweep>>();

  /** The window's run of `status`, started or joined once per process however many looks ask. */
  function sweepOfWindow(
    client: Client,
    taskQueue: string,
    status: SweptStatus,
    windowMs: number,
    nowMs: number,
  ): Promise<Sweep> {
    const windowStartMs = sweepWindowStartMs(nowMs, windowMs);
    const workflowId = jobListSweepId(taskQueue, status, windowMs, windowStartMs);
    let answer = asking.get(workflowId);
    if (answer) return answer;
    answer = startOrJoin(client, { taskQueue, workflowId, runTimeoutMs }, { status, takenAtMs: nowMs })
      .then((result) => {
        const made: Sweep = { takenAtMs: result.takenAtMs, jobs: new Map(result.jobs.map((j) => [j.id, j])) };
        const held = latest.get(status);
        if (!held || made.takenAtMs >= held.takenAtMs) latest.set(status, made);
        return made;
      })
      .catch((err: unknown) => {
        if (err instanceof FleetSweepUnavailable)
          unavailableUntilMs = Math.max(unavailableUntilMs, windowStartMs + windowMs);
        throw err;
      })
      .finally(() => asking.delete(workflowId));
    asking.set(workflowId, answer);
    return answer;
  }

  return {
    refused(nowMs: number): void {
      for (const status of SWEPT_STATUSES) latest.set(status, { takenAtMs: nowMs, jobs: new Map() });
      ownSweeps.refused(nowMs);
    },

    async fresh(nowMs: number, windowMs: number, expected?: JobStatus): Promise<Sweep> {
      const statuses = statusesFor(expected);
      const young = (status: SweptStatus) => {
        const held = latest.get(status);
        return held && sweepServes(held.takenAtMs, nowMs, windowMs) ? held : undefined;
      };
      const held = statuses.map(young);
      if (held.every((sweep) => sweep !== undefined)) return combined(held as Sweep[]);
      if (nowMs < unavailableUntilMs) return ownSweeps.fresh(nowMs, windowMs, expected);
      let client: Client;
      let taskQueue: string;
      try {
        const ctx = Context.current();
        taskQueue = ctx.info.taskQueue;
        client = ctx.client;
      } catch {
        return ownSweeps.fresh(nowMs, windowMs, expected); // no worker client: not inside a worker
      }
      const answer = Promise.all(
        statuses.map((status, i) => held[i] ?? sweepOfWindow(client, taskQueue, status, windowMs, nowMs)),
      ).then(combined);
      try {
        // The sweep may take longer than a look may wait: the look ends as a poll, the next one joins.
        return await waitAtMost(
          answer,
          options.lookWaitsMs ?? LOOK_WAITS_MS,
          "the fleet's sweep of the job list",
        );
      } catch (err) {
        if (!(err instanceof FleetSweepUnavailable)) throw err;
        return ownSweeps.fresh(nowMs, windowMs, expected);
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
