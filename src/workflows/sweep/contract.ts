import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { RungVerdict, SweepValue, TrialEnd } from '../../decisions/halving';
import type { PipelineSpec } from '../../domain/pipeline-input';
import type { SupervisionResult } from '../supervise/contract';

// ---- sweepTrial: one trial of a pipeline's hyperparameter sweep (a child of the pipeline) ----------

export interface TrialInput {
  /** The pipeline's checked input; the trial trains `train.config` with `params` set. */
  spec: PipelineSpec;
  index: number;
  params: Record<string, SweepValue>;
  /** The pipeline run's name basis: the trial's job is named after the run and the trial. */
  nameBasis?: string;
  /** Reserve the job's `budget.maxCost` against the fleet budget before creating it, settle it at the end. */
  reservesFleetBudget?: boolean;
}

/** A trial as the sweep's table shows it. */
export type TrialState =
  | 'waiting'
  /** In line for the fleet budget: no job yet. */
  | 'awaiting-budget'
  | 'training'
  | 'stopping'
  /** Waiting at a rung for its verdict: its job stopped with a saved checkpoint. */
  | 'paused'
  /** Its rung promoted it: resumed from its checkpoint as soon as a slot is free. */
  | 'promoted'
  | TrialEnd
  | 'cancelled'
  /** Never started: the sweep's budget was reached first. */
  | 'not-started';

/** What a trial tells the pipeline: its job, its progress, and each rung it reached with its value. */
export interface TrialReport {
  index: number;
  jobId?: string;
  status?: string;
  epoch?: number;
  totalEpochs?: number;
  cost?: number;
  /** The selection metric at the job's last look. */
  metric?: number;
  /** The value at the rung; none (null in JSON) when no checkpoint up to it carries the metric. */
  rung?: { epoch: number; value?: number | null };
  /** In line for the fleet budget, and why (no job yet). */
  awaitingBudget?: string;
}

/** Sent by the pipeline to a trial: stop the job, saving a checkpoint. */
export interface StopTrial {
  end: 'rung-stopped' | 'budget-stopped';
  reason: string;
}

/** Sent by the pipeline to a trial at a rung: pause (stop the job, saving a checkpoint) or resume it. */
export interface HoldTrial {
  hold: 'pause' | 'resume';
  /** The rung's epoch. */
  epoch: number;
  reason: string;
}

export interface TrialResult {
  index: number;
  jobId?: string;
  end: TrialEnd | 'cancelled';
  /** The trial's best checkpoint by the selection, and its value (none: no checkpoint carries the metric). */
  checkpointId?: string;
  value?: number;
  epoch?: number;
  /** Epochs the job trained before it ended. */
  epochsTrained?: number;
  cost?: number;
  why?: string;
  /** The supervision's result, or the job as looked at after the trial stopped it. */
  supervision?: SupervisionResult;
}

export const trialReportSignal = defineSignal<[TrialReport]>('sweepTrialReport');
export const stopTrialSignal = defineSignal<[StopTrial]>('stopSweepTrial');
export const holdTrialSignal = defineSignal<[HoldTrial]>('holdSweepTrial');

/** `<pipeline workflow id>/trial-03`: one per trial of the run's sweep. */
export const trialWorkflowId = (pipelineWorkflowId: string, index: number) =>
  `${pipelineWorkflowId}/trial-${String(index).padStart(2, '0')}`;

// ---- the sweep as the pipeline shows it --------------------------------------------------------

export interface TrialRow {
  index: number;
  params: Record<string, SweepValue>;
  state: TrialState;
  jobId?: string;
  epoch?: number;
  totalEpochs?: number;
  cost?: number;
  /** The selection metric at the last look. */
  metric?: number;
  /** The trial's best value by the selection, once it ended. */
  best?: number;
  /**
   * The best value by the selection seen so far: at each look (the job's metric) and each rung, and its
   * best once it ended. Kept when the trial fails, is cancelled or ends early.
   */
  bestSeen?: number;
  checkpointId?: string;
  rungs: ({ epoch: number; value: number; /** No verdict yet: paused there. */ waiting?: boolean } & Pick<
    RungVerdict,
    'stop' | 'rank' | 'of' | 'kept'
  >)[];
  /** The rung it is paused at (or promoted from, awaiting a slot). */
  pausedAt?: number;
  why?: string;
}

export interface SweepStatus {
  strategy: 'grid' | 'random';
  parallel: number;
  metric: string;
  direction: 'minimize' | 'maximize';
  rungs: number[];
  keep?: number;
  maxCost?: number;
  /** Every trial's cost so far, summed. */
  cost: number;
  budgetReached?: boolean;
  trials: TrialRow[];
  /** The trial whose best checkpoint goes on to compare → gate → deploy. */
  winner?: number;
}

export const sweepTrialsQuery = defineQuery<SweepStatus | undefined>('sweepTrials');
