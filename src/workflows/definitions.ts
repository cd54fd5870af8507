import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TrainingJob } from '../domain/types';
import type {
  ClaimAnswer,
  DeletionLease,
  LeaseAnswer,
  LeaseRequest,
  ProtectionRecord,
} from '../decisions/protection';
import type { CheckpointSummary, DeleteReason, RetentionPolicy } from '../decisions/retention';
import type { StallState } from '../decisions/supervision';
import type { EndSighting } from '../decisions/terminal-status';
import type {
  PromoteAnswer,
  PromoteRequest,
  RollbackAnswer,
  SlotDeployment,
  SlotState,
} from '../decisions/serving-slot';

// ---- superviseTrainingJob ------------------------------------------------------------------------

export interface SuperviseInput {
  provider: 'tensorone' | 'marqtune';
  jobId: string;
  /**
   * Whether this supervision may stop the job (cost budget, stall stop-and-resume, after a failure, on
   * cancel). Absent means yes: the pipeline's child supervises the job its pipeline owns. `starter
   * supervise` sets it only with `--may-stop`; without it the supervision only watches and reports.
   */
  mayStopJob?: boolean;
  freshness: string;
  minInterval: string;
  stallAfter: string;
  resumeBudget: number;
  unknownStatusGrace: string;
  /**
   * A "failed", "cancelled" or "stopped" is acted on only once it held this long on every look
   * (src/decisions/terminal-status.ts). Default: three freshness windows or ten minimum intervals, whichever is longer.
   */
  terminalStatusWindow?: string;
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
  /** When the provider answered `cost`, when the CLI knows it (a watch's look): it may be older than the rest. */
  costAt?: string;
  /** When the provider answered the progress and loss, when older than `updatedAt` (a sweep of the list). */
  readAt?: string;
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
  /** The end the job answers, held until confirmed (`judgeEnd`). */
  endSighting?: EndSighting;
  checkpointIds: string[];
  latest?: SupervisionProgress;
}

export interface SupervisionResult {
  jobId: string;
  provider: 'tensorone' | 'marqtune';
  /** `budget-reached`: the cost budget was reached and the job left running (not allowed to stop it). */
  outcome: 'completed' | 'budget-stopped' | 'budget-reached';
  job: TrainingJob;
  resumes: number;
  polls: number;
  runs: number;
  /** The progress at the last look (a parent pipeline is not signalled the look it finishes at). */
  progress?: SupervisionProgress;
}

/**
 * One supervision per job: the pipeline's child and `starter supervise` share this id, so a second
 * supervisor of the same job cannot start (the server refuses a running id).
 */
export const superviseWorkflowId = (provider: SuperviseInput['provider'], jobId: string) =>
  `supervise-${provider}-${jobId}`;

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
  /**
   * Checkpoints to keep besides the shared protected set (candidates in flight, pins, deployments —
   * see src/decisions/protection.ts), which every cleanup computes the same way.
   */
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
  /** This run's deletion, whose answer was lost: a retry was answered 404. Counted. */
  answerLost?: boolean;
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
  keptInDoubt?: KeptInDoubt[];
  /** Checkpoints no listing could show (see CleanupResult.notListed). */
  notListed?: number;
  spared?: SparedCheckpoint[];
}

/** A planned deletion the protection registry refused: a pipeline claimed it after the plan. */
export interface SparedCheckpoint {
  checkpointId: string;
  reason: string;
}

/** A job none of whose checkpoints was deleted because what is in use could not be determined. */
export interface KeptInDoubt {
  jobId: string;
  reason: string;
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
  /**
   * Deletions this run made (itemized or not), and their bytes. A checkpoint that was already gone
   * (404 on a first ask: another cleanup deleted it) is itemized with `alreadyGone` and 0 bytes and not
   * counted; a 404 on a retried ask is this run's deletion whose answer was lost (`answerLost`), counted.
   */
  deletedCount: number;
  bytesReclaimed: number;
  /** Jobs kept whole because the protected set could not be determined, and why: kept, not deleted. */
  keptInDoubt: KeptInDoubt[];
  /** True when `maxDeletes` stopped the run before everything eligible was deleted. */
  truncated: boolean;
  runs: number;
  /**
   * Checkpoints left unexamined because the provider's list could not show them (it has no `offset`,
   * and the 100 it shows are all kept; or a dry run, which cannot delete to see further). Absent when 0.
   */
  notListed?: number;
  /** Planned deletions refused because a pipeline claimed them meanwhile (up to 200 itemized). */
  spared?: SparedCheckpoint[];
}

export type { CheckpointSummary };

// ---- checkpointProtection: the records every cleanup consults ------------------------------------

/** One registry per task queue (one installation of this system in a namespace). */
export const protectionRegistryId = (taskQueue: string) => `checkpoint-protection--${taskQueue}`;

export interface ProtectionRegistryInput {
  records?: ProtectionRecord[];
  leases?: DeletionLease[];
  historyEventLimit?: number;
  /**
   * The run of this registry that ended before this one started, not by continuing as new (terminated,
   * failed, timed out): this run rebuilds from it. Set by whoever starts the registry.
   */
  predecessorRunId?: string;
}

/** What a registry run holds, and whether it is still rebuilding (then its records are partial). */
export interface ProtectionRegistryState {
  records: ProtectionRecord[];
  leases: DeletionLease[];
  /** Set while a run started anew rebuilds: it grants no lease until it has. */
  rebuilding?: { since: string; predecessorRunId?: string };
  /** Where the last rebuild found what it holds (absent on runs that never rebuilt). */
  rebuiltFrom?: string[];
}
/** Records what a run holds unless a cleanup is deleting it (then names it back, unrecorded). */
export const claimCheckpointsUpdate = defineUpdate<ClaimAnswer, [ProtectionRecord[]]>('claimCheckpoints');
/** A cleanup asks to delete these: granted what nothing protects now, refused the rest with why. */
export const leaseDeletionsUpdate = defineUpdate<LeaseAnswer, [LeaseRequest]>('leaseDeletions');
/** A cleanup run is done with its leases (fire-and-forget: a lease also lapses on its own). */
export const releaseDeletionsSignal =
  defineSignal<[{ workflowId: string; runId: string }]>('releaseDeletions');
export const protectSignal = defineSignal<[ProtectionRecord[]]>('protectCheckpoints');
/** Candidate records of runs that ended: the cleanup's look found them closed. */
export const forgetCandidatesSignal =
  defineSignal<[{ workflowId: string; runId: string }[]]>('forgetCandidates');
export const protectionRecordsQuery = defineQuery<ProtectionRecord[]>('protectionRecords');
/** Records, leases and rebuild state: how a registry started anew reads the run before it (closed runs answer queries too). */
export const protectionStateQuery = defineQuery<ProtectionRegistryState>('protectionState');
/** `starter unpin`: drops the pins a pipeline (any of its runs) recorded for these checkpoints. */
export const unpinSignal =
  defineSignal<[{ workflowId: string; checkpointIds: string[] }]>('unpinCheckpoints');
/** A serving slot deleted these deployments: their `deployed` records no longer hold their checkpoints. */
export const releaseDeployedSignal = defineSignal<[{ deploymentIds: string[] }]>('releaseDeployed');

// ---- servingSlot: what serves a pipeline's name ---------------------------------------------------

export const SERVING_SLOT_WORKFLOW_TYPE = 'servingSlot';
/** One slot per pipeline name (and installation): the same name run again replaces what serves. */
export const servingSlotId = (name: string, taskQueue: string) => `serving-slot--${taskQueue}--${name}`;

export interface ServingSlotInput {
  name: string;
  state?: SlotState;
  historyEventLimit?: number;
}
/** A pipeline run's verified deployment replaces the champion, which drains before it is retired. */
export const promoteUpdate = defineUpdate<PromoteAnswer, [PromoteRequest]>('promoteDeployment');
/** `starter rollback`: the former champion serves again while it drains; refused once it is retired. */
export const rollbackUpdate = defineUpdate<RollbackAnswer, [{ by?: string; reason?: string }]>(
  'rollbackDeployment',
);
export const slotQuery = defineQuery<SlotState>('slot');

// ---- fineTuneToDeploy ----------------------------------------------------------------------------

export type PipelinePhase =
  | 'starting'
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
  target: 'tensorone-endpoint' | 'tensorone-registry' | 'tensormesh';
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
  deployment?: DeploymentSummary;
  pinned: string[];
  gpuType?: string;
  failure?: string;
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
  gate?: { passed: boolean; reasons: string[] };
  probe?: ProbeReport;
  /** The serving slot after promotion (pipelines since the serving-slot release). */
  slot?: SlotStanding;
  /** Something after promotion that did not work and the operator should know (the model serves). */
  notes?: string[];
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
