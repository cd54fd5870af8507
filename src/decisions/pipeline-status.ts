import type {
  DeploymentSummary,
  PipelineLeftovers,
  PipelinePhase,
  PipelineStatus,
} from '../workflows/pipeline/contract';

/**
 * How a pipeline's status moves: each transition takes the status and answers the next one, leaving
 * the given one as it was. The pipeline applies them in one place (src/workflows/pipeline/status.ts).
 */

/** The pipeline enters a phase at `at` (an ISO time). */
export function inPhase(status: PipelineStatus, phase: PipelinePhase, at: string): PipelineStatus {
  return { ...status, phase, updatedAt: at };
}

/** A training job is asked for on this GPU type. */
export function trainingOn(status: PipelineStatus, gpuType: string): PipelineStatus {
  return { ...status, gpuType };
}

/** The training job the pipeline follows is known. */
export function jobKnown(status: PipelineStatus, jobId: string): PipelineStatus {
  return { ...status, jobId };
}

/** A supervision report of the training's progress. */
export function trainingReported(
  status: PipelineStatus,
  progress: NonNullable<PipelineStatus['training']>,
  at?: string,
): PipelineStatus {
  return { ...status, training: progress, ...(at !== undefined ? { updatedAt: at } : {}) };
}

/** The checkpoint chosen to gate and deploy. */
export function candidateChosen(
  status: PipelineStatus,
  candidate: NonNullable<PipelineStatus['candidate']>,
): PipelineStatus {
  return { ...status, candidate };
}

/** What served the pipeline's name when the gate looked. */
export function championSeen(
  status: PipelineStatus,
  champion: NonNullable<PipelineStatus['champion']>,
): PipelineStatus {
  return { ...status, champion };
}

/** An operator is asked to approve the candidate until `until` (an ISO time). */
export function awaitingApproval(status: PipelineStatus, until: string): PipelineStatus {
  return { ...status, awaitingApprovalUntil: until };
}

/** The gate's verdict, or the approval's answer (which ends the wait for it). */
export function gateJudged(
  status: PipelineStatus,
  gate: NonNullable<PipelineStatus['gate']>,
  approvalAnswered = false,
): PipelineStatus {
  return { ...status, ...(approvalAnswered ? { awaitingApprovalUntil: undefined } : {}), gate };
}

/** The deployment as created or last read; a read keeps what the create said and the read does not. */
export function deployed(
  status: PipelineStatus,
  deployment: DeploymentSummary,
  read = false,
): PipelineStatus {
  return { ...status, deployment: read ? { ...status.deployment, ...deployment } : deployment };
}

/** The probe's verdict beside the champion. */
export function probed(status: PipelineStatus, probe: NonNullable<PipelineStatus['probe']>): PipelineStatus {
  return { ...status, probe };
}

/** The deployment serves the pipeline's name in its serving slot. */
export function promoted(status: PipelineStatus, slot: NonNullable<PipelineStatus['slot']>): PipelineStatus {
  return { ...status, slot };
}

/** The deployment answered through its own inference URL: it serves. */
export function serving(status: PipelineStatus): PipelineStatus {
  if (!status.deployment) return status;
  return { ...status, deployment: { ...status.deployment, status: 'active' } };
}

/** A deployment that did not make it was removed; `owned` runs list it among the leftovers they undid. */
export function deploymentRemoved(
  status: PipelineStatus,
  deployment: DeploymentSummary,
  owned: boolean,
): PipelineStatus {
  const next: PipelineStatus = { ...status, deployment: { ...deployment, status: 'removed' } };
  return owned ? withLeftover(next, 'removedDeployments', deployment.id) : next;
}

/** A deployment that could not be removed: named, with what to do, so it is never silently left running. */
export function deploymentLeftRunning(
  status: PipelineStatus,
  deployment: DeploymentSummary,
  removeByHand: string,
): PipelineStatus {
  return { ...status, deployment: { ...deployment, status: 'left-running', removeByHand } };
}

/** What this pipeline started could not be stopped: said before the cause of the failure is added. */
export function undoFailed(status: PipelineStatus, note: string): PipelineStatus {
  return { ...status, failure: note };
}

/** The pipeline failed: the cause comes first, an earlier note (an undo that failed) after it. */
export function failed(status: PipelineStatus, cause: string): PipelineStatus {
  return { ...status, failure: [cause, status.failure].filter(Boolean).join('; ') };
}

/** Adds `value` once to one of the leftover lists. */
export function withLeftover(
  status: PipelineStatus,
  list: keyof PipelineLeftovers,
  value: string,
): PipelineStatus {
  const items = status[list] ?? [];
  return items.includes(value) ? status : { ...status, [list]: [...items, value] };
}
