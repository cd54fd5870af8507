/** Pure rules of supervising a training job: how often to look, what counts as stalled or resumable. */
import type { JobStatus, TrainingJob } from '../domain/types';

export interface PollTiming {
  /** Since supervision (or the current resume) started. */
  elapsedMs: number;
  /** Until the provider's ETA, when known. */
  remainingMs?: number;
  /** Upper bound: a completion is noticed at most this late. */
  freshnessMs: number;
  /** Lower bound between two looks. */
  minIntervalMs: number;
}

/**
 * Frequent near the start (a job that fails at once is noticed at once) and near the ETA, sparse in
 * between, never above the freshness bound: min(elapsed/4, remaining/2) clamped to [min, freshness].
 */
export function nextPollDelayMs(t: PollTiming): number {
  const nearStart = t.elapsedMs / 4;
  const nearEnd = t.remainingMs !== undefined ? Math.max(0, t.remainingMs) / 2 : Number.POSITIVE_INFINITY;
  const wanted = Math.min(nearStart, nearEnd, t.freshnessMs);
  return Math.round(Math.min(t.freshnessMs, Math.max(t.minIntervalMs, wanted)));
}

/** Provider failure reasons that a resume from the last checkpoint can cure. */
const RESUMABLE =
  /preempt|spot|evict|worker lost|node (failure|lost)|insufficient_resources|capacity|cuda error|nccl|timeout/i;

export function isResumableFailure(reason: string | undefined): boolean {
  return reason !== undefined && RESUMABLE.test(reason);
}

export interface StallState {
  lastProgress?: number;
  lastProgressAtMs: number;
}

/** Updates the stall clock: any change of the progress counter (step, or checkpoints for Marqtune) resets it. */
export function observeProgress(state: StallState, progress: number | undefined, nowMs: number): StallState {
  if (progress === undefined || progress !== state.lastProgress)
    return { lastProgress: progress, lastProgressAtMs: nowMs };
  return state;
}

export function isStalled(state: StallState, nowMs: number, stallAfterMs: number): boolean {
  return nowMs - state.lastProgressAtMs >= stallAfterMs;
}

/** The next GPU type to try after INSUFFICIENT_RESOURCES: the user's order, limited to what the provider has. */
export function nextGpuType(
  preferences: string[],
  tried: string[],
  available?: string[],
): string | undefined {
  return preferences.find((g) => !tried.includes(g) && (!available || available.includes(g)));
}

/** Until the provider's ETA (or its own remaining-time figure), when it gives one. */
export function remainingMs(
  job: Pick<TrainingJob, 'estimatedCompletion' | 'progress'>,
  nowMs: number,
): number | undefined {
  if (job.estimatedCompletion) return Date.parse(job.estimatedCompletion) - nowMs;
  return job.progress.remainingSeconds !== undefined ? job.progress.remainingSeconds * 1000 : undefined;
}

/** What counts as progress for the stall clock: steps, or for Marqtune (which reports none) checkpoints. */
export function progressCounter(job: Pick<TrainingJob, 'provider' | 'progress' | 'checkpointIds'>) {
  return job.provider === 'marqtune' ? job.checkpointIds.length : job.progress.currentStep;
}

/** The stall clock after one look: reset while queued, advanced by progress while running. */
export function stallAfterLook(state: StallState, job: TrainingJob, nowMs: number): StallState {
  if (job.status === 'queued' || job.status === 'pending') return { lastProgressAtMs: nowMs };
  if (job.status === 'running') return observeProgress(state, progressCounter(job), nowMs);
  return state;
}

/**
 * What a watch (an activity that looks at a job again and again between workflow tasks) knows from the
 * workflow's last look, and the rules it looks by.
 */
export interface WatchPlan {
  /** Status at the workflow's last look; none before the first look, so the first look reports. */
  knownStatus?: JobStatus;
  segmentStartedAtMs: number;
  /** Report at the first look at or after this, whatever happened: keeps progress and grace periods current. */
  reportByMs: number;
  freshnessMs: number;
  minIntervalMs: number;
  stallAfterMs: number;
  maxCost?: number;
}

/** Why a watch handed the job back to its workflow. */
export type WatchReason = 'status-changed' | 'cost-budget' | 'stalled' | 'report-due';

export type LookVerdict = { report: WatchReason } | { lookAgainInMs: number };

/**
 * After one look: hand the job back to the workflow when it has something to act on (a status change,
 * the cost budget reached, a stall) or a report is due, else look again on the same cadence the workflow
 * would keep with timers. New checkpoints and steps wait for the next report: nothing acts on them
 * before training ends. `stall` is the clock after this look (`stallAfterLook`).
 */
export function judgeLook(plan: WatchPlan, job: TrainingJob, stall: StallState, nowMs: number): LookVerdict {
  if (job.status !== plan.knownStatus) return { report: 'status-changed' };
  if (job.status === 'running') {
    if (plan.maxCost !== undefined && job.cost !== undefined && job.cost >= plan.maxCost)
      return { report: 'cost-budget' };
    if (isStalled(stall, nowMs, plan.stallAfterMs)) return { report: 'stalled' };
  }
  if (nowMs >= plan.reportByMs) return { report: 'report-due' };
  return {
    lookAgainInMs: nextPollDelayMs({
      elapsedMs: nowMs - plan.segmentStartedAtMs,
      remainingMs: remainingMs(job, nowMs),
      freshnessMs: plan.freshnessMs,
      minIntervalMs: plan.minIntervalMs,
    }),
  };
}
