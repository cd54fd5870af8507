import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { EarlyStopReport } from '../../decisions/early-stop';
import type { DeploymentTarget, SlotDeployment } from '../../decisions/serving-slot';
import type { DeletedCheckpoint } from '../cleanup/contract';
import type { SupervisionProgress } from '../supervise/contract';
import type { SweepStatus } from '../sweep/contract';

// The contract of `fineTuneToDeploy`: its status and result, and the operator's messages.

export type PipelinePhase =
  | 'starting'
  | 'awaiting-budget'
  | 'training'
  | 'comparing'
  | 'gating'
  | 'awaiting-approval'
  | 'deploying'
  | 'smoke-testing'
  | 'probing'
  | 'cleaning-up'
  | 'completed'
  | 'cancelled'
  | 'failed';

export interface CandidateSummary {
  checkpointId: string;
  epoch?: number;
  type: string;
  metric: string;
  value: number;
  metrics: Record<string, number>;
  /**
   * Registry target: the registered model the gate judged (its metric `value`) and that is deployed;
   * `checkpointId` is then the job's final checkpoint, the one the registry model is made from.
   */
  registeredModelId?: string;
  /** Checkpoints that carried the metric and were compared, of `totalCheckpoints` the job has. */
  considered?: number;
  totalCheckpoints?: number;
  /** The provider's own best checkpoint (`summary.bestCheckpoint`) and whether it has the chosen value. */
  providerBestCheckpointId?: string;
  agreesWithProviderBest?: boolean;
}

/** What a pipeline undid or could not vouch for: listed in `status` and the result. */
export interface PipelineLeftovers {
  /** Training jobs stopped (with a saved checkpoint) because the pipeline did not end deployed. */
  stoppedJobs?: string[];
  /** Deployments this pipeline created and removed because it did not end deployed. */
  removedDeployments?: string[];
  /** Same-named jobs a late-acted create made; each was stopped. */
  duplicateJobs?: string[];
  /**
   * Names of deployments whose create was in doubt where the provider documents no lookup by name:
   * a duplicate may exist under this name and must be checked by hand.
   */
  possibleDuplicates?: string[];
}

export interface DeploymentSummary {
  target: DeploymentTarget;
  id: string;
  url?: string;
  status: string;
  modelId?: string;
  /** A served model's name (TensorMesh): with `url`, how to ask it for an answer without a read route. */
  name?: string;
  /**
   * Created without a lookup (the provider offers none) by a retry: an earlier attempt whose answer was
   * lost may have created a second deployment with this name. The operator is told; nothing is removed.
   */
  possibleDuplicate?: { name: string; reason: string };
  /** A failed deployment that could not be removed through the API (status `left-running`). */
  removeByHand?: string;
}

/** Where the pipeline's deployment stands in its name's serving slot after promotion. */
export interface SlotStanding {
  name: string;
  /** The deployment now serving the name (this run's). */
  champion: string;
  /** The former champion, draining until `retireAt` (`starter rollback <name>` puts it back until then). */
  previous?: string;
  retireAt?: string;
}

export interface ProbeReport {
  passed: boolean;
  reasons: string[];
  /** e.g. `challenger 0/20 failed, p95 41 ms; champion 0/20 failed, p95 38 ms`. */
  summary: string;
  /** The champion probed beside the challenger, when one served through runsync. */
  champion?: string;
}

export interface PipelineStatus extends PipelineLeftovers {
  phase: PipelinePhase;
  /** What served the pipeline's name when the gate looked (the baseline it compared against). */
  champion?: SlotDeployment;
  slot?: SlotStanding;
  provider: 'tensorone' | 'marqtune';
  jobId?: string;
  training?: SupervisionProgress;
  candidate?: CandidateSummary;
  gate?: { passed: boolean; reasons: string[] };
  /** The probe before promotion (`deploy.probe`): the verdict and both endpoints' figures. */
  probe?: ProbeReport;
  awaitingApprovalUntil?: string;
  /** Where the job's reservation against the fleet budget stands (waiting: how full the fleet is). */
  fleetBudget?: string;
  deployment?: DeploymentSummary;
  pinned: string[];
  gpuType?: string;
  /** Training stopped early: at which epoch, why, and the GPU-hours and cost saved. */
  earlyStop?: EarlyStopReport;
  failure?: string;
  /** The hyperparameter sweep's trials (`train.sweep`). */
  sweep?: SweepStatus;
  updatedAt: string;
}

export interface PipelineResult extends PipelineLeftovers {
  outcome: 'deployed' | 'cancelled';
  jobId?: string;
  provider: 'tensorone' | 'marqtune';
  checkpoint?: CandidateSummary;
  deployment?: DeploymentSummary;
  deletedCheckpoints: DeletedCheckpoint[];
  bytesReclaimed: number;
  cost?: number;
  resumes: number;
  budgetStopped: boolean;
  /** The fleet budget stopped training (with a saved checkpoint), and why; `budgetStopped` is set too. */
  fleetBudgetStopped?: string;
  /** Training stopped early: at which epoch, why, and the GPU-hours and cost saved. */
  earlyStop?: EarlyStopReport;
  gate?: { passed: boolean; reasons: string[] };
  probe?: ProbeReport;
  /** The serving slot after promotion (pipelines since the serving-slot release). */
  slot?: SlotStanding;
  /** Something after promotion that did not work and the operator should know (the model serves). */
  notes?: string[];
  /** The hyperparameter sweep's trials, and which one was deployed (`train.sweep`). */
  sweep?: SweepStatus;
}

export const statusQuery = defineQuery<PipelineStatus>('status');

// Operator commands: Updates with validators (a refusal reaches the caller, changes nothing and leaves
// no event). The signals below them are what CLIs before the updates sent; they stay handled.

/** The candidate the operator saw (`status`): a decision for another checkpoint is refused as stale. */
export interface DecisionRequest {
  checkpointId?: string;
  by?: string;
  reason?: string;
}
export interface DecisionAnswer {
  decision: 'approved' | 'rejected';
  checkpointId: string;
  by?: string;
  reason?: string;
  /** What the pipeline does next, in words. */
  next: string;
}
export interface PinAnswer {
  checkpointId: string;
  jobId: string;
  /** `pinned`; `already-pinned` when it was (nothing changed). */
  result: 'pinned' | 'already-pinned';
  // Answered after the pin is in the shared protection records: every cleanup from then on keeps it.
  /** How the checkpoint was known to be this job's: the pipeline's listing or the provider's answer. */
  checkedBy: 'listing' | 'provider';
}
export interface UnpinAnswer {
  checkpointId: string;
  result: 'unpinned';
  /** The pipeline's pin record was dropped from the shared protection records (`no-registry`: none yet). */
  sharedRecord: 'removed' | 'no-registry';
  /** What stays pinned in this pipeline. */
  pinned: string[];
}
interface CancelAnswer {
  phase: PipelinePhase;
  /** What the cancel stops or removes, in words. */
  effects: string[];
}
export const approveUpdate = defineUpdate<DecisionAnswer, [DecisionRequest]>('approveCandidate');
export const rejectUpdate = defineUpdate<DecisionAnswer, [DecisionRequest]>('rejectCandidate');
export const pinUpdate = defineUpdate<PinAnswer, [{ checkpointId: string }]>('pinCheckpoint');
export const unpinUpdate = defineUpdate<UnpinAnswer, [{ checkpointId: string }]>('unpinCheckpoint');
export const cancelUpdate = defineUpdate<CancelAnswer, [{ reason?: string }]>('cancelPipeline');

export const approveSignal = defineSignal<[{ by?: string; reason?: string }?]>('approve');
export const rejectSignal = defineSignal<[{ by?: string; reason?: string }?]>('reject');
export const cancelSignal = defineSignal<[{ reason?: string }?]>('cancel');
export const pinSignal = defineSignal<[string]>('pin');
