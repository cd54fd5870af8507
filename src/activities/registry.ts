import type { Deployment, ModelComparison, ModelDownload, RegisteredModel } from '../domain/types';
import type { DeployModelRequest, TensorOneClient } from '../providers/tensorone/client';
import { nameForStep } from './context';
import { classified } from './failures';
import { isAbsent } from '../providers/http/capabilities';
import { ProviderError } from '../providers/http/provider-error';

/** TensorOne model registry: one activity per API call. */
export function registryActivities(client: TensorOneClient) {
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
    /** A version that already exists was created by an earlier attempt: adopted, not an error. */
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
          if (err instanceof ProviderError && err.status === 409 && err.code === 'VERSION_EXISTS')
            return { version: input.version, adopted: true };
          throw err;
        }
      });
    },
    /** Adopts a deployment of this model with the step's derived name, else deploys. */
    async deployRegisteredModel(
      input: { modelId: string; step: string } & Omit<DeployModelRequest, 'name'>,
    ): Promise<Deployment & { adopted: boolean }> {
      const { modelId, step, ...rest } = input;
      const name = nameForStep(step);
      return classified(async () => {
        const listed = await client.endpoints.list({ name });
        // Without the (assumed) endpoint list, the model's own deployments (documented "get") are searched.
        const candidates = isAbsent(listed) ? ((await client.models.get(modelId)).deployments ?? []) : listed;
        const existing = candidates.find((e) => e.name === name && (!e.modelId || e.modelId === modelId));
        if (existing) return { ...existing, modelId, adopted: true };
        return { ...(await client.models.deploy(modelId, { ...rest, name })), adopted: false };
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
