import { defineSignal } from '@temporalio/workflow';
import type { CheckpointSummary, DeleteReason, RetentionPolicy } from '../../decisions/retention';

// The contract of `checkpointCleanup` and its deletion child `deleteCheckpointsAtProviderRate`.

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
  /**
   * A pipeline's cleanup, started beside its deployment: it reads at once what it plans with (the
   * listing, what is in use), but leases, deletes and ends nothing until its pipeline signals
   * `deploymentServes`. A pipeline that does not get there cancels it.
   */
  awaitsDeployment?: boolean;
}

/** The pipeline's deployment serves: go on, keeping these too (the pins made since the start). */
export interface DeploymentServes {
  protectedCheckpointIds: string[];
}

export const deploymentServesSignal = defineSignal<[DeploymentServes]>('deploymentServes');

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

// ---- deleteCheckpointsAtProviderRate: the cleanup's child under a provider rate limit -------------

export interface DeletionsAtProviderRateInput {
  jobId: string;
  checkpoints: { id: string; reason: string }[];
  /** Deletions in flight at once; the server's rate limit on the provider queue decides how fast. */
  concurrency: number;
}

/** One deletion's answer: already gone on a first ask, or (`answerLost`) this run's on a retried one. */
export interface DeletionOutcome {
  checkpointId: string;
  alreadyGone: boolean;
  answerLost?: boolean;
}
