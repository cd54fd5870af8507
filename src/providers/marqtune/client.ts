import { z } from 'zod';
import type { JobStatus, TrainingJob } from '../../domain/types';
import { ProviderError } from '../http/provider-error';
import { routeTo, Transport } from '../http/transport';

interface MarqtuneOptions {
  baseURL: string;
  apiKey: string;
  timeoutMs?: number;
}

const wireModel = z.object({
  modelId: z.string().min(1),
  modelName: z.string().optional(),
  status: z.string(),
  secondaryStatus: z.string().optional(),
  failureReason: z.string().optional(),
  baseModel: z.string().optional(),
  instanceType: z.string().optional(),
  maxTrainingTime: z.union([z.string(), z.number()]).optional(),
  checkpoints: z.array(z.string()).default([]),
  /** "Training task parameters": free form; the epochs asked for, when it says, are the total. */
  hyperparameters: z.unknown().optional(),
});

/** The epochs the training task asked for (`hyperparameters.epochs`), when a positive whole number. */
function totalEpochsOf(hyperparameters: unknown): number | undefined {
  const epochs =
    hyperparameters && typeof hyperparameters === 'object'
      ? Number((hyperparameters as Record<string, unknown>).epochs)
      : NaN;
  return Number.isInteger(epochs) && epochs > 0 ? epochs : undefined;
}

/** Marqtune answers `{statusCode, body}` on success and on some errors; bare bodies elsewhere. */
function unwrapEnvelope(data: unknown): unknown {
  if (data && typeof data === 'object' && 'statusCode' in data && 'body' in data)
    return (data as { body: unknown }).body;
  return data;
}

/** Marqtune's status words are free text ("currentStatus"); these are the ones its guides use. */
export function marqtuneStatus(raw: string): JobStatus {
  const s = raw.toLowerCase();
  if (['ready', 'finished', 'completed', 'succeeded'].includes(s)) return 'completed';
  if (s === 'failed' || s === 'error') return 'failed';
  if (['stopped', 'cancelled', 'canceled'].includes(s)) return 'cancelled';
  if (['initializing', 'starting', 'provisioning', 'queued'].includes(s)) return 'queued';
  if (['running', 'training', 'in_progress', 'in progress'].includes(s)) return 'running';
  return 'unknown';
}

function toTrainingJob(raw: z.infer<typeof wireModel>): TrainingJob {
  return {
    provider: 'marqtune',
    id: raw.modelId,
    name: raw.modelName,
    status: marqtuneStatus(raw.status),
    rawStatus: raw.status,
    progress: { currentEpoch: raw.checkpoints.length, totalEpochs: totalEpochsOf(raw.hyperparameters) },
    metrics: {},
    failureReason: raw.failureReason,
    checkpointIds: raw.checkpoints,
  };
}

/** Marqtune: fine-tuned models and their per-epoch checkpoints. */
export function createMarqtuneClient(options: MarqtuneOptions) {
  const t = new Transport({
    provider: 'marqtune',
    baseURL: options.baseURL,
    authHeaders: { 'x-api-key': options.apiKey },
    timeoutMs: options.timeoutMs,
    unwrap: unwrapEnvelope,
  });
  const models = {
    async list(): Promise<TrainingJob[]> {
      const raw = await t.request({
        method: 'GET',
        ...routeTo('/models'),
        schema: z.object({ models: z.array(wireModel) }),
      });
      return raw.models.map(toTrainingJob);
    },
    /** The documents have no single-model route: the model is found in the list. */
    async get(modelId: string): Promise<TrainingJob> {
      const found = (await models.list()).find((m) => m.id === modelId);
      if (!found) {
        throw new ProviderError({
          provider: 'marqtune',
          route: 'GET /models',
          kind: 'http',
          status: 404,
          code: 'MODEL_NOT_FOUND',
          message: `model ${modelId} is not in the list`,
        });
      }
      return found;
    },
  };
  return { models };
}

export type MarqtuneClient = ReturnType<typeof createMarqtuneClient>;
