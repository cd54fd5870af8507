import { MockActivityEnvironment } from '@temporalio/testing';

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
