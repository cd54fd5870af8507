/** Pure rules of supervising a training job: how often to look, what counts as stalled or resumable. */
import type { JobStatus, TrainingJob } from '../domain/types';
import type { ProviderFailureDetails } from '../activities/failures';
import { parseDuration } from '../domain/duration';
import { durationProblem } from './duration';

interface PollTiming {
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
  /** The last progress counter seen: the stall rule of supervisions started before `furthest`. */
  lastProgress?: number;
  /** The furthest progress seen since the clock last reset (a resume, a queue). */
  furthest?: ProgressMark;
  lastProgressAtMs: number;
  /**
   * When the provider answered the figures the clock last took in (a sweep of the job list may be older
   * than the look that read it). A stall is judged at that time: figures that are only old say nothing
   * about the time since they were answered.
   */
  seenAtMs?: number;
}

/** How far a job has got: epoch first, then the step (or, for Marqtune, the checkpoints) counter. */
interface ProgressMark {
  epoch: number;
  step: number;
}

/** Updates the stall clock: any change of the progress counter (step, or checkpoints for Marqtune) resets it. */
export function observeProgress(state: StallState, progress: number | undefined, nowMs: number): StallState {
  if (progress === undefined || progress !== state.lastProgress)
    return { lastProgress: progress, lastProgressAtMs: nowMs };
  return state;
}

/** `a` is further than `b`: a later epoch, or the same epoch and a later step. */
export function isFurther(a: ProgressMark, b: ProgressMark): boolean {
  return a.epoch !== b.epoch ? a.epoch > b.epoch : a.step > b.step;
}

/**
 * Updates the stall clock by the furthest progress seen: only a look past it resets the clock, so a
 * counter that goes back (1500, 1400, 1500, …) or repeats is no progress. A look without any progress
 * figure resets the clock (nothing to judge a stall by) and keeps the furthest mark.
 */
export function observeFurthest(
  state: StallState,
  mark: ProgressMark | undefined,
  nowMs: number,
): StallState {
  if (mark === undefined) return { furthest: state.furthest, lastProgressAtMs: nowMs };
  if (state.furthest === undefined || isFurther(mark, state.furthest))
    return { furthest: mark, lastProgressAtMs: nowMs };
  return state;
}

/**
 * No progress for `stallAfterMs`, judged at the time of the newest figures (`seenAtMs`) when they are
 * older than `nowMs`: a look that read a sweep made hours before it never stops a job that may have
 * moved since.
 */
export function isStalled(state: StallState, nowMs: number, stallAfterMs: number): boolean {
  const judgedAtMs = Math.min(nowMs, state.seenAtMs ?? nowMs);
  return judgedAtMs - state.lastProgressAtMs >= stallAfterMs;
}

/** The next GPU type to try after INSUFFICIENT_RESOURCES: the user's order, limited to what the provider has. */
export function nextGpuType(
  preferences: string[],
  tried: string[],
  available?: string[],
): string | undefined {
  return preferences.find((g) => !tried.includes(g) && (!available || available.includes(g)));
}

/**
 * The GPU types the provider says it has, from an INSUFFICIENT_RESOURCES failure's details
 * (`details.availableGpuTypes`); undefined when it does not say.
 */
export function offeredGpuTypes(failureDetails: unknown): string[] | undefined {
  const offered = (failureDetails as Partial<ProviderFailureDetails> | undefined)?.details?.availableGpuTypes;
  return Array.isArray(offered) ? offered.map(String) : undefined;
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

/** The job's progress mark, or undefined when it reports neither an epoch nor a counter. */
export function progressMark(
  job: Pick<TrainingJob, 'provider' | 'progress' | 'checkpointIds'>,
): ProgressMark | undefined {
  const epoch = job.progress.currentEpoch;
  const step = progressCounter(job);
  if (epoch === undefined && step === undefined) return undefined;
  return { epoch: epoch ?? 0, step: step ?? 0 };
}

/**
 * How the stall clock counts progress: `furthest` (past the furthest mark seen), or `changed` (any
 * change of the counter: supervisions started before `furthest`, whose histories must replay).
 */
export type StallRule = 'furthest' | 'changed';

/**
 * The stall clock after one look at figures the provider answered at `seenAtMs` (the look's time, or
 * the older time of the sweep it read): reset while queued, advanced by progress while running, and
 * judged at `seenAtMs` (`isStalled`).
 */
export function stallAfterLook(
  state: StallState,
  job: TrainingJob,
  seenAtMs: number,
  rule: StallRule = 'furthest',
): StallState {
  if (job.status === 'queued' || job.status === 'pending') return { lastProgressAtMs: seenAtMs };
  if (job.status !== 'running') return state;
  const observed =
    rule === 'furthest'
      ? observeFurthest(state, progressMark(job), seenAtMs)
      : observeProgress(state, progressCounter(job), seenAtMs);
  return { ...observed, seenAtMs };
}

/**
 * Statuses a workflow acts on irreversibly (deploy the result, clean up, resume, give up): one answer
 * is not enough for them, two consecutive looks must agree.
 */
const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled', 'stopped'];

export function isTerminalStatus(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
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
  /** Report once a running job reaches this epoch (an early stop judges each new checkpoint). */
  reportAtEpoch?: number;
  /**
   * Report once a running job's progress reaches this percentage: its cost moved by a step its pipeline
   * tells its fleet budget (`nextCostReportPercentage`).
   */
  reportAtPercentage?: number;
}

/** Why a watch handed the job back to its workflow. */
export type WatchReason =
  'status-changed' | 'cost-budget' | 'stalled' | 'new-epoch' | 'cost-step' | 'report-due';

type LookVerdict =
  | { report: WatchReason }
  /** `confirming`: a terminal status this look saw first, to be confirmed by the next look. */
  | { lookAgainInMs: number; confirming?: JobStatus };

/**
 * A running job's progress reached the percentage its pipeline's next cost report is due at: the look
 * reads the job itself, so the cost it hands back was answered at that progress.
 */
export function reachesCostStep(plan: WatchPlan, job: Pick<TrainingJob, 'status' | 'progress'>): boolean {
  return (
    job.status === 'running' &&
    plan.reportAtPercentage !== undefined &&
    (job.progress.percentage ?? 0) >= plan.reportAtPercentage
  );
}

/**
 * After one look: hand the job back to the workflow when it has something to act on (a status change,
 * the cost budget reached, a stall) or a report is due, else look again on the same cadence the workflow
 * would keep with timers. New checkpoints and steps wait for the next report (nothing acts on them
 * before training ends), except a new epoch with `reportAtEpoch` (an early stop judges it). `stall` is the clock after this look (`stallAfterLook`).
 *
 * A terminal status is handed back only when the previous look (`previousStatus`: this watch's, or the
 * workflow's before the watch's first) saw it too; a first sighting is looked at again after the
 * minimum interval, and nothing else (not a due report) hands it back unconfirmed. A gateway's stale
 * cache or a provider's glitch that answers "completed" once is then never deployed.
 */
export function judgeLook(
  plan: WatchPlan,
  job: TrainingJob,
  stall: StallState,
  nowMs: number,
  previousStatus: JobStatus | undefined = plan.knownStatus,
): LookVerdict {
  if (isTerminalStatus(job.status) && job.status !== previousStatus)
    return { lookAgainInMs: plan.minIntervalMs, confirming: job.status };
  if (job.status !== plan.knownStatus) return { report: 'status-changed' };
  if (job.status === 'running') {
    if (plan.maxCost !== undefined && job.cost !== undefined && job.cost >= plan.maxCost)
      return { report: 'cost-budget' };
    if (isStalled(stall, nowMs, plan.stallAfterMs)) return { report: 'stalled' };
    if (plan.reportAtEpoch !== undefined && (job.progress.currentEpoch ?? 0) >= plan.reportAtEpoch)
      return { report: 'new-epoch' };
    if (reachesCostStep(plan, job)) return { report: 'cost-step' };
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

/**
 * How old a sweep of the job list a look may read: seven tenths of its freshness. A look that reads the
 * list asks for its next look when this sweep has grown too old, plus its job's share of the spread
 * (`sweepSpreadMs`): the first of them makes the next sweep, the others read it, and a change is
 * noticed at most nine tenths of the freshness (plus the time a sweep takes) after it happened.
 */
export function sweepWindowMs(freshnessMs: number): number {
  return Math.max(1, Math.floor(freshnessMs * 0.7));
}

/**
 * After a sweep grows too old, the looks of a process's jobs come back spread over two tenths of the
 * freshness, each job always at the same place in it (`spreadFraction`): 10,000 watches are not
 * dispatched in the same second after every sweep.
 */
export function sweepSpreadMs(freshnessMs: number): number {
  return Math.floor(freshnessMs * 0.2);
}

/** A job's place in the spread, in [0, 1): the same for the same id (FNV-1a of the id, mixed). */
export function spreadFraction(jobId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < jobId.length; i++) hash = Math.imul(hash ^ jobId.charCodeAt(i), 0x01000193);
  // MurmurHash3's finalizer: ids that differ in their last letter land far apart.
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return ((hash ^ (hash >>> 16)) >>> 0) / 2 ** 32;
}

/** A job's cost as a read of the job itself gave it, with its progress then (percent) and when (the watch's clock). */
export interface CostReading {
  cost: number;
  percentage?: number;
  atMs: number;
}

/**
 * Whether a look at a running job with a cost budget must read the job itself (the list carries no
 * cost): when no reading is known, when the last reading already reaches the budget, or when the cost
 * estimated from progress since that reading (cost grows with progress: cost per percent at the
 * reading) and carried on at the same pace over `horizonMs` reaches it. A reading at 0 % gives no pace
 * to estimate by, nor does a look without a percentage, nor progress that went back: each reads the job.
 */
export function costReadingDue(
  maxCost: number | undefined,
  reading: CostReading | undefined,
  percentageNow: number | undefined,
  nowMs: number,
  horizonMs: number,
): boolean {
  if (maxCost === undefined) return false;
  if (!reading) return true;
  const atPercent = reading.percentage ?? NaN;
  // No pace without a positive percentage at the reading (0, missing, NaN) or a percentage now.
  if (!(atPercent > 0) || percentageNow === undefined) return true;
  // Progress went back (a resume from an earlier checkpoint): the steps done again cost again.
  if (percentageNow < atPercent) return true;
  const perPercent = reading.cost / atPercent;
  const estimateNow = reading.cost + Math.max(0, percentageNow - atPercent) * perPercent;
  const elapsed = nowMs - reading.atMs;
  const pace = elapsed > 0 ? (estimateNow - reading.cost) / elapsed : 0;
  // The estimate never falls below the reading, so a reading that reached the budget is due here too.
  return estimateNow + pace * horizonMs >= maxCost;
}

// ---- the supervising workflow's rules (src/workflows/supervise/) ------------------------------------

/** How many checkpoint ids a supervision carries across continue-as-new: the newest. */
const KEEP_CHECKPOINT_IDS = 200;

/** The checkpoint ids known after a look (the newest `KEEP_CHECKPOINT_IDS`), and how many of the look's were new. */
export function mergeCheckpointIds(known: string[], seen: string[]): { ids: string[]; fresh: number } {
  const knownIds = new Set(known);
  const fresh = seen.filter((id) => !knownIds.has(id));
  return { ids: [...known, ...fresh].slice(-KEEP_CHECKPOINT_IDS), fresh: fresh.length };
}

/** The lowest loss seen so far: the previous best, the provider's best and the current loss. */
export function lowestLoss(
  previousBest: number | undefined,
  metrics: Record<string, number>,
): number | undefined {
  const losses = [previousBest, metrics.bestLoss, metrics.loss].filter(
    (x): x is number => typeof x === 'number',
  );
  return losses.length ? Math.min(...losses) : undefined;
}

/** Only a change of status, step, checkpoints, cost or resumes is worth a signal to the parent. */
export function progressKey(p: {
  status: string;
  step?: number;
  checkpointsSeen: number;
  cost?: number;
  resumes: number;
}): string {
  return `${p.status}|${p.step}|${p.checkpointsSeen}|${p.cost}|${p.resumes}`;
}

/** Reports come up to a quarter early, at random: supervisions started together do not all wake at once. */
const REPORT_JITTER = 0.25;

/**
 * When the next watch must report at the latest: `reportEveryMs` from now, less up to a quarter
 * (`random` in [0, 1), the workflow's seeded Math.random), and never after an unknown status's grace
 * runs out.
 */
export function reportByMs(
  nowMs: number,
  reportEveryMs: number,
  random: number,
  unknown: { sinceMs?: number; graceMs: number },
): number {
  return Math.min(
    nowMs + reportEveryMs * (1 - REPORT_JITTER * random),
    unknown.sinceMs !== undefined ? unknown.sinceMs + unknown.graceMs : Number.POSITIVE_INFINITY,
  );
}

/** Since when the job has reported a status the documents never name: kept while it does, cleared when it does not. */
export function unknownSinceMs(
  status: JobStatus,
  sinceMs: number | undefined,
  nowMs: number,
): number | undefined {
  return status === 'unknown' ? (sinceMs ?? nowMs) : undefined;
}

/** What a supervision knows when it decides what to do after a look. */
export interface SupervisionView {
  jobId: string;
  provider: 'tensorone' | 'marqtune';
  /** The supervision may stop (and resume) the job: it owns it. */
  mayStop: boolean;
  resumes: number;
  resumeBudget: number;
  maxCost?: number;
  stall: StallState;
  stallAfterMs: number;
  /** `stallAfter` as written, for the reason. */
  stallAfter: string;
  /** Since when the status is unknown (`unknownSinceMs` after this look). */
  unknownSinceMs?: number;
  unknownGraceMs: number;
  /** `unknownStatusGrace` as written, for the message. */
  unknownStatusGrace: string;
  /**
   * Why this look's "completed" cannot be believed (`completionDoubt`), when it cannot: it is then
   * held like an unknown status (`unknownSinceMs` counts from its first sighting), never finished on.
   */
  completionDoubt?: string;
}

/** Why a supervision gives up: the failure type its workflow fails with. */
export type SupervisionGiveUp =
  | 'TRAINING_FAILED'
  | 'TRAINING_CANCELLED'
  | 'UNKNOWN_JOB_STATUS'
  | 'COMPLETION_DOUBTED'
  | 'END_DOUBTED'
  | 'NOT_RESUMED_NOT_OWNED'
  | 'TRAINING_NOT_RESUMABLE'
  | 'RESUME_BUDGET_EXHAUSTED';

/** What a supervision does after a look at its job. */
export type SupervisionStep =
  /** End with this outcome: completed, or the cost budget reached by a supervision that may not stop. */
  | { kind: 'finish'; outcome: 'completed' | 'budget-reached' }
  /** Stop the job at its cost budget and end (or, if it ended meanwhile, look again). */
  | { kind: 'stop-and-finish'; stopReason: string }
  /** Resume the job; first stop it (`stopFirst`, the stop's reason) when it is still running. */
  | { kind: 'resume'; reason: string; stopFirst?: string }
  | { kind: 'give-up'; type: SupervisionGiveUp; message: string }
  /** Nothing to act on: look again. */
  | { kind: 'look-again' };

/**
 * After a look: a believable completion ends the supervision (a doubtful one is looked at again, and
 * given up on past the unknown-status grace); a resumable failure, a stop from outside or a stall
 * is resumed (a stall first stopped) within the budget; a cancellation, an unresumable failure or an
 * unknown status past its grace gives up; the cost budget stops the job (or, not owned, ends leaving
 * it running).
 */
export function nextSupervisionStep(job: TrainingJob, s: SupervisionView, nowMs: number): SupervisionStep {
  const resume = (reason: string, stopFirst?: string): SupervisionStep => {
    const refusal = resumeRefusal(s, reason);
    return refusal ? { kind: 'give-up', ...refusal } : { kind: 'resume', reason, stopFirst };
  };
  switch (job.status) {
    case 'completed':
      if (s.completionDoubt === undefined) return { kind: 'finish', outcome: 'completed' };
      if (s.unknownSinceMs !== undefined && nowMs - s.unknownSinceMs >= s.unknownGraceMs)
        return {
          kind: 'give-up',
          type: 'COMPLETION_DOUBTED',
          message: `training job ${s.jobId} ${s.completionDoubt}, and kept answering so for ${s.unknownStatusGrace}: not believed, nothing deployed from it`,
        };
      return { kind: 'look-again' };
    case 'failed':
      if (!isResumableFailure(job.failureReason))
        return {
          kind: 'give-up',
          type: 'TRAINING_FAILED',
          message: `training job ${s.jobId} failed: ${job.failureReason ?? 'no reason given'}`,
        };
      return resume(`failed (${job.failureReason})`);
    case 'stopped':
      return resume('was stopped outside this workflow');
    case 'cancelled':
      return {
        kind: 'give-up',
        type: 'TRAINING_CANCELLED',
        message: `training job ${s.jobId} was cancelled outside this workflow`,
      };
    case 'queued':
    case 'pending':
      return { kind: 'look-again' };
    case 'running':
      if (s.maxCost !== undefined && job.cost !== undefined && job.cost >= s.maxCost) {
        if (!s.mayStop) return { kind: 'finish', outcome: 'budget-reached' };
        return { kind: 'stop-and-finish', stopReason: `cost budget ${s.maxCost} reached (${job.cost})` };
      }
      if (isStalled(s.stall, nowMs, s.stallAfterMs))
        return resume(`stalled: no step progress for ${s.stallAfter}`, 'stalled: no step progress');
      return { kind: 'look-again' };
    case 'unknown':
      if (s.unknownSinceMs !== undefined && nowMs - s.unknownSinceMs >= s.unknownGraceMs)
        return {
          kind: 'give-up',
          type: 'UNKNOWN_JOB_STATUS',
          message: `training job ${s.jobId} reports status "${job.rawStatus}", which the provider documents never name; gave up after ${s.unknownStatusGrace}`,
        };
      return { kind: 'look-again' };
  }
}

/**
 * Why the job cannot be resumed, or undefined when it can: the supervision must own it, the provider
 * must resume (Marqtune cannot), and the budget must have a resume left.
 */
export function resumeRefusal(
  s: Pick<SupervisionView, 'jobId' | 'provider' | 'mayStop' | 'resumes' | 'resumeBudget'>,
  reason: string,
): { type: SupervisionGiveUp; message: string } | undefined {
  if (!s.mayStop)
    return {
      type: 'NOT_RESUMED_NOT_OWNED',
      message: `job ${s.jobId}: ${reason}; this supervision does not own job ${s.jobId} and leaves it as it is (supervise with --may-stop to let it act)`,
    };
  if (s.provider !== 'tensorone')
    return {
      type: 'TRAINING_NOT_RESUMABLE',
      message: `Marqtune model ${s.jobId}: ${reason}; Marqtune cannot resume a model`,
    };
  if (s.resumes >= s.resumeBudget)
    return {
      type: 'RESUME_BUDGET_EXHAUSTED',
      message: `job ${s.jobId}: ${reason}; resume budget of ${s.resumeBudget} used up`,
    };
  return undefined;
}

/**
 * The job may still train (and bill): not stopped by the supervision, and its last look showed no end
 * it can believe (`completionDoubted`: a "completed" that was not believed).
 */
export function mayBeTraining(
  stoppedBySupervision: boolean,
  lastStatus: JobStatus | undefined,
  completionDoubted = false,
): boolean {
  return (
    !stoppedBySupervision && (lastStatus === undefined || completionDoubted || !isTerminalStatus(lastStatus))
  );
}

const DEFAULT_HISTORY_EVENT_LIMIT = 4000;

/** Time to continue as new: the server suggests it, or the history reached its limit (default 4000 events). */
export function historyFull(
  info: { continueAsNewSuggested: boolean; historyLength: number },
  limit: number | undefined,
): boolean {
  return info.continueAsNewSuggested || info.historyLength >= (limit ?? DEFAULT_HISTORY_EVENT_LIMIT);
}

/** The supervision's input fields that hold a duration. */
export type SupervisionDurationField =
  'freshness' | 'minInterval' | 'stallAfter' | 'unknownStatusGrace' | 'reportEvery' | 'terminalStatusWindow';

/**
 * Why one duration field of a supervision's input is refused, or undefined when it is accepted: no
 * duration at all, or (`bounded`: runs started after the bounds) outside the range every pipeline file
 * and CLI flag is held to, so a supervision started directly through a client gets the same refusal.
 */
export function supervisionDurationProblem(
  value: string,
  field: SupervisionDurationField,
  bounded: boolean,
): string | undefined {
  if (bounded) return durationProblem(value, `supervision.${field}`);
  return parseDuration(value) === undefined ? `must be a duration such as "5m", got "${value}"` : undefined;
}
