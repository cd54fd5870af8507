import type { ServedModelRequest } from '../../domain/tensormesh';
import type { Deployment } from '../../domain/types';
import { isAbsent, type CapabilityAbsent } from '../http/capabilities';
import type { ProvisionModelRequest, TensorMeshClient } from './client';
import type { CreateOutcome, PossibleDuplicate } from '../../activities/context';
import {
  attempt,
  beatingWhile,
  createInDoubt,
  mayFindEarlierCreate,
  nameForStep,
  possibleDuplicate,
} from '../../activities/context';
import { classified, deleteIdempotently, type DeleteOutcome } from '../../activities/failures';

/** TensorMesh model serving: one activity per API call. */
export function tensormeshActivities(client: TensorMeshClient) {
  return {
    /**
     * Adopts the served model of this step's derived name (names are unique per user), else provisions
     * it. Without the (assumed) list route nothing can be adopted: a retry (attempt n > 1) provisions
     * under `<name>-a<n>` — the plain name may already be taken by the earlier attempt, whose model
     * nobody could find again — and says which name a possible duplicate has.
     */
    async provisionServedModel(
      input: { step: string; nameBasis?: string } & Omit<ProvisionModelRequest, 'modelName'>,
    ): Promise<Deployment & CreateOutcome & { possibleDuplicate?: PossibleDuplicate }> {
      const { step, nameBasis, ...request } = input;
      const name = nameForStep(step, nameBasis);
      const inDoubt = createInDoubt();
      return classified(async () => {
        const existing = mayFindEarlierCreate(nameBasis) ? await client.models.findByName(name) : undefined;
        if (existing && !isAbsent(existing)) return { ...existing, adopted: true, inDoubt, name };
        const duplicate = isAbsent(existing) ? possibleDuplicate(name, 'served model') : undefined;
        const modelName = duplicate ? `${name}-a${attempt()}` : name;
        const created = await client.models.create({ ...request, modelName });
        return {
          ...created,
          adopted: false,
          inDoubt,
          name: modelName,
          ...(duplicate ? { possibleDuplicate: duplicate } : {}),
        };
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
     * when the model cannot be read back; `untilServing` retries "not serving yet" answers. Beats while
     * the request waits, so an attempt lost with its worker is retried within seconds.
     */
    async smokeTestServedModel(input: {
      modelId: string;
      prompt: string;
      endpoint?: string;
      modelName?: string;
      /** The pipeline file's `deploy.smokeRequest`; unset: the default completion. */
      request?: ServedModelRequest;
      untilServing?: boolean;
    }): Promise<{ ok: boolean; outputPreview: string }> {
      return beatingWhile(() =>
        classified(
          async () => {
            const res = await client.models.smokeTest(
              input.modelId,
              input.prompt,
              { endpoint: input.endpoint, modelName: input.modelName },
              input.request,
            );
            return { ok: res.ok, outputPreview: (res.output ?? '').slice(0, 200) };
          },
          { untilServing: input.untilServing },
        ),
      );
    },
  };
}
