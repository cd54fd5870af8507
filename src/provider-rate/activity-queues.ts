import type { Activities } from '../activities';
import type { QueuedProvider } from './providers';

/** Marks workflows that schedule provider activities on the provider's task queue. */
export const PROVIDER_QUEUE_PATCH = 'provider-activities-on-provider-task-queues';

/**
 * The task queue of every activity, by its type name: a provider's, or `workflow` (the workflow's own).
 * Keyed by the activities' own type, so an activity added, renamed or removed does not compile until
 * it has its one place here. A provider activity makes one call per attempt, or a few pages.
 *
 * On the workflow's own queue: `watchTrainingJob` (its looks read the worker process's shared sweep of
 * the job list, mostly without a call: a rate of looks is no rate of requests; under a limit its reads
 * run as read workflows, src/provider-rate/reads.ts; a Marqtune look is a request, held under
 * MARQTUNE_MAX_RPS the same way), `deleteCheckpoints` and `leaseAndDeleteCheckpoints` (hundreds of deletions in one heartbeating
 * activity, used only when no limit is set: under one, a cleanup deletes through `deleteCheckpoint`,
 * see src/workflows/cleanup/checkpoint-deletions.ts), the protection activities (calls to Temporal;
 * their registry is named after their task queue; under TENSORONE_MAX_RPS the protected set's two
 * TensorOne reads run as read workflows too) and the notifications (a webhook, no provider).
 */
export const ACTIVITY_QUEUES: Record<keyof Activities, QueuedProvider | 'workflow'> = {
  // training jobs and checkpoints
  startTrainingJob: 'tensorone',
  stopDuplicateTrainingJobs: 'tensorone',
  stopTrainingJobIfRunning: 'tensorone',
  getTrainingJob: 'tensorone',
  listTrainingJobs: 'tensorone',
  stopTrainingJob: 'tensorone',
  resumeTrainingJob: 'tensorone',
  listCheckpoints: 'tensorone',
  checkpointMetricHistory: 'tensorone',
  getCheckpoint: 'tensorone',
  deleteCheckpoint: 'tensorone',
  // serverless endpoints (a smoke test is an inference through the same API)
  deployCheckpointEndpoint: 'tensorone',
  listEndpoints: 'tensorone',
  getEndpoint: 'tensorone',
  deleteEndpoint: 'tensorone',
  smokeTestEndpoint: 'tensorone',
  probeEndpoints: 'tensorone',
  // the model registry
  listRegisteredModels: 'tensorone',
  getRegisteredModel: 'tensorone',
  updateModelMetadata: 'tensorone',
  createModelVersion: 'tensorone',
  deployRegisteredModel: 'tensorone',
  getModelDeployment: 'tensorone',
  getModelDownloadInfo: 'tensorone',
  compareModels: 'tensorone',
  archiveModel: 'tensorone',
  // the orphan reconciler's listings
  runOwnedJobsPage: 'tensorone',
  runOwnedEndpoints: 'tensorone',
  registeredModelsWithDeployments: 'tensorone',
  runOwnedModelDeployments: 'tensorone',
  // TensorMesh serving
  provisionServedModel: 'tensormesh',
  getServedModel: 'tensormesh',
  deleteServedModel: 'tensormesh',
  smokeTestServedModel: 'tensormesh',
  runOwnedServedModels: 'tensormesh',
  // Marqtune training
  listMarqtuneModels: 'marqtune',
  getMarqtuneModel: 'marqtune',
  // The workflow's own queue (see above)
  watchTrainingJob: 'workflow',
  deleteCheckpoints: 'workflow',
  leaseAndDeleteCheckpoints: 'workflow',
  recordProtection: 'workflow',
  claimProtection: 'workflow',
  claimWithChampion: 'workflow',
  leaseDeletions: 'workflow',
  releaseDeletions: 'workflow',
  protectedCheckpoints: 'workflow',
  rebuildProtection: 'workflow',
  rebuildProtectionFromRunsBefore: 'workflow',
  rebuildProtectionFromLiveWorkflows: 'workflow',
  releaseProtection: 'workflow',
  // the fleet budget (calls to Temporal; the budget is named after the workflow's own task queue)
  reserveFleetBudget: 'workflow',
  settleFleetBudget: 'workflow',
  signalFleetBudgetAdmitted: 'workflow',
  signalFleetBudgetStop: 'workflow',
  readFleetBudgetBefore: 'workflow',
  fleetBudgetPresence: 'workflow',
  workerPresence: 'workflow',
  notifyWebhook: 'workflow',
  // The worker's settings: no provider call
  providerRateLimits: 'workflow',
  // The serving slot's side (calls to Temporal; a slot is named after the task queue)
  promoteInSlot: 'workflow',
  recordAndPromoteInSlot: 'workflow',
  servingChampion: 'workflow',
  releaseDeployedCheckpoints: 'workflow',
  // The orphan reconciler's questions to Temporal (owning runs, what the slots serve)
  reconcileOwner: 'workflow',
  slotServedDeployments: 'workflow',
};

/** The provider whose task queue runs this activity type, or undefined for the workflow's own queue. */
export function providerOfActivity(activityType: string): QueuedProvider | undefined {
  if (!Object.prototype.hasOwnProperty.call(ACTIVITY_QUEUES, activityType)) return undefined;
  const queue = ACTIVITY_QUEUES[activityType as keyof Activities];
  return queue === 'workflow' ? undefined : queue;
}
