import { z } from 'zod';

/**
 * Wire shapes of TensorOne responses as the documents show them. Extra fields are tolerated (zod strips
 * them); every alternative the documents use for the same thing is accepted here and resolved in
 * ./normalize.ts.
 */
const n = z.number();
const str = z.string();
const size = z.union([z.string(), z.number()]);
const anyRecord = z.record(z.string(), z.unknown());

const requireId =
  (...keys: string[]) =>
  (obj: Record<string, unknown>) =>
    keys.some((k) => typeof obj[k] === 'string' && (obj[k] as string).length > 0);

const jobCheckpointRef = z
  .object({
    id: str.optional(),
    checkpointId: str.optional(),
    epoch: n.optional(),
    loss: n.optional(),
    size: size.optional(),
    createdAt: str.optional(),
  })
  .refine(requireId('id', 'checkpointId'), {
    message: 'a checkpoint needs `id` or `checkpointId`',
    path: ['id'],
  });

export const trainingJob = z
  .object({
    id: str.optional(),
    jobId: str.optional(),
    name: str.optional(),
    status: str,
    progress: z
      .object({
        currentEpoch: n,
        totalEpochs: n,
        currentStep: n,
        totalSteps: n,
        percentage: n,
        elapsedTime: n,
        remainingTime: n,
      })
      .partial()
      .optional(),
    metrics: anyRecord.optional(),
    resourceUsage: z.object({ gpuHours: n, cost: n, efficiency: n }).partial().optional(),
    checkpoints: z.array(jobCheckpointRef).optional(),
    failureReason: str.optional(),
    error: z.union([str, anyRecord]).optional(),
    createdAt: str.optional(),
    startedAt: str.optional(),
    estimatedCompletion: str.optional(),
    // What the job was made from (job GET): compared before an earlier attempt's job is adopted.
    modelType: str.optional(),
    datasetId: str.optional(),
    config: anyRecord.optional(),
    gpuType: str.optional(),
    resourceAllocation: z.object({ gpuType: str.optional() }).partial().optional(),
  })
  .refine(requireId('id', 'jobId'), { message: 'a job needs `id` or `jobId`', path: ['id'] });

export const jobList = z.object({
  jobs: z.array(trainingJob),
  pagination: z.object({ total: n, limit: n, offset: n, hasMore: z.boolean() }).partial().optional(),
});

export const checkpoint = z
  .object({
    id: str.optional(),
    checkpointId: str.optional(),
    jobId: str.optional(),
    name: str.optional(),
    epoch: n.optional(),
    step: n.optional(),
    metrics: anyRecord.optional(),
    loss: n.optional(),
    size: size.optional(),
    type: str.optional(),
    downloadUrl: str.optional(),
    deployable: z.boolean().optional(),
    createdAt: str.optional(),
  })
  .refine(requireId('id', 'checkpointId'), {
    message: 'a checkpoint needs `id` or `checkpointId`',
    path: ['checkpointId'],
  });

export const checkpointList = z.object({
  checkpoints: z.array(checkpoint),
  totalCount: n,
  summary: z
    .object({
      bestCheckpoint: z.object({ checkpointId: str.optional(), id: str.optional() }).optional(),
      latestCheckpoint: z.object({ checkpointId: str.optional(), id: str.optional() }).optional(),
      totalSize: size.optional(),
    })
    .optional(),
});

export const endpoint = z
  .object({
    id: str.optional(),
    endpointId: str.optional(),
    name: str.optional(),
    status: str.optional(),
    url: str.optional(),
    checkpointId: str.optional(),
    modelId: str.optional(),
    createdAt: str.optional(),
  })
  .refine(requireId('id', 'endpointId'), { message: 'an endpoint needs `id`', path: ['id'] });

export const endpointList = z.object({ endpoints: z.array(endpoint) });

export const registryModel = z
  .object({
    id: str.optional(),
    modelId: str.optional(),
    name: str.optional(),
    status: str,
    type: str.optional(),
    modelType: str.optional(),
    version: str.optional(),
    baseModel: str.optional(),
    trainingJobId: str.optional(),
    accuracy: n.optional(),
    size: z
      .union([size, z.object({ bytes: n.optional(), compressed: n.optional(), parameters: n.optional() })])
      .optional(),
    metrics: anyRecord.optional(),
    deployments: z
      .union([
        z.object({ active: n.optional(), endpoints: z.array(str).optional() }),
        z.array(
          z
            .object({
              id: str,
              name: str.optional(),
              status: str.optional(),
              url: str.optional(),
              createdAt: str.optional(),
            })
            .passthrough(),
        ),
      ])
      .optional(),
    tags: z.array(str).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    createdAt: str.optional(),
    updatedAt: str.optional(),
  })
  .refine(requireId('id', 'modelId'), { message: 'a model needs `id` or `modelId`', path: ['id'] });

export const registryModelList = z.object({
  models: z.array(registryModel),
  total: n.optional(),
  pagination: z.object({ total: n, limit: n, offset: n, hasMore: z.boolean() }).partial().optional(),
});

export const modelDeployment = z.object({ deployment: endpoint });

export const modelDownload = z.object({
  downloadUrl: str.optional(),
  expiresAt: str.optional(),
  size: size.optional(),
  files: z.array(z.object({ name: str, size: size.optional(), checksum: str.optional() })).default([]),
});

export const modelComparison = z.object({
  comparison: z.object({
    models: z.array(
      z.object({ id: str, name: str.optional(), version: str.optional(), metrics: anyRecord.optional() }),
    ),
    best_performing: z.record(z.string(), str).optional(),
    bestPerforming: z.record(z.string(), str).optional(),
    recommendations: z.array(str).default([]),
  }),
});
