import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { TrainingJob } from '../domain/types';
import { getTrainingJobAtProviderRate, listTrainingJobsAtProviderRate } from '../workflows/provider-reads';
import type { ListJobs } from './job-pages';

/** A read that has not come back in this long fails the look; the watch's next look asks again. */
const READ_TIMEOUT = '2m';

/** The reads the watches of a worker process make: straight to the provider, or held to its rate limit. */
export interface WatchReads {
  listJobs: ListJobs;
  getJob: (jobId: string) => Promise<TrainingJob>;
}

/**
 * Under a TensorOne rate limit the watch's reads go through the provider's task queue, one small
 * workflow per request (src/workflows/provider-reads.ts), so the server holds them to the fleet's limit
 * like every other provider call. Called from inside a watch activity: its context gives the worker's
 * client and task queue. A read that fails is the same failure as a direct read classified.
 */
export function readsAtProviderRate(): WatchReads {
  async function viaProviderQueue<A, R>(workflow: (arg: A) => Promise<R>, arg: A): Promise<R> {
    const { client, info } = Context.current();
    try {
      return await client.workflow.execute(workflow, {
        args: [arg],
        taskQueue: info.taskQueue,
        workflowId: `tensorone-read-${randomUUID()}`,
        workflowRunTimeout: READ_TIMEOUT,
      });
    } catch (err) {
      throw asReadFailure(err);
    }
  }
  return {
    listJobs: (query) => viaProviderQueue(listTrainingJobsAtProviderRate, query),
    getJob: (jobId) => viaProviderQueue(getTrainingJobAtProviderRate, jobId),
  };
}

/** The activity's classified failure (a provider refusal keeps its type and retryability), or a timeout. */
export function asReadFailure(err: unknown): unknown {
  if (!(err instanceof WorkflowFailedError)) return err;
  const cause = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
  if (cause instanceof ApplicationFailure) return cause;
  return ApplicationFailure.retryable(
    `the provider's task queue did not answer within ${READ_TIMEOUT}: ${cause?.message ?? err.message}`,
    'PROVIDER_QUEUE_UNANSWERED',
  );
}
