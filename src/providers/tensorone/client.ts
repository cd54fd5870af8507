import { z } from 'zod';
import type {
  Checkpoint,
  CheckpointPage,
  Deployment,
  RegisteredModel,
  TrainingJob,
} from '../../domain/types';
import type { ResourceTraits } from '../../decisions/adoption';
import { isAbsent, type Capabilities, type CapabilityAbsent } from '../http/capabilities';
import { stripQuery } from '../http/redact';
import { routeTo, Transport } from '../http/transport';
import * as n from './normalize';
import * as wire from './schemas';

interface TensorOneOptions {
  baseURL: string;
  apiKey: string;
  timeoutMs?: number;
  capabilities?: Capabilities;
}

type ModelType = 'llm' | 'vision' | 'multimodal' | 'custom';

/** The documented "fine-tune a language model" request shape. */
export interface CreateJobRequest {
  name: string;
  modelType: ModelType;
  datasetId: string;
  config: Record<string, unknown>;
  description?: string;
  tags?: string[];
  gpuType?: string;
  maxWorkers?: number;
  priority?: 'high' | 'normal' | 'low';
}

export interface ListJobsQuery {
  status?: string;
  modelType?: ModelType;
  limit?: number;
  offset?: number;
  sort?: 'created_at' | 'updated_at' | 'name';
  order?: 'asc' | 'desc';
}

export interface ListCheckpointsQuery {
  includeMetrics?: boolean;
  sortBy?: 'createdAt' | 'epoch' | 'step' | 'loss' | 'accuracy' | 'validationLoss';
  sortOrder?: 'asc' | 'desc';
  /** 1-100 (documented). */
  limit?: number;
  /** Not in the documents, which page only through `limit` and `totalCount`: see docs/providers.md. */
  offset?: number;
}

interface DeployCheckpointRequest {
  name: string;
  checkpointId: string;
  gpuIds: string[];
  workerCount: number;
}

export interface DeployModelRequest {
  name: string;
  environment?: string;
  gpuType?: string;
  workers?: number;
  scaling?: { minWorkers?: number; maxWorkers?: number; targetUtilization?: number };
  configuration?: Record<string, unknown>;
}

const empty = z.unknown();

/** TensorOne: training jobs, checkpoints, serverless endpoints and the model registry. */
export function createTensorOneClient(options: TensorOneOptions) {
  const t = new Transport({
    provider: 'tensorone',
    baseURL: options.baseURL,
    authHeaders: { Authorization: `Bearer ${options.apiKey}` },
    timeoutMs: options.timeoutMs,
    capabilities: options.capabilities,
  });

  const jobs = {
    async create(body: CreateJobRequest): Promise<TrainingJob> {
      const raw = await t.request({
        method: 'POST',
        ...routeTo('/v2/training/jobs'),
        body,
        schema: wire.trainingJob,
      });
      return n.toTrainingJob(raw);
    },
    async list(
      query: ListJobsQuery = {},
    ): Promise<{ jobs: TrainingJob[]; total?: number; hasMore: boolean }> {
      const raw = await t.request({
        method: 'GET',
        ...routeTo('/v2/training/jobs'),
        query: { ...query },
        schema: wire.jobList,
      });
      const jobsOut = raw.jobs.map(n.toTrainingJob);
      const offset = query.offset ?? 0;
      const hasMore =
        raw.pagination?.hasMore ??
        (raw.pagination?.total !== undefined && offset + jobsOut.length < raw.pagination.total);
      return { jobs: jobsOut, total: raw.pagination?.total, hasMore };
    },
    async get(jobId: string): Promise<TrainingJob> {
      const raw = await t.request({
        method: 'GET',
        ...routeTo('/v2/training/jobs/:jobId', { jobId }),
        schema: wire.trainingJob,
      });
      return n.toTrainingJob(raw);
    },
    /** The job and what it reports it was made from (dataset, config, GPU), for the adoption check. */
    async describe(jobId: string): Promise<{ job: TrainingJob; traits: ResourceTraits }> {
      const raw = await t.request({
        method: 'GET',
        ...routeTo('/v2/training/jobs/:jobId', { jobId }),
        schema: wire.trainingJob,
      });
      return { job: n.toTrainingJob(raw), traits: n.toJobTraits(raw) };
    },
    async stop(jobId: string, body: { saveCheckpoint: boolean; reason?: string }): Promise<void> {
      await t.request({
        method: 'POST',
        ...routeTo('/v2/training/jobs/:jobId/stop', { jobId }),
        body,
        schema: empty,
      });
    },
    async resume(jobId: string, body: { checkpointId?: string }): Promise<void> {
      await t.request({
        method: 'POST',
        ...routeTo('/v2/training/jobs/:jobId/resume', { jobId }),
        body,
        schema: empty,
      });
    },
  };

  const checkpoints = {
    async list(jobId: string, query: ListCheckpointsQuery = {}): Promise<CheckpointPage> {
      const raw = await t.request({
        method: 'GET',
        ...routeTo('/v2/training/jobs/:jobId/checkpoints', { jobId }),
        query: { ...query },
        schema: wire.checkpointList,
      });
      return n.toCheckpointPage(raw, jobId);
    },
    async get(checkpointId: string): Promise<Checkpoint> {
      const raw = await t.request({
        method: 'GET',
        ...routeTo('/v2/training/checkpoints/:checkpointId', { checkpointId }),
        schema: wire.checkpoint,
      });
      return n.toCheckpoint(raw);
    },
    async create(jobId: string, body: { name: string; description?: string }): Promise<Checkpoint> {
      const raw = await t.request({
        method: 'POST',
        ...routeTo('/v2/training/jobs/:jobId/checkpoints', { jobId }),
        body,
        schema: wire.checkpoint,
      });
      return n.toCheckpoint(raw, jobId);
    },
    async delete(checkpointId: string): Promise<void> {
      await t.request({
        method: 'DELETE',
        ...routeTo('/v2/training/checkpoints/:checkpointId', { checkpointId }),
        schema: empty,
      });
    },
  };

  /** `POST /v2/endpoints` is documented; reading, listing and deleting endpoints are assumed (docs/providers.md). */
  const endpoints = {
    async create(body: DeployCheckpointRequest): Promise<Deployment> {
      const raw = await t.request({
        method: 'POST',
        ...routeTo('/v2/endpoints'),
        body,
        schema: wire.endpoint,
      });
      return {
        ...n.toDeployment(raw),
        checkpointId: raw.checkpointId ?? body.checkpointId,
        name: raw.name ?? body.name,
      };
    },
    /** Assumed route: `CapabilityAbsent` once the provider has shown it has none. */
    async get(endpointId: string): Promise<Deployment | CapabilityAbsent> {
      const raw = await t.optional('tensorone.endpoints.get', {
        method: 'GET',
        ...routeTo('/v2/endpoints/:endpointId', { endpointId }),
        schema: wire.endpoint,
      });
      return isAbsent(raw) ? raw : n.toDeployment(raw);
    },
    /** Assumed route: `CapabilityAbsent` once the provider has shown it has none. */
    async list(query: { name?: string } = {}): Promise<Deployment[] | CapabilityAbsent> {
      const raw = await t.optional('tensorone.endpoints.list', {
        method: 'GET',
        ...routeTo('/v2/endpoints'),
        query,
        schema: wire.endpointList,
      });
      return isAbsent(raw) ? raw : raw.endpoints.map(n.toDeployment);
    },
    /** Assumed route: `CapabilityAbsent` once the provider has shown it has none. */
    async delete(endpointId: string): Promise<void | CapabilityAbsent> {
      const raw = await t.optional('tensorone.endpoints.delete', {
        method: 'DELETE',
        ...routeTo('/v2/endpoints/:endpointId', { endpointId }),
        schema: empty,
      });
      return isAbsent(raw) ? raw : undefined;
    },
    /** One synchronous inference (`…/v2/{endpointId}/runsync`), always through the configured base URL. */
    async runsync(endpointId: string, input: unknown): Promise<{ status?: string; output?: unknown }> {
      const raw = await t.request({
        method: 'POST',
        ...routeTo('/v2/:endpointId/runsync', { endpointId }),
        body: { input },
        schema: z.object({ status: z.string().optional(), output: z.unknown().optional() }),
      });
      return raw;
    },
  };

  const models = {
    async list(
      query: { type?: string; status?: string; trainingJobId?: string; limit?: number; offset?: number } = {},
    ): Promise<{ models: RegisteredModel[]; total?: number }> {
      const raw = await t.request({
        method: 'GET',
        ...routeTo('/v2/training/models'),
        query,
        schema: wire.registryModelList,
      });
      return { models: raw.models.map(n.toRegisteredModel), total: raw.pagination?.total ?? raw.total };
    },
    async get(modelId: string): Promise<RegisteredModel> {
      const raw = await t.request({
        method: 'GET',
        ...routeTo('/v2/training/models/:modelId', { modelId }),
        schema: wire.registryModel,
      });
      return n.toRegisteredModel(raw);
    },
    async update(
      modelId: string,
      body: { name?: string; description?: string; tags?: string[]; metadata?: Record<string, string> },
    ): Promise<void> {
      await t.request({
        method: 'PATCH',
        ...routeTo('/v2/training/models/:modelId', { modelId }),
        body,
        schema: empty,
      });
    },
    async createVersion(
      modelId: string,
      body: { version: string; trainingJobId: string; description?: string; changelog?: string[] },
    ): Promise<void> {
      await t.request({
        method: 'POST',
        ...routeTo('/v2/training/models/:modelId/versions', { modelId }),
        body,
        schema: empty,
      });
    },
    async deploy(modelId: string, body: DeployModelRequest): Promise<Deployment> {
      const raw = await t.request({
        method: 'POST',
        ...routeTo('/v2/training/models/:modelId/deploy', { modelId }),
        body,
        schema: wire.modelDeployment,
      });
      return { ...n.toDeployment(raw.deployment), modelId: raw.deployment.modelId ?? modelId };
    },
    async download(modelId: string, body: { files?: string[]; format?: string; compression?: string }) {
      const raw = await t.request({
        method: 'POST',
        ...routeTo('/v2/training/models/:modelId/download', { modelId }),
        body,
        schema: wire.modelDownload,
      });
      // Redacted here, at the client: the query string is the signature (docs/providers.md, Secrets).
      return { ...n.toModelDownload(raw), downloadUrl: stripQuery(raw.downloadUrl) };
    },
    async compare(body: { models: string[]; metrics?: string[]; benchmarks?: string[] }) {
      const raw = await t.request({
        method: 'POST',
        ...routeTo('/v2/training/models/compare'),
        body,
        schema: wire.modelComparison,
      });
      return n.toModelComparison(raw);
    },
    async archive(modelId: string, body: { reason?: string; retention_period?: string }): Promise<void> {
      await t.request({
        method: 'POST',
        ...routeTo('/v2/training/models/:modelId/archive', { modelId }),
        body,
        schema: empty,
      });
    },
  };

  return { jobs, checkpoints, endpoints, models };
}

export type TensorOneClient = ReturnType<typeof createTensorOneClient>;
