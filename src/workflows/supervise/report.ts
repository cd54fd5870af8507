import { CancellationScope, getExternalWorkflowHandle, setCurrentDetails } from '@temporalio/workflow';
import { lowestLoss, mergeCheckpointIds, progressKey, stallAfterLook } from '../../decisions/supervision';
import { supervisionProgressSignal } from './contract';
import { recordCostReading } from './cost-steps';
import { supervisionMetrics } from '../metrics';
import { doubtsOddAnswers } from './patches';
import type { Look } from './look';
import type { Supervision } from './state';

/**
 * Takes in one look: the stall clock (at the time the figures were answered, `figuresAtMs`), new
 * checkpoints, the progress the query answers, the current details.
 */
export function recordLook(sup: Supervision, { job, figuresAtMs }: Look): void {
  const { st } = sup;
  const nowMs = Date.now();
  // Billed since the look before (after a continue-as-new, since the last one carried: its cost only).
  const before = sup.lastLook ?? { cost: st.latest?.cost ?? 0, gpuHours: st.latest ? undefined : 0 };
  supervisionMetrics.spent(sup.input.provider, before, job);
  sup.lastLook = job;
  recordCostReading(sup, job);
  st.stall = stallAfterLook(st.stall, job, figuresAtMs, doubtsOddAnswers() ? 'furthest' : 'changed');
  const checkpoints = mergeCheckpointIds(st.checkpointIds, job.checkpointIds);
  const seenBefore = st.latest?.checkpointsSeen ?? 0;
  st.checkpointIds = checkpoints.ids;
  st.latest = {
    jobId: job.id,
    status: job.status,
    rawStatus: job.rawStatus,
    epoch: job.progress.currentEpoch,
    totalEpochs: job.progress.totalEpochs,
    step: job.progress.currentStep,
    totalSteps: job.progress.totalSteps,
    percentage: job.progress.percentage,
    metrics: job.metrics,
    bestLoss: lowestLoss(st.latest?.bestLoss, job.metrics),
    cost: job.cost,
    eta: job.estimatedCompletion,
    checkpointsSeen: seenBefore + checkpoints.fresh,
    resumes: st.resumes,
    polls: st.polls,
    runs: st.runs,
    updatedAt: new Date(nowMs).toISOString(),
  };
  setCurrentDetails(
    `job \`${sup.jobId}\` ${job.status}: epoch ${job.progress.currentEpoch ?? '-'}/${job.progress.totalEpochs ?? '-'}, ${st.polls} looks, ${st.resumes} resumes (the pending watch's heartbeat has the newest look)`,
  );
}

/** A parent pipeline waits for this supervision, and the progress changed since it was last told. */
export function progressChanged(sup: Supervision): boolean {
  return sup.parent !== undefined && progressKey(sup.st.latest!) !== sup.lastSignalled;
}

/** Tells the parent pipeline the progress. */
export function signalParent(sup: Supervision): Promise<void> {
  const progress = sup.st.latest!;
  const parent = sup.parent!;
  sup.lastSignalled = progressKey(progress);
  // Delivered even while the parent is cancelling us: it only updates what the parent reports.
  return CancellationScope.nonCancellable(() =>
    getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(supervisionProgressSignal, progress),
  );
}
