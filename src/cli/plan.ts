import type { PipelineSpec } from '../domain/pipeline-input';
import { configWith, planTrials } from '../decisions/halving';
import { paramsText } from './sweep-table';

/**
 * What a pipeline would ask of its providers, worked out from the file alone: the requests that create
 * or delete something (reads and polls are left out), with the bodies the activities send. Ids the
 * run learns on the way (job, chosen checkpoint, model) and names derived from the run stay
 * placeholders; keys and tokens are added by the worker from its environment and never appear here.
 */

export interface PlannedRequest {
  provider: 'tensorone' | 'tensormesh' | 'marqtune';
  method: 'POST' | 'DELETE';
  path: string;
  /** Why the pipeline makes it, and when. */
  purpose: string;
  body?: Record<string, unknown>;
}

export interface CostEstimate {
  /** A figure when the provider documents prices; none of the three does. */
  amount?: number;
  note: string;
}

export interface PipelinePlan {
  requests: PlannedRequest[];
  cost: CostEstimate;
}

const RUN_NAME = '<derived from the run>';
const JOB = '<job id>';
const CHECKPOINT = '<chosen checkpoint>';

/** Drops the fields left unset, as the JSON body sent would. */
const defined = (body: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));

function trainingRequests(spec: PipelineSpec): PlannedRequest[] {
  const t = spec.train;
  if (t.kind !== 'tensorone') return [];
  const [first, ...fallbacks] = t.gpuTypes;
  const fallback = fallbacks.length
    ? ` (on INSUFFICIENT_RESOURCES again with the next available of ${fallbacks.join(', ')})`
    : '';
  const request = (purpose: string, config: Record<string, unknown>, tags: string[]): PlannedRequest => ({
    provider: 'tensorone',
    method: 'POST',
    path: '/v2/training/jobs',
    purpose: `${purpose}${fallback}`,
    body: defined({
      name: RUN_NAME,
      modelType: t.modelType,
      datasetId: t.datasetId,
      config,
      gpuType: first,
      maxWorkers: t.maxWorkers,
      priority: t.priority,
      description: t.description,
      tags: [...t.tags, `pipeline:${spec.name}`, ...tags],
    }),
  });
  if (!t.sweep) return [request('start training', t.config, [])];
  // A sweep: one job per trial, in the order they start; a trial stopped at a rung is stopped saving a checkpoint.
  return planTrials(t.sweep).map((trial) =>
    request(
      `start trial ${trial.index} of the sweep (${paramsText(trial.params)})`,
      configWith(t.config, trial.params),
      [`sweep-trial:${trial.index}`],
    ),
  );
}

function deployRequests(spec: PipelineSpec): PlannedRequest[] {
  const d = spec.deploy;
  const jobId = spec.train.kind === 'tensorone-existing' ? spec.train.jobId : JOB;
  if (d.target === 'tensorone-endpoint')
    return [
      {
        provider: 'tensorone',
        method: 'POST',
        path: '/v2/endpoints',
        purpose: 'deploy the chosen checkpoint as an endpoint, once the gate passes',
        body: { name: RUN_NAME, checkpointId: CHECKPOINT, gpuIds: d.gpuIds, workerCount: d.workerCount },
      },
    ];
  if (d.target === 'tensorone-registry') {
    const version: PlannedRequest[] = d.versionOf
      ? [
          {
            provider: 'tensorone',
            method: 'POST',
            path: `/v2/training/models/${d.versionOf.modelId}/versions`,
            purpose: 'register the trained model as a new version, once the gate passes',
            body: {
              version: d.versionOf.version,
              trainingJobId: jobId,
              description: `checkpoint ${CHECKPOINT}`,
            },
          },
        ]
      : [];
    return [
      ...version,
      {
        provider: 'tensorone',
        method: 'POST',
        path: `/v2/training/models/${d.versionOf?.modelId ?? '<model registered from the job>'}/deploy`,
        purpose: 'deploy the registered model, once the gate passes',
        body: { name: RUN_NAME, environment: d.environment, gpuType: d.gpuType, workers: d.workers },
      },
    ];
  }
  return [
    {
      provider: 'tensormesh',
      method: 'POST',
      path: '/v1/models',
      purpose:
        'provision the chosen checkpoint for serving, once the gate passes (apiKey and hfToken are added by the worker)',
      body: defined({
        modelName: RUN_NAME,
        userId: d.userId,
        modelPath: d.modelPath ?? `tensorone://checkpoints/${CHECKPOINT}`,
        gpuType: d.gpuType,
        gpuCount: d.gpuCount,
        infra: d.infra,
        kvCacheEnabled: d.kvCacheEnabled,
        cpuOffloadingEnabled: d.cpuOffloadingEnabled,
        description: `${spec.name}: checkpoint ${CHECKPOINT}`,
      }),
    },
  ];
}

function cleanupRequests(spec: PipelineSpec): PlannedRequest[] {
  if (!spec.cleanup.enabled || spec.train.kind === 'marqtune') return [];
  const r = spec.cleanup.retention;
  const kept = [
    `the newest ${r.keepLastN}`,
    ...(r.keepWithinDays !== undefined ? [`those of the last ${r.keepWithinDays} days`] : []),
    'the chosen, pinned and serving ones',
    ...(r.includeManual ? [] : ['manual ones']),
  ];
  return [
    {
      provider: 'tensorone',
      method: 'DELETE',
      path: '/v2/training/checkpoints/<checkpoint id>',
      purpose: `after serving, for each checkpoint of the job except ${kept.join(', ')} (at most ${spec.cleanup.maxDeletes})`,
    },
  ];
}

function costEstimate(spec: PipelineSpec): CostEstimate {
  const budget =
    spec.budget?.maxCost !== undefined
      ? ` Training stops when the provider's reported cost reaches budget.maxCost (${spec.budget.maxCost}).`
      : '';
  const early = spec.train.kind !== 'marqtune' ? spec.train.earlyStop : undefined;
  const stopsEarly = early
    ? ` Training stops early (the job stopped, saving a checkpoint) once the trend of its newest ${2 * early.patience + 1} checkpoints gains no more than ${early.minDelta} in ${early.metric ?? spec.selection.metric} over ${early.patience}${early.minEpochs ? `, not before epoch ${early.minEpochs}` : ''}.`
    : '';
  const why =
    spec.train.kind === 'tensorone'
      ? 'TensorOne documents no prices: its create answer carries the job’s estimatedCost, and its job reads the cost so far'
      : 'the job already exists; its provider documents no prices';
  return { note: `cannot be estimated from the file: ${why}.${budget}${stopsEarly}` };
}

/** The provider requests a pipeline would make, in order, and what can be said of its cost. */
export function planPipeline(spec: PipelineSpec): PipelinePlan {
  return {
    requests: [...trainingRequests(spec), ...deployRequests(spec), ...cleanupRequests(spec)],
    cost: costEstimate(spec),
  };
}
