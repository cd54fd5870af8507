import type { ListJobsQuery } from '../../providers/tensorone/client';

// The contract of the provider-read workflows: one activity each on the provider's task queue. Their
// inputs are the provider's own queries; their results are the activity's answer; they answer no messages.

export type { ListJobsQuery };

/** A job's registry models, as a cleanup's protected set reads them. */
export interface RegisteredModelsQuery {
  trainingJobId: string;
  limit: number;
}
