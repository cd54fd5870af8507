import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { TrainingJob } from '../domain/types';
import type { CheckpointSummary, DeleteReason, RetentionPolicy } from '../decisions/retention';
import type { StallState } from '../decisions/supervision';

// ---- superviseTrainingJob ------------------------------------------------------------------------

export interface SuperviseInput {
  provider: 'tensorone' | 'marqtune';
  jobId: string;
  freshness: string;
  minInterval: string;
  stallAfter: string;
  resumeBudget: number;
  unknownStatusGrace: string;
  /** Stop training (saving a checkpoint) once `resourceUsage.cost` reaches this. */
  maxCost?: number;
  /**
   * Longest time between two reports (progress query, parent signal) while the job trains steadily;
   * never below `freshness`. Default 30m. Looks in between add no history.
   */
  reportEvery?: string;
  /** Continue-as-new after this many history events, or earlier when the server suggests it. */
  historyEventLimit?: number;
  /** State carried across continue-as-new. */
  carried?: SupervisionState;
}

export interface SupervisionProgress {
  jobId: string;
  status: string;
  rawStatus: string;
  epoch?: number;
  totalEpochs?: number;
  step?: number;
  totalSteps?: number;
  percentage?: number;
  metrics: Record<string, number>;
  bestLoss?: number;
  cost?: number;
  eta?: string;
  checkpointsSeen: number;
  resumes: number;
  polls: number;
  runs: number;
  updatedAt: string;
}

export interface SupervisionState {
  startedAtMs: number;
  segmentStartedAtMs: number;
  stall: StallState;
  resumes: number;
  polls: number;
  runs: number;
  firstUnknownAtMs?: number;
  checkpointIds: string[];
  latest?: SupervisionProgress;
}

export interface SupervisionResult {
  jobId: string;
  provider: 'tensorone' | 'marqtune';
  outcome: 'completed' | 'budget-stopped';
  job: TrainingJob;
  resumes: number;
  polls: number;
  runs: number;
}

export const progressQuery = defineQuery<SupervisionProgress | undefined>('progress');
/** Sent by a supervising child to its parent pipeline whenever progress changes. */
export const supervisionProgressSignal = defineSignal<[SupervisionProgress]>('supervisionProgress');

// ---- checkpointCleanup ---------------------------------------------------------------------------

export interface CleanupInput {
  /** Jobs to clean; or, without it, every job the filter matches. */
  jobIds?: string[];
  jobFilter?: {
    status?: 'completed' | 'failed' | 'cancelled' | 'stopped';
    modelType?: string;
    namePrefix?: string;
  };
  retention: RetentionPolicy;
  /** Pinned or deployed checkpoints to keep, besides every checkpoint an endpoint serves. */
  protectedCheckpointIds?: string[];
  dryRun?: boolean;
  /** Upper bound of deletions in this run (all continued runs together). */
  maxDeletes?: number;
  /** Deletions in flight at once. */
  concurrency?: number;
  historyEventLimit?: number;
  carried?: CleanupCarry;
}

export interface DeletedCheckpoint {
  jobId: string;
  checkpointId: string;
  type: string;
  epoch?: number;
  reason: DeleteReason;
  bytes: number;
  alreadyGone?: boolean;
}

export interface CleanupCarry {
  jobsDone: string[];
  /** Itemized up to `DELETED_ITEMS_LIMIT`; the counts below cover every deletion. */
  deleted: DeletedCheckpoint[];
  /** Absent in inputs carried by versions before the cap: then `deleted` holds every deletion. */
  deletedCount?: number;
  bytesReclaimed?: number;
  examined: number;
  kept: number;
  runs: number;
  /** The job whose checkpoints `examined` and `kept` already include. */
  countedJob?: string;
  /** Checkpoints no listing could show (see CleanupResult.notListed). */
  notListed?: number;
}

export interface CleanupResult {
  dryRun: boolean;
  jobs: string[];
  examined: number;
  kept: number;
  /**
   * In a dry run: what would be deleted. Otherwise: what was deleted, with the reason — the first
   * 2,000 (a payload stays far below Temporal's 2 MB limit); every deletion's activity is in the history.
   */
  deleted: DeletedCheckpoint[];
  /** Every deletion, itemized or not. */
  deletedCount: number;
  bytesReclaimed: number;
  /** True when `maxDeletes` stopped the run before everything eligible was deleted. */
  truncated: boolean;
  runs: number;
  /**
   * Checkpoints left unexamined because the provider's list could not show them (it has no `offset`,
   * and the 100 it shows are all kept; or a dry run, which cannot delete to see further). Absent when 0.
   */
  notListed?: number;
}

export type { CheckpointSummary };

// ---- fineTuneToDeploy ----------------------------------------------------------------------------

export type PipelinePhase =
  | 'starting'
  | 'training'
  | 'comparing'
  | 'gating'
  | 'awaiting-approval'
  | 'deploying'
  | 'smoke-testing'
  | 'cleaning-up'
  | 'completed'
  | 'cancelling'
  | 'cancelled'
  | 'failed';

export interface CandidateSummary {
  checkpointId: string;
  epoch?: number;
  type: string;
  metric: string;
  value: number;
  metrics: Record<string, number>;
  /** Checkpoints that carried the metric and were compared, of `totalCheckpoints` the job has. */
  considered?: number;
  totalCheckpoints?: number;
  /** The provider's own best checkpoint (`summary.bestCheckpoint`) and whether it has the chosen value. */
  providerBestCheckpointId?: string;
  agreesWithProviderBest?: boolean;
}

export interface DeploymentSummary {
  target: 'tensorone-endpoint' | 'tensorone-registry' | 'tensormesh';
  id: string;
  url?: string;
  status: string;
  modelId?: string;
  /**
   * Created without a lookup (the provider offers none) by a retry: an earlier attempt whose answer was
   * lost may have created a second deployment with this name. The operator is told; nothing is removed.
   */
  possibleDuplicate?: { name: string; reason: string };
  /** A failed deployment that could not be removed through the API (status `left-running`). */
  removeByHand?: string;
}

export interface PipelineStatus {
  phase: PipelinePhase;
  provider: 'tensorone' | 'marqtune';
  jobId?: string;
  training?: SupervisionProgress;
  candidate?: CandidateSummary;
  gate?: { passed: boolean; reasons: string[] };
  awaitingApprovalUntil?: string;
  deployment?: DeploymentSummary;
  pinned: string[];
  gpuType?: string;
  failure?: string;
  updatedAt: string;
}

export interface PipelineResult {
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
  gate?: { passed: boolean; reasons: string[] };
}

export const statusQuery = defineQuery<PipelineStatus>('status');
export const approveSignal = defineSignal<[{ by?: string; reason?: string }?]>('approve');
export const rejectSignal = defineSignal<[{ by?: string; reason?: string }?]>('reject');
export const cancelSignal = defineSignal<[{ reason?: string }?]>('cancel');
export const pinSignal = defineSignal<[string]>('pin');
