import type { ListJobsQuery } from '../providers/tensorone/client';
import { provider } from './activity-stubs';
import { summarized } from './summaries';

/**
 * Reads a worker process makes for its watches (the sweep of the job list, a job's own read) when
 * TensorOne has a configured rate limit, and a Marqtune model's read under MARQTUNE_MAX_RPS: each is a workflow of one activity on the provider's task
 * queue, where the Temporal server holds every request of the fleet to the provider's `*_MAX_RPS`. The watch
 * activity starts them through the worker's client (src/activities/provider-rate-reads.ts).
 */
export async function listTrainingJobsAtProviderRate(query: ListJobsQuery) {
  const what = `${query.status ?? 'all'} jobs from ${query.offset ?? 0}`;
  return summarized(provider.listTrainingJobs, `list ${what} for the watches' sweep`, query);
}

export async function getTrainingJobAtProviderRate(jobId: string) {
  return summarized(provider.getTrainingJob, `read job ${jobId} for its watch`, jobId);
}

export async function getMarqtuneModelAtProviderRate(modelId: string) {
  return summarized(provider.getMarqtuneModel, `read model ${modelId} for its watch`, modelId);
}
