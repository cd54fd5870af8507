import {
  ApplicationFailure,
  CancellationScope,
  executeChild,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { earlyStopRule, type EarlyStopRule } from '../../decisions/early-stop';
import { nextGpuType, offeredGpuTypes } from '../../decisions/supervision';
import type { PipelineSpec } from '../../domain/pipeline-input';
import { provider } from '../activity-stubs';
import { superviseWorkflowId, type SuperviseInput, type SupervisionResult } from '../supervise/contract';
import type { PipelineStatus } from './contract';
import { applicationCause } from '../failure-cause';
import { summarized } from '../summaries';
import { superviseTrainingJob } from '../supervise';
import { stopDuplicates, throwIfCancelled, type RunSafety } from './safety';
import { givesEarlyStop, supervisesPerJob } from './patches';
import { jobKnown, trainingOn } from '../../decisions/pipeline-status';
import { moveTo } from './status';

/** The early-stop rule the supervising child gets, when the pipeline file asks for one. */
function earlyStopOf(spec: PipelineSpec): { earlyStop: EarlyStopRule } | undefined {
  const asked = spec.train.kind !== 'marqtune' ? spec.train.earlyStop : undefined;
  if (asked === undefined || !givesEarlyStop()) return undefined;
  return { earlyStop: earlyStopRule(asked, spec.selection) };
}

/** Starts a TensorOne job (falling back through the GPU preference list), adopts one, or follows Marqtune. */
export async function startOrAdoptTraining(
  spec: PipelineSpec,
  status: PipelineStatus,
  safety: RunSafety,
  /** Before the step's name, e.g. `trial-03-` for a sweep's trial: each trial its own job. */
  stepPrefix = '',
): Promise<string> {
  const train = spec.train;
  if (train.kind === 'tensorone-existing') return (await provider.getTrainingJob(train.jobId)).id;
  if (train.kind === 'marqtune') return (await provider.getMarqtuneModel(train.modelId)).id;
  const tried: string[] = [];
  let available: string[] | undefined;
  for (;;) {
    if (safety.owned) throwIfCancelled();
    const gpuType = nextGpuType(train.gpuTypes, tried, available);
    if (!gpuType) {
      throw ApplicationFailure.nonRetryable(
        `no GPU type from [${train.gpuTypes.join(', ')}] is available (tried ${tried.join(', ')}; provider offers ${available?.join(', ') ?? 'nothing'})`,
        'NO_GPU_AVAILABLE',
      );
    }
    tried.push(gpuType);
    moveTo(status, trainingOn(status, gpuType));
    try {
      const request = {
        step: `${stepPrefix}train-${gpuType}`,
        modelType: train.modelType,
        datasetId: train.datasetId,
        config: train.config,
        gpuType,
        maxWorkers: train.maxWorkers,
        priority: train.priority,
        description: train.description,
        tags: [...train.tags, `pipeline:${spec.name}`],
      };
      if (!safety.owned) return (await provider.startTrainingJob(request)).id;
      // The create completes even when the pipeline is cancelled meanwhile: then it is undone, not lost.
      const job = await CancellationScope.nonCancellable(() =>
        summarized(
          provider.startTrainingJob,
          `start training ${train.modelType} on ${train.datasetId} (${gpuType})`,
          { ...request, nameBasis: safety.nameBasis },
        ),
      );
      safety.job = { id: job.id, name: job.name, inDoubt: job.inDoubt };
      moveTo(status, jobKnown(status, job.id));
      if (job.inDoubt) await CancellationScope.nonCancellable(() => stopDuplicates(status, safety));
      throwIfCancelled();
      return job.id;
    } catch (err) {
      const failure = applicationCause(err);
      if (failure?.type !== 'INSUFFICIENT_RESOURCES') throw err;
      available = offeredGpuTypes(failure.details?.[0]) ?? available;
    }
  }
}

/**
 * The supervising child. Its id names the job, so a supervisor `starter supervise` already runs for it
 * makes the start fail: the pipeline then says who supervises the job instead of racing it.
 */
export async function superviseChild(
  spec: PipelineSpec,
  providerName: 'tensorone' | 'marqtune',
  jobId: string,
  /** Given the child once started (the same command as without it): it can then be signalled. */
  onStarted?: (child: ChildWorkflowHandle<typeof superviseTrainingJob>) => void,
  /** Report each time the job's cost moved by this much (a pipeline holding a fleet budget reservation). */
  costReportStep?: number,
): Promise<SupervisionResult> {
  const perJob = supervisesPerJob();
  const workflowId = perJob
    ? superviseWorkflowId(providerName, jobId)
    : `${workflowInfo().workflowId}/supervise`;
  const earlyStop = earlyStopOf(spec);
  try {
    const options = {
      workflowId,
      staticSummary: `supervise ${providerName} job ${jobId} for ${workflowInfo().workflowId}`,
      staticDetails: `Looks at the job at least every **${spec.supervision.freshness}**; stall after ${spec.supervision.stallAfter}; resume budget ${spec.supervision.resumeBudget}${spec.budget?.maxCost !== undefined ? `; stops at cost ${spec.budget.maxCost}` : ''}${earlyStop ? `; stops early after ${earlyStop.earlyStop.patience} checkpoints without an improvement > ${earlyStop.earlyStop.minDelta} in ${earlyStop.earlyStop.metric}` : ''}.`,
      args: [
        {
          provider: providerName,
          jobId,
          ...spec.supervision,
          maxCost: spec.budget?.maxCost,
          ...earlyStop,
          ...(costReportStep !== undefined ? { costReportStep } : {}),
        },
      ] as [SuperviseInput],
    };
    if (!onStarted) return await executeChild(superviseTrainingJob, options);
    const child = await startChild(superviseTrainingJob, options);
    onStarted(child);
    return await child.result();
  } catch (err) {
    if (perJob && err instanceof WorkflowExecutionAlreadyStartedError)
      throw ApplicationFailure.nonRetryable(
        `${providerName} job ${jobId} is already supervised by workflow ${workflowId}; let it end (or cancel it) and run the pipeline again`,
        'ALREADY_SUPERVISED',
      );
    throw err;
  }
}
