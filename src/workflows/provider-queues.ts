/**
 * Provider activities run on a task queue per provider (`<queue>--tensorone`, …), polled by every
 * worker process with the server-enforced `maxTaskQueueActivitiesPerSecond` (TENSORONE_MAX_RPS, …):
 * the Temporal server, not each process, holds the fleet to a provider's rate limit. Deterministic
 * (imported by workflow code).
 */
export const QUEUED_PROVIDERS = ['tensorone', 'tensormesh', 'marqtune'] as const;
export type QueuedProvider = (typeof QUEUED_PROVIDERS)[number];

/** Marks workflows that schedule provider activities on the provider's task queue. */
export const PROVIDER_QUEUE_PATCH = 'provider-activities-on-provider-task-queues';

export function providerTaskQueue(mainQueue: string, provider: QueuedProvider): string {
  return `${mainQueue}--${provider}`;
}

/**
 * Activities that call a provider, by provider: each makes one call per attempt, or a few pages.
 * Not here, so on the workflow's own queue: `watchTrainingJob` (its looks read the worker process's
 * shared sweep of the job list, mostly without a call: a rate of looks is no rate of requests; under a
 * limit its reads run here, in src/workflows/provider-reads/; a Marqtune look is a request, held under
 * MARQTUNE_MAX_RPS the same way),
 * `deleteCheckpoints` (hundreds of deletions in one heartbeating activity, used only when no limit is
 * set: under one, a cleanup deletes through `deleteCheckpoint` here, see src/workflows/cleanup/checkpoint-deletions.ts),
 * the protection activities (calls to Temporal; their registry is named after their task queue; under
 * TENSORONE_MAX_RPS the protected set's two TensorOne reads run as read workflows here too) and
 * the notifications (a webhook, no provider). test/workflows/provider-queues.test.ts checks that every
 * activity is in exactly one of these places.
 */
export const PROVIDER_ACTIVITIES: Record<QueuedProvider, readonly string[]> = {
  tensorone: [
    // training jobs and checkpoints
    'startTrainingJob',
    'stopDuplicateTrainingJobs',
    'stopTrainingJobIfRunning',
    'getTrainingJob',
    'listTrainingJobs',
    'stopTrainingJob',
    'resumeTrainingJob',
    'listCheckpoints',
    'checkpointMetricHistory',
    'getCheckpoint',
    'deleteCheckpoint',
    // serverless endpoints (a smoke test is an inference through the same API)
    'deployCheckpointEndpoint',
    'listEndpoints',
    'getEndpoint',
    'deleteEndpoint',
    'smokeTestEndpoint',
    'probeEndpoints',
    // the model registry
    'listRegisteredModels',
    'getRegisteredModel',
    'updateModelMetadata',
    'createModelVersion',
    'deployRegisteredModel',
    'getModelDeployment',
    'getModelDownloadInfo',
    'compareModels',
    'archiveModel',
    // the orphan reconciler's listings
    'runOwnedJobsPage',
    'runOwnedEndpoints',
    'registeredModelsWithDeployments',
    'runOwnedModelDeployments',
  ],
  tensormesh: [
    'provisionServedModel',
    'getServedModel',
    'deleteServedModel',
    'smokeTestServedModel',
    'runOwnedServedModels',
  ],
  marqtune: ['listMarqtuneModels', 'getMarqtuneModel'],
};

/** Activities that stay on the workflow's own task queue (see above). */
export const UNQUEUED_ACTIVITIES: readonly string[] = [
  'watchTrainingJob',
  'deleteCheckpoints',
  'recordProtection',
  'claimProtection',
  'leaseDeletions',
  'releaseDeletions',
  'protectedCheckpoints',
  'rebuildProtection',
  'notifyWebhook',
  // The worker's settings: no provider call
  'providerRateLimits',
  // The serving slot's side (calls to Temporal; a slot is named after the task queue)
  'promoteInSlot',
  'servingChampion',
  'releaseDeployedCheckpoints',
  // The orphan reconciler's questions to Temporal (owning runs, what the slots serve)
  'reconcileOwner',
  'slotServedDeployments',
];

export function providerOfActivity(activityType: string): QueuedProvider | undefined {
  return QUEUED_PROVIDERS.find((p) => PROVIDER_ACTIVITIES[p].includes(activityType));
}
