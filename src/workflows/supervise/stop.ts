import { ApplicationFailure, CancellationScope, ContinueAsNew, isCancellation } from '@temporalio/workflow';
import { mayBeTraining } from '../../decisions/supervision';
import { provider } from '../activity-stubs';
import { applicationCause, describeFailure } from '../failure-cause';
import { summarized } from '../summaries';
import { cancelOfEndedJobEndsCancelled, doubtsOddAnswers, stopOfEndedJobLooksAgain } from './patches';
import type { Supervision } from './state';

/** Stops the job, saving a checkpoint. */
export async function stopJob(sup: Supervision, reason: string): Promise<void> {
  await summarized(provider.stopTrainingJob, `stop job ${sup.jobId}, saving a checkpoint: ${reason}`, {
    jobId: sup.jobId,
    saveCheckpoint: true,
    reason,
  });
  sup.stoppedByUs = true;
}

/**
 * Stops the job, or learns that it ended since the look (the stop answers 409 JOB_NOT_RUNNING):
 * then nothing is stopped and the next look says how it ended (a failure is resumed, a completion
 * reported). Runs recorded before the patch failed the supervision there.
 */
export async function stopUnlessEnded(sup: Supervision, reason: string): Promise<boolean> {
  try {
    await stopJob(sup, reason);
    return true;
  } catch (err) {
    if (applicationCause(err)?.type === 'JOB_NOT_RUNNING' && stopOfEndedJobLooksAgain()) return false;
    throw err;
  }
}

/** The operator's stop: the job is stopped with a checkpoint and the supervision fails saying so. */
export async function stopOnRequest(sup: Supervision): Promise<never> {
  await stopJob(sup, sup.stopRequested?.reason ?? 'stopped by operator');
  throw ApplicationFailure.nonRetryable(
    `training job ${sup.jobId} stopped by operator`,
    'TRAINING_STOPPED_BY_OPERATOR',
  );
}

/**
 * What a supervision that ends by `err` throws, once nothing it owns is left training: cancelled (alone,
 * or because the parent pipeline was cancelled), it stops the job keeping a checkpoint; failed, it
 * stops the job too (`stopAfterFailure`). A continue-as-new passes through.
 */
export async function leaveNothingTraining(sup: Supervision, err: unknown): Promise<unknown> {
  const { jobId, tensorone, mayStop } = sup;
  if (isCancellation(err) && tensorone && mayStop) {
    await CancellationScope.nonCancellable(() =>
      provider.stopTrainingJob({ jobId, saveCheckpoint: true, reason: 'workflow cancelled' }),
    ).catch((stopErr) => {
      // A job that ended meanwhile has nothing left to stop: the supervision still ends cancelled.
      if (applicationCause(stopErr)?.type === 'JOB_NOT_RUNNING' && cancelOfEndedJobEndsCancelled()) return;
      throw stopErr;
    });
  } else if (
    !isCancellation(err) &&
    !(err instanceof ContinueAsNew) &&
    tensorone &&
    mayStop &&
    mayBeTraining(sup.stoppedByUs, sup.lastLook?.status, sup.completionDoubted) &&
    doubtsOddAnswers()
  ) {
    return await stopAfterFailure(sup, err);
  }
  return err;
}

/**
 * A supervision that gives up (a malformed answer that persists, a stall past the resume budget, an
 * unknown status, a provider outage) leaves nobody watching the job: stop it, keeping a checkpoint,
 * even while being cancelled, and say so in the failure, which keeps the cause's type.
 */
async function stopAfterFailure(sup: Supervision, err: unknown): Promise<ApplicationFailure> {
  const { jobId } = sup;
  const cause = applicationCause(err);
  const type = cause?.type ?? 'SUPERVISION_FAILED';
  let outcome: string;
  try {
    await CancellationScope.nonCancellable(() =>
      provider.stopTrainingJob({ jobId, saveCheckpoint: true, reason: `supervision failed: ${type}` }),
    );
    outcome = `training job ${jobId} was stopped with a saved checkpoint`;
  } catch (stopErr) {
    outcome =
      applicationCause(stopErr)?.type === 'JOB_NOT_RUNNING'
        ? `training job ${jobId} had already ended`
        : `stopping training job ${jobId} failed too (${describeFailure(stopErr)}): it may still be training`;
  }
  return ApplicationFailure.create({
    type,
    message: `${cause?.message ?? describeFailure(err)}; ${outcome}`,
    nonRetryable: true,
    details: cause?.details ? [...cause.details] : undefined,
    cause: err instanceof Error ? err : undefined,
  });
}
