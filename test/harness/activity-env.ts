import { MockActivityEnvironment } from '@temporalio/testing';
import type { WatchInput } from '../../src/activities/watch';

/**
 * Runs one activity as if called by workflow `workflowId` (creating activities derive resource names
 * from it), with the result type the activity declares.
 */
export function runActivity<A extends unknown[], R>(
  workflowId: string,
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  return runActivityAttempt(workflowId, 1, fn, ...args);
}

/** `runActivity` as the server's `attempt`-th try of the activity (1: the first). */
export function runActivityAttempt<A extends unknown[], R>(
  workflowId: string,
  attempt: number,
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  const env = new MockActivityEnvironment({
    workflowExecution: { workflowId, runId: 'run-1' },
    attempt,
  } as never);
  return env.run(fn, ...args) as Promise<R>;
}

/**
 * `runActivity` as a retry that starts from `heartbeatDetails` (what the server hands the next attempt:
 * the last heartbeat an earlier attempt sent). Returns the outcome and every heartbeat this attempt made.
 */
export async function runActivityResuming<A extends unknown[], R>(
  attempt: { workflowId: string; attempt: number; heartbeatDetails?: unknown },
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<{ result?: R; error?: unknown; heartbeats: unknown[] }> {
  const env = new MockActivityEnvironment({
    workflowExecution: { workflowId: attempt.workflowId, runId: 'run-1' },
    attempt: attempt.attempt,
    heartbeatDetails: attempt.heartbeatDetails,
  } as never);
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  try {
    return { result: (await env.run(fn, ...args)) as R, heartbeats };
  } catch (error) {
    return { error, heartbeats };
  }
}

/**
 * A watch's input for a TensorOne job known to be running for an hour, on the watch's clock `nowMs`
 * (report due in an hour, stall after an hour, looks at least 1 s apart), with `plan` laid over it.
 */
export function runningJobWatch(
  jobId: string,
  nowMs: number,
  plan: Partial<WatchInput['plan']> = {},
): WatchInput {
  return {
    provider: 'tensorone',
    jobId,
    stall: { lastProgressAtMs: nowMs },
    startedAtMs: nowMs,
    firstLookInMs: 0,
    plan: {
      knownStatus: 'running',
      segmentStartedAtMs: nowMs - 3_600_000,
      reportByMs: nowMs + 3_600_000,
      freshnessMs: 60_000,
      minIntervalMs: 1000,
      stallAfterMs: 3_600_000,
      ...plan,
    },
  };
}
