import { Context } from '@temporalio/activity';
import { createProviderClients, providerEndpointsFromEnv, type ProviderClients } from '../providers/config';
import { setRequestOrigin } from '../providers/http/transport';
import { fleetBudgetActivities } from './fleet-budget';
import { notifyActivities } from './notify';
import { protectionActivities } from './protection';
import { protectionRebuildActivities } from './protection-rebuild';
import { rateLimitActivities, type ProviderRateLimits } from './rate-limits';
import {
  reconcileTemporalActivities,
  reconcileTensorMeshActivities,
  reconcileTensorOneActivities,
} from './reconcile';
import { registryActivities } from './registry';
import { marqtuneActivities, tensormeshActivities } from './serving';
import { servingSlotActivities } from './serving-slots';
import { tensoroneEndpointActivities, tensoroneJobActivities } from './tensorone';
import { jobSweeps } from './job-sweep';
import { watchActivities } from './watch';
import {
  marqtuneReadAtProviderRate,
  protectionReadsAtProviderRate,
  readsAtProviderRate,
  type WatchReads,
} from './provider-rate-reads';

/** Provider requests made by an activity carry `workflowId/activityId`: the same for all its retries. */
function activityOrigin(): string | undefined {
  try {
    const info = Context.current().info;
    return `${info.workflowExecution?.workflowId ?? '-'}/${info.activityId}`;
  } catch {
    return undefined; // not inside an activity
  }
}

/**
 * Every activity, bound to provider clients. Workflows import only the type:
 *   `proxyActivities<Activities>(…)` with `import type { Activities } from '../activities'`.
 */
export function createActivities(
  clients: ProviderClients,
  options: {
    webhookUrl?: string;
    /** The limits the server holds the provider queues to; only when this worker runs provider queues. */
    rateLimits?: ProviderRateLimits;
  } = {},
) {
  setRequestOrigin(activityOrigin);
  const jobs = tensoroneJobActivities(clients.tensorone);
  // Under a rate limit the watches' reads are held to it too (on the provider queue, by the server).
  const tensoroneReads: WatchReads =
    options.rateLimits?.tensorone !== undefined
      ? readsAtProviderRate()
      : {
          listJobs: (query) => clients.tensorone.jobs.list(query),
          getJob: (id) => clients.tensorone.jobs.get(id),
        };
  const marqtune = marqtuneActivities(clients.marqtune);
  // Every look of a Marqtune watch is a request: under MARQTUNE_MAX_RPS it is held to the limit too.
  const marqtuneRead =
    options.rateLimits?.marqtune !== undefined
      ? marqtuneReadAtProviderRate()
      : (id: string) => clients.marqtune.models.get(id);
  return {
    ...notifyActivities(options.webhookUrl),
    ...rateLimitActivities(options.rateLimits ?? {}),
    ...jobs,
    ...tensoroneEndpointActivities(clients.tensorone),
    ...registryActivities(clients.tensorone),
    // The protected set's TensorOne reads are held to the limit too.
    ...protectionActivities(
      clients.tensorone,
      options.rateLimits?.tensorone !== undefined ? protectionReadsAtProviderRate() : undefined,
    ),
    ...protectionRebuildActivities(),
    ...fleetBudgetActivities(),
    ...servingSlotActivities(),
    ...tensormeshActivities(clients.tensormesh),
    ...reconcileTensorOneActivities(clients.tensorone),
    ...reconcileTensorMeshActivities(clients.tensormesh),
    ...reconcileTemporalActivities(),
    ...marqtune,
    ...watchActivities({
      getJob: {
        tensorone: (id) => tensoroneReads.getJob(id),
        marqtune: marqtuneRead,
      },
      // One per worker process: every watch in it reads the same sweeps of the job list.
      sweeps: jobSweeps((query) => tensoroneReads.listJobs(query), {
        lookWaitsMs: tensoroneReads.lookWaitsMs,
      }),
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** Activities against the providers named in the worker's environment (the sandbox by default). */
export function createActivitiesFromEnv(env: NodeJS.ProcessEnv = process.env): Activities {
  return createActivities(createProviderClients(providerEndpointsFromEnv(env)), {
    webhookUrl: env.NOTIFY_WEBHOOK_URL || undefined,
  });
}
