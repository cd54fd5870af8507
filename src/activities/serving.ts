import type { Deployment, TrainingJob } from '../domain/types';
import type { MarqtuneClient } from '../providers/marqtune/client';
import { isAbsent, type CapabilityAbsent } from '../providers/http/capabilities';
import { ProviderError } from '../providers/http/provider-error';
import type { ProvisionModelRequest, TensorMeshClient } from '../providers/tensormesh/client';
import { ApplicationFailure } from '@temporalio/common';
import { attempt, nameForStep } from './context';
import { classified, deleteIdempotently, type DeleteOutcome } from './failures';

/** TensorMesh model serving: one activity per API call. */
export function tensormeshActivities(client: TensorMeshClient) {
  return {
    /**
     * Adopts the served model of this step's derived name (names are unique per user), else provisions
     * it. Without the (assumed) list route there is nothing to adopt from; the name's uniqueness still
     * prevents a duplicate, so a retry whose create is refused as a duplicate name fails naming it.
     */
    async provisionServedModel(
      input: { step: string } & Omit<ProvisionModelRequest, 'modelName'>,
    ): Promise<Deployment & { adopted: boolean }> {
      const { step, ...request } = input;
      const modelName = nameForStep(step);
      return classified(async () => {
        const existing = await client.models.findByName(modelName);
        if (existing && !isAbsent(existing)) return { ...existing, adopted: true };
        try {
          return { ...(await client.models.create({ ...request, modelName })), adopted: false };
        } catch (err) {
          if (isAbsent(existing) && attempt() > 1 && err instanceof ProviderError && err.status === 409) {
            throw ApplicationFailure.nonRetryable(
              `TensorMesh model "${modelName}" was created by an earlier attempt whose answer was lost, and the provider offers no route to find it: it may be running; find it by this name and remove it by hand`,
              'CREATED_BUT_UNKNOWN',
              { modelName },
            );
          }
          throw err;
        }
      });
    },
    async getServedModel(modelId: string): Promise<Deployment | CapabilityAbsent> {
      return classified(() => client.models.get(modelId));
    },
    async deleteServedModel(modelId: string): Promise<DeleteOutcome | CapabilityAbsent> {
      return deleteIdempotently(() => client.models.delete(modelId));
    },
    /**
     * One completion against the served model. `endpoint`/`modelName` (from the create answer) are used
     * when the model cannot be read back; `untilServing` retries "not serving yet" answers.
     */
    async smokeTestServedModel(input: {
      modelId: string;
      prompt: string;
      endpoint?: string;
      modelName?: string;
      untilServing?: boolean;
    }): Promise<{ ok: boolean; outputPreview: string }> {
      return classified(
        async () => {
          const res = await client.models.smokeTest(input.modelId, input.prompt, {
            endpoint: input.endpoint,
            modelName: input.modelName,
          });
          return { ok: res.ok, outputPreview: (res.output ?? '').slice(0, 200) };
        },
        { untilServing: input.untilServing },
      );
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
