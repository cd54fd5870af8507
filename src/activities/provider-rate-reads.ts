import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { TrainingJob } from '../domain/types';
import { getTrainingJobAtProviderRate, listTrainingJobsAtProviderRate } from '../workflows/provider-reads';
import type { ListJobs } from './job-pages';

/** A read that has not come back in this long fails the look; the watch's next look asks again. */
const READ_TIMEOUT = '2m';
/**
 * How long one look waits for a queued read: well inside the watch's 30-second start-to-close, so a
 * read queued behind the rate limit ends the look as a poll, not as a timed-out activity.
 */
const LOOK_WAITS_MS = 20_000;

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
 *
 * A job's read has one id per job while it runs: a look that gave up waiting and looks again joins
 * the read already queued instead of queueing another (reads never pile up behind the limit).
 */
export function readsAtProviderRate(): WatchReads {
  async function viaProviderQueue<A, R>(
    workflow: (arg: A) => Promise<R>,
    arg: A,
    read: { id?: string; what: string },
  ): Promise<R> {
    const { client, info } = Context.current();
    const result = client.workflow
      .execute(workflow, {
        args: [arg],
        taskQueue: info.taskQueue,
        workflowId: `${info.taskQueue}/tensorone-read-${read.id ?? randomUUID()}`,
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowRunTimeout: READ_TIMEOUT,
      })
      .catch((err: unknown) => {
        throw asReadFailure(err);
      });
    let timer: NodeJS.Timeout | undefined;
    const queued = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            ApplicationFailure.create({
              type: 'PROVIDER_QUEUE_BUSY',
              message: `${read.what} is queued behind the provider's rate limit (TENSORONE_MAX_RPS): looking again`,
              // Waiting for the limit is the limit working: logged at debug level, not as a warning.
              category: ApplicationFailureCategory.BENIGN,
            }),
          ),
        LOOK_WAITS_MS,
      );
    });
    result.catch(() => undefined); // a read this look stopped waiting for may still fail unseen
    try {
      return await Promise.race([result, queued]);
    } finally {
      clearTimeout(timer);
    }
  }
  return {
    listJobs: (query) =>
      viaProviderQueue(listTrainingJobsAtProviderRate, query, {
        what: `the job list page from ${query.offset ?? 0}`,
      }),
    getJob: (jobId) =>
      viaProviderQueue(getTrainingJobAtProviderRate, jobId, { id: `job-${jobId}`, what: `job ${jobId}` }),
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
