import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { Deployment } from '../../domain/types';
import type { TENSORMESH_CLOUD_PROVIDERS, TENSORMESH_GPU_TYPES } from '../../domain/tensormesh';
import { isAbsent, type Capabilities, type CapabilityAbsent } from '../http/capabilities';
import { ProviderError } from '../http/provider-error';
import { redactText, registerSecret, stripQuery } from '../http/redact';
import { routeTo, Transport } from '../http/transport';
import { isoDate } from '../http/units';
import { TENSORMESH_ROUTES, TENSORMESH_SMOKE_PATH, tensormeshStatus } from './assumptions';

interface TensorMeshOptions {
  baseURL: string;
  apiKey: string;
  /** Hugging Face token for private model paths: from the worker's environment, never from workflow input. */
  hfToken?: string;
  timeoutMs?: number;
  capabilities?: Capabilities;
}

/** Where a served model answers, when the provider cannot be asked (`GET /v1/models/{id}` absent). */
interface ServedModelAddress {
  /** The `endpoint` of the create answer. */
  endpoint?: string;
  modelName?: string;
}

export interface ProvisionModelRequest {
  modelName: string;
  userId: string;
  description?: string;
  infra?: {
    cloudProvider?: (typeof TENSORMESH_CLOUD_PROVIDERS)[number];
    nebiusRegion?: string;
    lambdaRegion?: string;
    onpremRegion?: string;
  };
  modelPath: string;
  gpuCount: number;
  gpuType: (typeof TENSORMESH_GPU_TYPES)[number];
  modelSpec?: Record<string, unknown>;
  kvCacheEnabled?: boolean;
  cpuOffloadingEnabled?: boolean;
  nodeId?: string;
}

const wireModel = z.object({
  modelId: z.string().min(1),
  deploymentId: z.string().optional(),
  modelName: z.string().optional(),
  modelPath: z.string().optional(),
  status: z.string().default('MODEL_STATUS_UNSPECIFIED'),
  events: z
    .array(
      z.object({
        createdAt: z.string().optional(),
        log: z.string().default(''),
        eventType: z.string().default('EVENT_TYPE_UNSPECIFIED'),
      }),
    )
    .default([]),
  endpoint: z.string().optional(),
  apiKey: z.string().optional(),
  createdAt: z.string().optional(),
});
type WireModel = z.infer<typeof wireModel>;

/** An OpenAI-style completion; any answer with 2xx passes the smoke test, its text is only previewed. */
const completion = z
  .object({ choices: z.array(z.object({ text: z.string().optional() }).passthrough()).optional() })
  .passthrough()
  .catch({});

/** Drops the served model's `apiKey`: a Deployment may be stored in workflow history. */
function toDeployment(raw: WireModel): Deployment {
  registerSecret(raw.apiKey);
  return {
    provider: 'tensormesh',
    id: raw.modelId,
    name: raw.modelName,
    status: tensormeshStatus(raw.status),
    rawStatus: raw.status,
    url: stripQuery(raw.endpoint),
    createdAt: isoDate(raw.createdAt),
    events: raw.events
      .slice(-5)
      .map((e) => ({ at: isoDate(e.createdAt), type: e.eventType, log: redactText(e.log) })),
  };
}

/** TensorMesh model serving. */
export function createTensorMeshClient(options: TensorMeshOptions) {
  const t = new Transport({
    provider: 'tensormesh',
    baseURL: options.baseURL,
    authHeaders: { Authorization: `Bearer ${options.apiKey}` },
    timeoutMs: options.timeoutMs,
    capabilities: options.capabilities,
  });
  registerSecret(options.hfToken);

  /**
   * The served model's own key, sent in the create request (a documented field): derived from our API
   * key and the model's name, so it can be known again later without a read route and without storing it.
   */
  function servedModelKey(modelName: string): string {
    const key = `tmk_${createHmac('sha256', options.apiKey).update(`served-model:${modelName}`).digest('hex').slice(0, 40)}`;
    registerSecret(key);
    return key;
  }

  async function getRaw(modelId: string): Promise<WireModel | CapabilityAbsent> {
    const raw = await t.optional('tensormesh.models.get', {
      method: 'GET',
      ...routeTo(TENSORMESH_ROUTES.get, { modelId }),
      schema: z.object({ model: wireModel }),
      resourceId: modelId,
    });
    return isAbsent(raw) ? raw : raw.model;
  }

  const models = {
    async create(body: ProvisionModelRequest): Promise<Deployment> {
      const raw = await t.request({
        method: 'POST',
        ...routeTo('/v1/models'),
        body: {
          ...body,
          apiKey: servedModelKey(body.modelName),
          ...(options.hfToken ? { hfToken: options.hfToken } : {}),
        },
        schema: z.object({ model: wireModel }),
      });
      return toDeployment(raw.model);
    },
    /** Assumed route: `CapabilityAbsent` once the provider has shown it has none. */
    async get(modelId: string): Promise<Deployment | CapabilityAbsent> {
      const raw = await getRaw(modelId);
      return isAbsent(raw) ? raw : toDeployment(raw);
    },
    /** Assumed route: `CapabilityAbsent` once the provider has shown it has none. */
    async findByName(modelName: string): Promise<Deployment | undefined | CapabilityAbsent> {
      const raw = await t.optional('tensormesh.models.list', {
        method: 'GET',
        ...routeTo(TENSORMESH_ROUTES.listByName),
        query: { modelName },
        schema: z.object({ models: z.array(wireModel).default([]) }),
      });
      if (isAbsent(raw)) return raw;
      const found = raw.models.find((m) => m.modelName === modelName);
      return found && toDeployment(found);
    },
    /** Every served model (the assumed list route without a name): `CapabilityAbsent` when it is absent. */
    async list(): Promise<Deployment[] | CapabilityAbsent> {
      const raw = await t.optional('tensormesh.models.list', {
        method: 'GET',
        ...routeTo(TENSORMESH_ROUTES.listByName),
        query: {},
        schema: z.object({ models: z.array(wireModel).default([]) }),
      });
      return isAbsent(raw) ? raw : raw.models.map(toDeployment);
    },
    /** Assumed route: `CapabilityAbsent` once the provider has shown it has none. */
    async delete(modelId: string): Promise<void | CapabilityAbsent> {
      const raw = await t.optional('tensormesh.models.delete', {
        method: 'DELETE',
        ...routeTo(TENSORMESH_ROUTES.delete, { modelId }),
        schema: z.unknown(),
        resourceId: modelId,
      });
      return isAbsent(raw) ? raw : undefined;
    },
    /**
     * One completion against the served model, using its own `apiKey`, which is fetched here and never
     * leaves this function.
     */
    async smokeTest(
      modelId: string,
      prompt: string,
      known: ServedModelAddress = {},
    ): Promise<{ ok: boolean; output?: string }> {
      const read = await getRaw(modelId);
      // Without a read route: the create answer's endpoint and the key this client sent with the create.
      const raw = isAbsent(read)
        ? {
            endpoint: known.endpoint,
            modelName: known.modelName,
            apiKey: known.modelName ? servedModelKey(known.modelName) : undefined,
          }
        : read;
      if (!raw.endpoint) {
        throw new ProviderError({
          provider: 'tensormesh',
          route: 'POST {endpoint}/v1/completions',
          kind: 'http',
          code: 'NO_ENDPOINT',
          message: 'model has no endpoint yet',
        });
      }
      // The served model's own address and key: a transport of its own, so our API key never goes there.
      const served = new Transport({
        provider: 'tensormesh',
        baseURL: stripQuery(raw.endpoint)!,
        authHeaders: raw.apiKey ? { Authorization: `Bearer ${raw.apiKey}` } : {},
        timeoutMs: options.timeoutMs,
      });
      const res = await served.request({
        method: 'POST',
        route: '{endpoint}/v1/completions',
        path: TENSORMESH_SMOKE_PATH,
        body: { model: raw.modelName, prompt, max_tokens: 8 },
        schema: completion,
      });
      return { ok: true, output: redactText(res.choices?.[0]?.text ?? '').slice(0, 200) };
    },
  };
  return { models };
}

export type TensorMeshClient = ReturnType<typeof createTensorMeshClient>;
