import type { CapabilityAbsent } from '../../domain/capability';
import type { Deployment, RegisteredModel, TrainingJob } from '../../domain/types';
import type { ListJobsQuery } from '../../providers/tensorone/client';

// The contract of the provider-read workflows: one activity each on the provider's task queue. Their
// inputs are the provider's own queries; their results are the activity's answer; they answer no
// messages. Started by type name (the keys below) from activity code, which loads no workflow code.

export type { ListJobsQuery };

/** A job's registry models, as a cleanup's protected set reads them. */
export interface RegisteredModelsQuery {
  trainingJobId: string;
  limit: number;
}

/** Each read workflow by its type name. */
export interface ProviderReadWorkflows {
  listTrainingJobsAtProviderRate(
    query: ListJobsQuery,
  ): Promise<{ jobs: TrainingJob[]; total?: number; hasMore: boolean }>;
  getTrainingJobAtProviderRate(jobId: string): Promise<TrainingJob>;
  getMarqtuneModelAtProviderRate(modelId: string): Promise<TrainingJob>;
  listEndpointsAtProviderRate(): Promise<Deployment[] | CapabilityAbsent>;
  listRegisteredModelsAtProviderRate(
    query: RegisteredModelsQuery,
  ): Promise<{ models: RegisteredModel[]; total?: number }>;
}
