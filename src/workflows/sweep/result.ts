import { isCancellation } from '@temporalio/workflow';
import { chooseCandidate } from '../../decisions/candidate';
import { epochsDone, type ProgressSeen } from '../../decisions/halving';
import type { PipelineSpec } from '../../domain/pipeline-input';
import type { TrainingJob } from '../../domain/types';
import { provider } from '../activity-stubs';
import { listCandidateCheckpoints } from '../cleanup/checkpoint-pages';
import { applicationCause, describeFailure } from '../failure-cause';
import type { SupervisionProgress, SupervisionResult } from '../supervise/contract';
import type { StopTrial, TrialResult } from './contract';

/** What a look at the job says of its progress, as the rung rules read it. */
export const seenOf = (job: TrainingJob): ProgressSeen => ({
  status: job.status,
  epoch: job.progress.currentEpoch,
  totalEpochs: job.progress.totalEpochs,
  step: job.progress.currentStep,
  totalSteps: job.progress.totalSteps,
});

/** How the trial ended, with its best checkpoint by the selection. */
export async function trialResult(
  spec: PipelineSpec,
  index: number,
  jobId: string,
  supervision: { result?: SupervisionResult; error?: unknown },
  stop: StopTrial | undefined,
  progress: SupervisionProgress | undefined,
  stopSignalled = false,
): Promise<TrialResult> {
  let end: TrialResult['end'];
  let why: string | undefined;
  let result = supervision.result;
  // The trial stopped the job: its supervision was cancelled, or (paused or resumed) told to stop.
  const stoppedByTrial =
    isCancellation(supervision.error) ||
    (stopSignalled && applicationCause(supervision.error)?.type === 'TRAINING_STOPPED_BY_OPERATOR');
  if (result) end = result.outcome === 'budget-stopped' ? 'budget-stopped' : 'completed';
  else if (stop && stoppedByTrial) {
    end = stop.end;
    why = stop.reason;
    const job = await provider.getTrainingJob(jobId);
    result = {
      jobId,
      provider: 'tensorone',
      outcome: 'budget-stopped',
      job,
      resumes: progress?.resumes ?? 0,
      polls: progress?.polls ?? 0,
      runs: progress?.runs ?? 0,
      ...(progress ? { progress } : {}),
    };
  } else {
    end = 'failed';
    why = describeFailure(supervision.error);
  }
  const listing = await listCandidateCheckpoints(jobId, spec.selection);
  const best = chooseCandidate(listing.checkpoints, spec.selection, listing.bestCheckpointId);
  return {
    index,
    jobId,
    end,
    ...(best ? { value: best.value, checkpointId: best.checkpoint.id, epoch: best.checkpoint.epoch } : {}),
    ...(result ? { epochsTrained: epochsDone(seenOf(result.job)) } : {}),
    cost: result?.job.cost,
    ...(why ? { why } : {}),
    ...(result ? { supervision: result } : {}),
  };
}
