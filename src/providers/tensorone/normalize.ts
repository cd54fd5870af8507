import { z } from 'zod';
import {
  CHECKPOINT_TYPES,
  JOB_STATUSES,
  type Checkpoint,
  type CheckpointPage,
  type CheckpointType,
  type Deployment,
  type DeploymentStatus,
  type JobStatus,
  type ModelComparison,
  type ModelDownload,
  type RegisteredModel,
  type TrainingJob,
} from '../../domain/types';
import type { ResourceTraits } from '../../decisions/adoption';
import { stripQuery } from '../http/redact';
import { camelCase, isoDate, numericMetrics, parseSize } from '../http/units';
import * as wire from './schemas';

/** Documented statuses pass through; anything else is `unknown` with the raw value kept. */
export function jobStatus(raw: string): JobStatus {
  const s = raw.toLowerCase();
  return (JOB_STATUSES as readonly string[]).includes(s) ? (s as JobStatus) : 'unknown';
}

export function toTrainingJob(raw: z.infer<typeof wire.trainingJob>): TrainingJob {
  const p = raw.progress ?? {};
  // `metrics.loss` (list) and `metrics.currentLoss` (get) are the same number; expose it as `loss` too.
  const metrics = numericMetrics(raw.metrics);
  if (metrics.loss === undefined && metrics.currentLoss !== undefined) metrics.loss = metrics.currentLoss;
  const failure =
    raw.failureReason ??
    (typeof raw.error === 'string' ? raw.error : (raw.error?.message as string | undefined));
  return {
    provider: 'tensorone',
    id: (raw.id ?? raw.jobId)!,
    name: raw.name,
    status: jobStatus(raw.status),
    rawStatus: raw.status,
    progress: {
      currentEpoch: p.currentEpoch,
      totalEpochs: p.totalEpochs,
      currentStep: p.currentStep,
      totalSteps: p.totalSteps,
      percentage: p.percentage,
      elapsedSeconds: p.elapsedTime,
      remainingSeconds: p.remainingTime,
    },
    metrics,
    cost: raw.resourceUsage?.cost,
    gpuHours: raw.resourceUsage?.gpuHours,
    failureReason: failure,
    createdAt: isoDate(raw.createdAt),
    startedAt: isoDate(raw.startedAt),
    estimatedCompletion: isoDate(raw.estimatedCompletion),
    checkpointIds: (raw.checkpoints ?? []).map((c) => (c.id ?? c.checkpointId)!),
  };
}

/** What a job reports it was made from; absent fields are unknown. Kept out of TrainingJob: it may be large. */
export function toJobTraits(raw: z.infer<typeof wire.trainingJob>): ResourceTraits {
  return {
    modelType: raw.modelType,
    datasetId: raw.datasetId,
    config: raw.config,
    gpuType: raw.resourceAllocation?.gpuType ?? raw.gpuType,
  };
}

function checkpointType(raw: string | undefined): CheckpointType {
  if (!raw) return 'automatic';
  const t = raw.toLowerCase();
  return (CHECKPOINT_TYPES as readonly string[]).includes(t) ? (t as CheckpointType) : 'unknown';
}

export function toCheckpoint(raw: z.infer<typeof wire.checkpoint>, jobId?: string): Checkpoint {
  const metrics = numericMetrics(raw.metrics);
  if (metrics.loss === undefined && raw.loss !== undefined) metrics.loss = raw.loss;
  return {
    id: (raw.checkpointId ?? raw.id)!,
    jobId: raw.jobId ?? jobId,
    name: raw.name,
    epoch: raw.epoch,
    step: raw.step,
    type: checkpointType(raw.type),
    metrics,
    sizeBytes: parseSize(raw.size),
    // Absent in the job object's checkpoint list; the documents mark every listed checkpoint deployable.
    deployable: raw.deployable ?? true,
    createdAt: isoDate(raw.createdAt),
  };
}

export function toCheckpointPage(raw: z.infer<typeof wire.checkpointList>, jobId: string): CheckpointPage {
  const s = raw.summary;
  return {
    checkpoints: raw.checkpoints.map((c) => toCheckpoint(c, jobId)),
    totalCount: raw.totalCount,
    bestCheckpointId: s?.bestCheckpoint?.checkpointId ?? s?.bestCheckpoint?.id,
    latestCheckpointId: s?.latestCheckpoint?.checkpointId ?? s?.latestCheckpoint?.id,
    totalSizeBytes: parseSize(s?.totalSize),
  };
}

function deploymentStatus(raw: string | undefined): DeploymentStatus {
  const s = (raw ?? '').toLowerCase();
  if (['deploying', 'pending', 'initializing', 'provisioning', 'starting', 'queued'].includes(s))
    return 'deploying';
  if (['active', 'ready', 'running', 'serving', 'healthy'].includes(s)) return 'active';
  if (['failed', 'error', 'unhealthy'].includes(s)) return 'failed';
  if (['deleted', 'terminated', 'removed', 'stopped'].includes(s)) return 'deleted';
  return 'unknown';
}

export function toDeployment(raw: z.infer<typeof wire.endpoint>): Deployment {
  return {
    provider: 'tensorone',
    id: (raw.id ?? raw.endpointId)!,
    name: raw.name,
    // The create response documents only `id` and `url`: a new endpoint is deploying until it says otherwise.
    status: raw.status ? deploymentStatus(raw.status) : 'deploying',
    rawStatus: raw.status ?? 'deploying',
    url: stripQuery(raw.url),
    modelId: raw.modelId,
    checkpointId: raw.checkpointId,
    createdAt: isoDate(raw.createdAt),
    events: [],
  };
}

/**
 * Registry metrics come flat (`{finalLoss, accuracy}`) or grouped (`{training: {final_loss}, validation:
 * {loss}}`); groups flatten with their name as prefix, except `training` and `custom` whose names are
 * already distinct (`final_loss` → `finalLoss`, `validation.loss` → `validationLoss`).
 */
function flattenRegistryMetrics(raw: Record<string, unknown> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (typeof value === 'number') out[camelCase(key)] = value;
    else if (value && typeof value === 'object') {
      const prefix = key === 'training' || key === 'custom' ? '' : key;
      Object.assign(out, numericMetrics(value as Record<string, unknown>, prefix));
    }
  }
  return out;
}

export function toRegisteredModel(raw: z.infer<typeof wire.registryModel>): RegisteredModel {
  const metrics = flattenRegistryMetrics(raw.metrics);
  if (raw.accuracy !== undefined && metrics.accuracy === undefined) metrics.accuracy = raw.accuracy;
  const size = raw.size;
  const sizeBytes = typeof size === 'object' ? size.bytes : parseSize(size);
  const d = raw.deployments;
  const endpointIds = Array.isArray(d) ? d.map((x) => x.id) : (d?.endpoints ?? []);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.metadata ?? {}))
    metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return {
    id: (raw.id ?? raw.modelId)!,
    name: raw.name,
    status: raw.status,
    type: raw.type ?? raw.modelType,
    version: raw.version,
    baseModel: raw.baseModel,
    trainingJobId: raw.trainingJobId,
    metrics,
    sizeBytes,
    endpointIds,
    ...(Array.isArray(d)
      ? { deployments: d.map((x) => ({ ...toDeployment(x), modelId: (raw.id ?? raw.modelId)! })) }
      : {}),
    tags: raw.tags ?? [],
    metadata,
    createdAt: isoDate(raw.createdAt),
    updatedAt: isoDate(raw.updatedAt),
  };
}

export function toModelDownload(raw: z.infer<typeof wire.modelDownload>): ModelDownload {
  return {
    expiresAt: isoDate(raw.expiresAt),
    sizeBytes: parseSize(raw.size),
    files: raw.files.map((f) => ({ name: f.name, sizeBytes: parseSize(f.size), checksum: f.checksum })),
  };
}

export function toModelComparison(raw: z.infer<typeof wire.modelComparison>): ModelComparison {
  const c = raw.comparison;
  const best = c.bestPerforming ?? c.best_performing ?? {};
  return {
    models: c.models.map((m) => ({
      id: m.id,
      name: m.name,
      version: m.version,
      metrics: numericMetrics(m.metrics),
    })),
    bestPerforming: Object.fromEntries(Object.entries(best).map(([k, v]) => [camelCase(k), v])),
    recommendations: c.recommendations,
  };
}
