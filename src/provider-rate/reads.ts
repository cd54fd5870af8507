import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { TrainingJob } from '../domain/types';
import type { ProtectionReads } from '../activities/protection';
import type { ListJobs } from '../activities/job-pages';
import { waitAtMost } from '../activities/wait-at-most';
import type { ProviderClients } from '../providers/config';
import type { ProviderReadWorkflows } from '../workflows/provider-reads/contract';
import type { ProviderRateLimits } from './limits';

/** A read that has not come back in this long fails the look; the watch's next look asks again. */
const READ_TIMEOUT = '2m';
/**
 * How long one look waits, in all, for reads queued behind the limit (a sweep, then its job's own read,
 * share it: see waitAtMost): well inside the watch's 30-second start-to-close, so a queued read ends the
 * look as a poll, not as a timed-out activity.
 */
const LOOK_WAITS_MS = 20_000;

/** The reads the watches of a worker process make: straight to the provider, or held to its rate limit. */
export interface WatchReads {
  listJobs: ListJobs;
  getJob: (jobId: string) => Promise<TrainingJob>;
  /** Set when reads queue behind a rate limit: how long a look waits for one (a sweep included). */
  lookWaitsMs?: number;
}

/** The provider reads of the watches and of a cleanup's protected set, each straight or held to a limit. */
export interface ProviderReads {
  tensorone: WatchReads;
  marqtuneModel: (modelId: string) => Promise<TrainingJob>;
  protection: ProtectionReads;
}

/**
 * The reads of a worker process, chosen once when it starts: where a provider has a limit (`limits`,
 * set only when the process runs the provider queues), through that provider's task queue; elsewhere
 * straight to the provider.
 */
export function providerReads(clients: ProviderClients, limits: ProviderRateLimits): ProviderReads {
  const tensoroneLimited = limits.tensorone !== undefined;
  return {
    tensorone: tensoroneLimited
      ? readsAtProviderRate()
      : {
          listJobs: (query) => clients.tensorone.jobs.list(query),
          getJob: (id) => clients.tensorone.jobs.get(id),
        },
    marqtuneModel:
      limits.marqtune !== undefined ? marqtuneReadAtProviderRate() : (id) => clients.marqtune.models.get(id),
    protection: tensoroneLimited
      ? protectionReadsAtProviderRate()
      : {
          listEndpoints: () => clients.tensorone.endpoints.list(),
          listModels: (query) => clients.tensorone.models.list(query),
        },
  };
}

/**
 * Under a TensorOne rate limit the watch's reads go through the provider's task queue, one small
 * workflow per request (src/workflows/provider-reads/), so the server holds them to the fleet's limit
 * like every other provider call. Called from inside a watch activity: its context gives the worker's
 * client and task queue. A read that fails is the same failure as a direct read classified.
 *
 * A job's read has one id per job while it runs: a look that gave up waiting and looks again joins
 * the read already queued instead of queueing another (reads never pile up behind the limit). A
 * sweep's pages are waited for in full: the look waits for the sweep at most `lookWaitsMs`
 * (src/activities/job-sweep.ts), and the sweep goes on for the next looks. `lookWaitsMs`: 20 s, as
 * every worker process has it (a test of the joining read waits less).
 */
export function readsAtProviderRate(lookWaitsMs = LOOK_WAITS_MS): WatchReads {
  return {
    listJobs: (query) => viaProviderQueue('listTrainingJobsAtProviderRate', [query], 'tensorone-read-'),
    getJob: (jobId) =>
      waitAtMost(
        viaProviderQueue('getTrainingJobAtProviderRate', [jobId], 'tensorone-read-', `job-${jobId}`),
        lookWaitsMs,
        `job ${jobId}`,
      ),
    lookWaitsMs,
  };
}

/**
 * A Marqtune watch's read under MARQTUNE_MAX_RPS: every look of a Marqtune supervision is a request
 * (`GET /models`; there is no sweep), so it goes through the provider's task queue as TensorOne's reads
 * do, one id per model while it runs.
 */
export function marqtuneReadAtProviderRate(): (modelId: string) => Promise<TrainingJob> {
  return (modelId) =>
    waitAtMost(
      viaProviderQueue('getMarqtuneModelAtProviderRate', [modelId], 'marqtune-read-', `model-${modelId}`),
      LOOK_WAITS_MS,
      `model ${modelId}`,
      'MARQTUNE_MAX_RPS',
    );
}

/**
 * The TensorOne reads of a cleanup's protected set under TENSORONE_MAX_RPS, through the provider queue
 * like the watches' reads. Not waited for at most a look's 20 s: the protected set waits for its reads
 * (an answer that does not come in time makes the cleanup keep the job's checkpoints, never delete them).
 */
export function protectionReadsAtProviderRate(): ProtectionReads {
  return {
    listEndpoints: () => viaProviderQueue('listEndpointsAtProviderRate', [], 'tensorone-read-'),
    listModels: (query) => viaProviderQueue('listRegisteredModelsAtProviderRate', [query], 'tensorone-read-'),
  };
}

/**
 * A one-activity read workflow on the worker's task queue (its activity goes to the provider queue),
 * started by type name through the worker's client from inside a watch activity. `id`: one id while it
 * runs, so a later look joins it; none, a fresh one.
 */
function viaProviderQueue<K extends keyof ProviderReadWorkflows>(
  workflowType: K,
  args: Parameters<ProviderReadWorkflows[K]>,
  idPrefix: string,
  id?: string,
): ReturnType<ProviderReadWorkflows[K]> {
  const { client, info } = Context.current();
  // Typed by the contract above; the SDK's option types cannot follow a generic type name.
  return client.workflow
    .execute(workflowType, {
      args: args as unknown[],
      taskQueue: info.taskQueue,
      workflowId: `${info.taskQueue}/${idPrefix}${id ?? randomUUID()}`,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowRunTimeout: READ_TIMEOUT,
    })
    .catch((err: unknown) => {
      throw asReadFailure(err);
    }) as ReturnType<ProviderReadWorkflows[K]>;
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
