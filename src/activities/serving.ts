import type { Deployment, TrainingJob } from '../domain/types';
import type { MarqtuneClient } from '../providers/marqtune/client';
import type { ProvisionModelRequest, TensorMeshClient } from '../providers/tensormesh/client';
import { createInDoubt, nameForStep } from './context';
import type { CreateOutcome } from './tensorone';
import { classified, deleteIdempotently, type DeleteOutcome } from './failures';

/** TensorMesh model serving: one activity per API call. */
export function tensormeshActivities(client: TensorMeshClient) {
  return {
    /** Adopts the served model of this step's derived name (names are unique per user), else provisions it. */
    async provisionServedModel(
      input: { step: string; nameBasis?: string } & Omit<ProvisionModelRequest, 'modelName'>,
    ): Promise<Deployment & CreateOutcome> {
      const { step, nameBasis, ...request } = input;
      const modelName = nameForStep(step, nameBasis);
      const inDoubt = createInDoubt();
      return classified(async () => {
        const existing = await client.models.findByName(modelName);
        if (existing) return { ...existing, adopted: true, inDoubt, name: modelName };
        return {
          ...(await client.models.create({ ...request, modelName })),
          adopted: false,
          inDoubt,
          name: modelName,
        };
      });
    },
    async getServedModel(modelId: string): Promise<Deployment> {
      return classified(() => client.models.get(modelId));
    },
    async deleteServedModel(modelId: string): Promise<DeleteOutcome> {
      return deleteIdempotently(() => client.models.delete(modelId));
    },
    async smokeTestServedModel(input: {
      modelId: string;
      prompt: string;
    }): Promise<{ ok: boolean; outputPreview: string }> {
      return classified(async () => {
        const res = await client.models.smokeTest(input.modelId, input.prompt);
        return { ok: res.ok, outputPreview: (res.output ?? '').slice(0, 200) };
      });
    },
  };
}

/** Marqtune fine-tuned models. */
export function marqtuneActivities(client: MarqtuneClient) {
  return {
    async listMarqtuneModels(): Promise<TrainingJob[]> {
      return classified(() => client.models.list());
    },
    async getMarqtuneModel(modelId: string): Promise<TrainingJob> {
      return classified(() => client.models.get(modelId));
    },
  };
}
