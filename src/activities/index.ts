import { Context } from '@temporalio/activity';
import { createProviderClients, providerEndpointsFromEnv, type ProviderClients } from '../providers/config';
import { setRequestOrigin } from '../providers/http/transport';
import { builtInProviders } from '../providers';
import { fleetBudgetActivities } from './fleet-budget';
import { fleetBudgetPresenceActivities } from './fleet-budget-presence';
import { notifyActivities } from './notify';
import { protectionActivities } from './protection';
import { protectionRebuildActivities } from './protection-rebuild';
import { providerRate, type ProviderRate } from '../provider-rate';
import type { WatchReads } from '../provider-rate/reads';
import { rateLimitActivities } from '../provider-rate/limits';
import {
  reconcileTemporalActivities,
  reconcileTensorMeshActivities,
  reconcileTensorOneActivities,
} from './reconcile';
import { servingSlotActivities } from './serving-slots';
import { recordedPromotionActivities } from './recorded-promotion';
import { claimWithChampionActivities } from './claim-with-champion';
import { leasedDeletionActivities } from './leased-deletions';
import { jobSweeps, type JobSweeps } from './job-sweep';
import { fleetJobSweeps } from './fleet-job-sweep';
import { watchActivities } from './watch';

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
    /** The worker's rate limits and the reads chosen for them; by default none, every read direct. */
    providerRate?: ProviderRate;
    /**
     * One sweep of the job list per freshness window for every worker process of the task queue (the
     * default); false: each process sweeps by itself.
     */
    fleetSweep?: boolean;
  } = {},
) {
  setRequestOrigin(activityOrigin);
  const { limits, reads } = options.providerRate ?? providerRate(clients);
  const providers = builtInProviders(clients);
  const protection = protectionActivities(reads.protection);
  const slots = servingSlotActivities();
  return {
    ...notifyActivities(options.webhookUrl),
    ...rateLimitActivities(limits),
    ...providers.tensorone.activities,
    ...protection,
    ...protectionRebuildActivities(),
    ...fleetBudgetActivities(),
    // One cache per worker process (createActivities is called once per process).
    ...fleetBudgetPresenceActivities(undefined, { webhook: options.webhookUrl !== undefined }),
    ...slots,
    ...recordedPromotionActivities({
      recordProtection: protection.recordProtection,
      promoteInSlot: slots.promoteInSlot,
    }),
    ...claimWithChampionActivities({
      claimProtection: protection.claimProtection,
      servingChampion: slots.servingChampion,
      // Straight to the provider only where nothing holds TensorOne requests to a rate limit.
      ...(limits.tensorone === undefined
        ? { getCheckpoint: providers.tensorone.activities.getCheckpoint }
        : {}),
    }),
    ...leasedDeletionActivities({
      leaseDeletions: protection.leaseDeletions,
      deleteCheckpoints: providers.tensorone.activities.deleteCheckpoints,
      releaseDeletions: protection.releaseDeletions,
      // Used only where no TensorOne rate limit holds the cleanup's deletions (else a child deletes).
      getCheckpoint: providers.tensorone.activities.getCheckpoint,
    }),
    ...providers.tensormesh.activities,
    ...reconcileTensorOneActivities(clients.tensorone),
    ...reconcileTensorMeshActivities(clients.tensormesh),
    ...reconcileTemporalActivities(),
    ...providers.marqtune.activities,
    ...watchActivities({
      getJob: {
        tensorone: (id) => reads.tensorone.getJob(id),
        marqtune: reads.marqtuneModel,
      },
      // One per worker process: every watch in it reads the same sweeps of the job list.
      sweeps: jobListSweeps(reads.tensorone, options.fleetSweep ?? true),
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** The process's sweeps: the fleet's (its own as the fallback), or its own only. */
function jobListSweeps(reads: WatchReads, fleet: boolean): JobSweeps {
  const own = jobSweeps((query) => reads.listJobs(query), { lookWaitsMs: reads.lookWaitsMs });
  return fleet ? fleetJobSweeps(own, { lookWaitsMs: reads.lookWaitsMs }) : own;
}

/** Activities against the providers named in the worker's environment (the sandbox by default). */
export function createActivitiesFromEnv(env: NodeJS.ProcessEnv = process.env): Activities {
  return createActivities(createProviderClients(providerEndpointsFromEnv(env)), {
    webhookUrl: env.NOTIFY_WEBHOOK_URL || undefined,
  });
}
