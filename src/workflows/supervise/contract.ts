import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { TrainingJob } from '../../domain/types';
import type { StallState } from '../../decisions/supervision';
import type { EarlyStopReport, EarlyStopRule, MetricPoint } from '../../decisions/early-stop';
import type { EndSighting } from '../../decisions/terminal-status';

// The contract of `superviseTrainingJob`: its input and result, and the messages it answers and sends.

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
   * (src/decisions/terminal-status.ts). Default: three freshness windows or ten minimum intervals,
   * whichever is longer.
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
  /** Stop the job (saving a checkpoint) once its checkpoints stop improving; only when it may stop it. */
  earlyStop?: EarlyStopRule;
  /**
   * Report (to the parent pipeline) each time the job's cost, estimated at its last reading's pace, moved
   * by this much: the pipeline tells its fleet budget. Absent: no such reports.
   */
  costReportStep?: number;
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
  /** The early stop's metric history and the epoch it last judged (with `earlyStop` only). */
  /** `trend`: judged on the trend of the newest checkpoints (src/decisions/early-stop-trend.ts), fixed at the first judgement. */
  earlyStop?: { history: MetricPoint[]; judgedEpoch?: number; trend?: boolean };
  /** The last cost read of the job itself and its progress then (with `costReportStep` only). */
  costReading?: { cost: number; percentage?: number };
}

export interface SupervisionResult {
  jobId: string;
  provider: 'tensorone' | 'marqtune';
  /** `budget-reached`: the cost budget was reached and the job left running (not allowed to stop it). */
  outcome: 'completed' | 'budget-stopped' | 'budget-reached' | 'early-stopped';
  job: TrainingJob;
  resumes: number;
  polls: number;
  runs: number;
  /** The progress at the last look (a parent pipeline is not signalled the look it finishes at). */
  progress?: SupervisionProgress;
  /** Why and when the job was stopped early, and what that saved (outcome `early-stopped`). */
  earlyStop?: EarlyStopReport;
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
