import type { Deployment, ModelComparison, ModelDownload, RegisteredModel } from '../../domain/types';
import type { DeployModelRequest, TensorOneClient } from './client';
import { ApplicationFailure } from '@temporalio/common';
import { adoptionMismatches } from '../../decisions/adoption';
import {
  createInDoubt,
  mayFindEarlierCreate,
  nameForStep,
  type CreateOutcome,
} from '../../activities/context';
import { adoptionRefused, classified } from '../../activities/failures';
import { isAbsent } from '../http/capabilities';
import { ProviderError } from '../http/provider-error';

/** TensorOne model registry: one activity per API call. */
export function registryActivities(client: TensorOneClient) {
  /** Deployments that may carry this name: the (assumed) endpoint list, else the model's own (documented "get"). */
  async function deploymentsNamed(name: string, modelId: string): Promise<Deployment[]> {
    const listed = await client.endpoints.list({ name });
    return isAbsent(listed) ? ((await client.models.get(modelId)).deployments ?? []) : listed;
  }

  return {
    async listRegisteredModels(query: {
      type?: string;
      status?: string;
      trainingJobId?: string;
      limit?: number;
      offset?: number;
    }): Promise<{ models: RegisteredModel[]; total?: number }> {
      return classified(() => client.models.list(query));
    },
    async getRegisteredModel(modelId: string): Promise<RegisteredModel> {
      return classified(() => client.models.get(modelId));
    },
    async updateModelMetadata(input: {
      modelId: string;
      name?: string;
      description?: string;
      tags?: string[];
      metadata?: Record<string, string>;
    }): Promise<void> {
      const { modelId, ...body } = input;
      return classified(() => client.models.update(modelId, body));
    },
    /**
     * A version that already exists (409 VERSION_EXISTS) is adopted only when the model shows it is
     * ours: its current version is this one and comes from this training job. Anything else may be
     * another pipeline's version and is refused, naming what was found.
     */
    async createModelVersion(input: {
      modelId: string;
      version: string;
      trainingJobId: string;
      description?: string;
      changelog?: string[];
    }): Promise<{ version: string; adopted: boolean }> {
      const { modelId, ...body } = input;
      return classified(async () => {
        try {
          await client.models.createVersion(modelId, body);
          return { version: input.version, adopted: false };
        } catch (err) {
          if (!(err instanceof ProviderError && err.status === 409 && err.code === 'VERSION_EXISTS'))
            throw err;
          const model = await client.models.get(modelId);
          if (model.version === input.version && model.trainingJobId === input.trainingJobId)
            return { version: input.version, adopted: true };
          throw ApplicationFailure.nonRetryable(
            `version ${input.version} of model ${modelId} already exists and is not provably this run's ` +
              `(the model reports version ${model.version ?? 'unknown'} from training job ${model.trainingJobId ?? 'unknown'}, ` +
              `this run trained ${input.trainingJobId}); choose another version`,
            'VERSION_EXISTS',
            { modelId, version: input.version, foundTrainingJobId: model.trainingJobId },
          );
        }
      });
    },
    /**
     * Adopts a deployment with the step's run-derived name when it serves this model, else deploys (the
     * first attempt of a run-named step has nothing to find and deploys straight away).
     */
    async deployRegisteredModel(
      input: { modelId: string; step: string; nameBasis?: string } & Omit<DeployModelRequest, 'name'>,
    ): Promise<Deployment & CreateOutcome> {
      const { modelId, step, nameBasis, ...rest } = input;
      const name = nameForStep(step, nameBasis);
      const inDoubt = createInDoubt();
      return classified(async () => {
        const candidates = mayFindEarlierCreate(nameBasis) ? await deploymentsNamed(name, modelId) : [];
        const existing = candidates.find((e) => e.name === name);
        if (existing) {
          const mismatches = adoptionMismatches({ modelId }, { modelId: existing.modelId });
          if (mismatches.length) throw adoptionRefused('deployment', existing.id, name, mismatches);
          return { ...existing, modelId, adopted: true, inDoubt, name };
        }
        return { ...(await client.models.deploy(modelId, { ...rest, name })), adopted: false, inDoubt, name };
      });
    },
    /**
     * One deployment of a registry model, read from the model's documented `deployments` (for when the
     * endpoint routes are absent): `deleted` when the model no longer lists it.
     */
    async getModelDeployment(input: { modelId: string; deploymentId: string }): Promise<Deployment> {
      return classified(async () => {
        const model = await client.models.get(input.modelId);
        const found = model.deployments?.find((d) => d.id === input.deploymentId);
        return (
          found ?? {
            provider: 'tensorone',
            id: input.deploymentId,
            modelId: input.modelId,
            // Just created and not listed yet is "deploying"; the deploy timeout bounds the wait.
            status: 'deploying',
            rawStatus: 'not listed by the model yet',
            events: [],
          }
        );
      });
    },
    /** Metadata of a download only: the signed link itself would be stored in history, so it is dropped. */
    async getModelDownloadInfo(input: {
      modelId: string;
      files?: string[];
      format?: string;
    }): Promise<ModelDownload> {
      return classified(async () => {
        const { downloadUrl: _signed, ...info } = await client.models.download(input.modelId, {
          files: input.files,
          format: input.format,
        });
        return info;
      });
    },
    async compareModels(input: {
      models: string[];
      metrics?: string[];
      benchmarks?: string[];
    }): Promise<ModelComparison> {
      return classified(() => client.models.compare(input));
    },
    async archiveModel(input: { modelId: string; reason?: string; retentionPeriod?: string }): Promise<void> {
      return classified(() =>
        client.models.archive(input.modelId, {
          reason: input.reason,
          retention_period: input.retentionPeriod,
        }),
      );
    },
  };
}
