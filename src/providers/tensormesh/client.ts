import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { Deployment } from '../../domain/types';
import {
  DEFAULT_SERVED_MODEL_REQUEST,
  SERVED_MODEL_REQUEST_SETTING,
  type ServedModelRequest,
  type TENSORMESH_CLOUD_PROVIDERS,
  type TENSORMESH_GPU_TYPES,
} from '../../domain/tensormesh';
import { isAbsent, type Capabilities, type CapabilityAbsent } from '../http/capabilities';
import { ProviderError } from '../http/provider-error';
import { redactText, registerSecret, stripQuery } from '../http/redact';
import { routeTo, Transport } from '../http/transport';
import { isoDate } from '../http/units';
import { TENSORMESH_ROUTES, tensormeshStatus } from './assumptions';

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

/** Statuses of a served model that say "not this request" (as opposed to "not now" or "not you"). */
const REQUEST_REFUSED = new Set([400, 404, 405, 406, 415, 422]);

function refusesTheRequest(err: ProviderError): boolean {
  return err.kind === 'http' && REQUEST_REFUSED.has(err.status ?? 0);
}

/** The request body with `{prompt}` and `{modelName}` string values filled in, at any depth. */
function filledIn(value: unknown, fill: { prompt: string; modelName: string }): unknown {
  if (typeof value === 'string')
    return value.replaceAll('{prompt}', fill.prompt).replaceAll('{modelName}', fill.modelName);
  if (Array.isArray(value)) return value.map((v) => filledIn(v, fill));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, filledIn(v, fill)]));
  return value;
}

/** The value at a dotted path (`choices.0.text`), undefined where the path leads nowhere. */
function valueAt(value: unknown, path: string): unknown {
  let at: unknown = value;
  for (const key of path.split('.')) {
    if (!at || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** The default request's answer preview: an OpenAI-style completion's first text, if any. */
function completionText(answer: unknown): string {
  const text = valueAt(answer, 'choices.0.text');
  return typeof text === 'string' ? text : '';
}

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
    /** Assumed route: `CapabilityAbsent` once the provider has shown it has none. */
    async delete(modelId: string): Promise<void | CapabilityAbsent> {
      const raw = await t.optional('tensormesh.models.delete', {
        method: 'DELETE',
        ...routeTo(TENSORMESH_ROUTES.delete, { modelId }),
        schema: z.unknown(),
      });
      return isAbsent(raw) ? raw : undefined;
    },
    /**
     * One request to the served model (`request`, by default an OpenAI-style completion), using its own
     * `apiKey`, which is fetched here and never leaves this function. The request is an assumption: a
     * refusal of it, or an answer without `answerField`, says so and names the setting that changes it.
     */
    async smokeTest(
      modelId: string,
      prompt: string,
      known: ServedModelAddress = {},
      request: ServedModelRequest = DEFAULT_SERVED_MODEL_REQUEST,
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
      const route = `POST {endpoint}${request.path}`;
      if (!raw.endpoint) {
        throw new ProviderError({
          provider: 'tensormesh',
          route,
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
      const assumption = `the served model's request (${route}) is an assumption, the TensorMesh documents give no serving protocol: set ${SERVED_MODEL_REQUEST_SETTING} (path, body, answerField) in the pipeline file to what this model answers`;
      let answer: unknown;
      try {
        answer = await served.request({
          method: 'POST',
          route: `{endpoint}${request.path}`,
          path: request.path,
          body: filledIn(request.body, { prompt, modelName: raw.modelName ?? '' }),
          schema: z.unknown(),
        });
      } catch (err) {
        if (err instanceof ProviderError && refusesTheRequest(err)) throw err.withNote(assumption);
        throw err;
      }
      const field = request.answerField;
      const value = field ? valueAt(answer, field) : completionText(answer);
      if (field && (value === undefined || value === null || value === '')) {
        throw new ProviderError({
          provider: 'tensormesh',
          route,
          kind: 'malformed',
          code: 'SMOKE_ANSWER_MISSING',
          message: `the answer has no "${field}"; ${assumption}`,
          details: { field },
        });
      }
      const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
      return { ok: true, output: redactText(text).slice(0, 200) };
    },
  };
  return { models };
}

export type TensorMeshClient = ReturnType<typeof createTensorMeshClient>;
