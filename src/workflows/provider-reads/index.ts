import { provider, providerReadOnce } from '../activity-stubs';
import { summarized } from '../summaries';
import type { ListJobsQuery, ProviderReadWorkflows, RegisteredModelsQuery } from './contract';

type Result<K extends keyof ProviderReadWorkflows> = ReturnType<ProviderReadWorkflows[K]>;

/**
 * Reads a worker process makes for its watches (the sweep of the job list, a job's own read) when
 * TensorOne has a configured rate limit (and the reads of a cleanup's protected set), and a Marqtune
 * model's read under MARQTUNE_MAX_RPS: each is a workflow of one activity on the provider's task
 * queue, where the Temporal server holds every request of the fleet to the provider's `*_MAX_RPS`. The watch
 * activity starts them by type name through the worker's client (src/provider-rate/reads.ts).
 */
export async function listTrainingJobsAtProviderRate(
  query: ListJobsQuery,
): Result<'listTrainingJobsAtProviderRate'> {
  const what = `${query.status ?? 'all'} jobs from ${query.offset ?? 0}`;
  return summarized(provider.listTrainingJobs, `list ${what} for the watches' sweep`, query);
}

export async function getTrainingJobAtProviderRate(jobId: string): Result<'getTrainingJobAtProviderRate'> {
  return summarized(provider.getTrainingJob, `read job ${jobId} for its watch`, jobId);
}

export async function getMarqtuneModelAtProviderRate(
  modelId: string,
): Result<'getMarqtuneModelAtProviderRate'> {
  return summarized(provider.getMarqtuneModel, `read model ${modelId} for its watch`, modelId);
}

/** The endpoint list a cleanup's protected set reads (src/activities/protection.ts), under TENSORONE_MAX_RPS. */
export async function listEndpointsAtProviderRate(): Result<'listEndpointsAtProviderRate'> {
  return summarized(providerReadOnce.listEndpoints, "list endpoints for a cleanup's protected set");
}

/** A job's registry models, read for a cleanup's protected set under TENSORONE_MAX_RPS. */
export async function listRegisteredModelsAtProviderRate(
  query: RegisteredModelsQuery,
): Result<'listRegisteredModelsAtProviderRate'> {
  return summarized(
    providerReadOnce.listRegisteredModels,
    `list registry models of job ${query.trainingJobId} for a cleanup's protected set`,
    query,
  );
}
