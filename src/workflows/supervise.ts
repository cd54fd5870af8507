import {
  ApplicationFailure,
  CancellationScope,
  condition,
  ContinueAsNew,
  continueAsNew,
  defineSignal,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { WatchOutcome } from '../activities/watch';
import type { TrainingJob } from '../domain/types';
import { parseDuration } from '../decisions/duration';
import {
  isResumableFailure,
  isStalled,
  isTerminalStatus,
  nextPollDelayMs,
  remainingMs,
  stallAfterLook,
  type StallRule,
} from '../decisions/supervision';
import { jobWatch, polling, provider } from './activity-stubs';
import {
  progressQuery,
  supervisionProgressSignal,
  type SuperviseInput,
  type SupervisionProgress,
  type SupervisionResult,
  type SupervisionState,
} from './definitions';
import { applicationCause, describeFailure } from './failure-cause';
import { shortTime, summarized } from './summaries';

/** Stops the job (saving a checkpoint) and ends supervision; for standalone supervisions. */
export const stopSupervisedJobSignal = defineSignal<[{ reason?: string }?]>('stopJob');

const DEFAULT_HISTORY_EVENT_LIMIT = 4000;
const KEEP_CHECKPOINT_IDS = 200;
const DEFAULT_REPORT_EVERY = '30m';
const REPORT_JITTER = 0.25;
/**
 * Released after v1: between reports the job is watched by one activity retried by the server, instead
 * of a timer and a poll activity per look (a workflow task per look). Histories recorded before it
 * replay on the timer path.
 */
const WATCH_PATCH = 'supervise-watches-job-between-reports';
/**
 * Released after v3: stall detection counts only progress past the furthest step (and epoch) seen, and
 * a supervision that fails stops the job it supervised, keeping a checkpoint. (The watch's second look
 * at a terminal status is activity code: no patch.) Histories recorded before it replay without both.
 */
const DOUBT_PATCH = 'supervise-doubts-odd-answers';
/** Cancelling a supervision whose job ended meanwhile (the stop answers 409) ends it cancelled, not failed. */
const CANCEL_ENDED_JOB_PATCH = 'supervise-cancel-ended-job';
/** A stall's or budget's stop answered "not running" (the job ended since the look): look again. */
const STOP_OF_ENDED_JOB_PATCH = 'supervise-stop-of-ended-job';

/**
 * Supervises one training job for as long as it runs (days): looks at it at an adaptive interval,
 * records progress and new checkpoints, stops-and-resumes on stalls, preemptions and resumable
 * failures within a budget, stops at a cost budget, and continues-as-new before its history grows
 * large. Between reports (a status change, a stall, the cost budget, or every `reportEvery`)
 * the looks are one watching activity's retries, which add no history and no workflow task.
 * Usable alone and as the pipeline's child.
 */
export async function superviseTrainingJob(input: SuperviseInput): Promise<SupervisionResult> {
  const freshnessMs = requireDuration(input.freshness, 'freshness');
  const minIntervalMs = requireDuration(input.minInterval, 'minInterval');
  const stallAfterMs = requireDuration(input.stallAfter, 'stallAfter');
  const unknownGraceMs = requireDuration(input.unknownStatusGrace, 'unknownStatusGrace');
  const reportEveryMs = Math.max(
    freshnessMs,
    requireDuration(input.reportEvery ?? DEFAULT_REPORT_EVERY, 'reportEvery'),
  );
  const now = () => Date.now(); // workflow time: deterministic
  const st: SupervisionState = input.carried
    ? { ...input.carried, runs: input.carried.runs + 1 }
    : {
        startedAtMs: now(),
        segmentStartedAtMs: now(),
        stall: { lastProgressAtMs: now() },
        resumes: 0,
        polls: 0,
        runs: 1,
        checkpointIds: [],
      };
  let stopRequested: { reason?: string } | undefined;
  /** The watch in flight, cancelled by a stop so the stop does not wait for the next report. */
  let watchScope: CancellationScope | undefined;
  setHandler(progressQuery, () => st.latest);
  setHandler(stopSupervisedJobSignal, (req) => {
    stopRequested = req ?? {};
    watchScope?.cancel();
  });
  const parent = workflowInfo().parent;
  let lastSignalled: string | undefined;
  /** This workflow stopped the job and has not resumed it since: nothing left training to stop. */
  let stoppedByUs = false;
  const { jobId } = input;
  const tensorone = input.provider === 'tensorone';

  const fetchJob = (): Promise<TrainingJob> =>
    tensorone ? polling.getTrainingJob(jobId) : polling.getMarqtuneModel(jobId);
  const watchTrainingJob = jobWatch(freshnessMs, reportEveryMs);
  let nextLookAtMs = now();
  /** The job at this run's last look: the watch reports a change of its status (none yet: the first look reports). */
  let lastLook: TrainingJob | undefined;

  /** The job at the next report, or undefined when a stop was requested first (the watch is cancelled). */
  async function watchJob(): Promise<WatchOutcome | undefined> {
    if (stopRequested) return undefined;
    const reportByMs = Math.min(
      // Up to a quarter early, at random (the workflow's seeded, replay-safe Math.random): supervisions
      // started together, by a script or after an outage, do not all wake in the same second.
      now() + reportEveryMs * (1 - REPORT_JITTER * Math.random()),
      st.firstUnknownAtMs !== undefined ? st.firstUnknownAtMs + unknownGraceMs : Number.POSITIVE_INFINITY,
    );
    const scope = new CancellationScope();
    watchScope = scope;
    try {
      return await scope.run(() =>
        summarized(
          watchTrainingJob,
          `look at job ${jobId} every ${input.minInterval}–${input.freshness} until it changes or ${shortTime(reportByMs)}; each look is one retry`,
          {
            provider: input.provider,
            jobId,
            stall: st.stall,
            startedAtMs: now(),
            firstLookInMs: Math.max(0, nextLookAtMs - now()),
            plan: {
              knownStatus: lastLook?.status,
              segmentStartedAtMs: st.segmentStartedAtMs,
              reportByMs,
              freshnessMs,
              minIntervalMs,
              stallAfterMs,
              maxCost: input.maxCost,
            },
          },
        ),
      );
    } catch (err) {
      // Cancelled by the stop signal (not by a cancel of the whole workflow): the operator's stop.
      if (isCancellation(err) && stopRequested && !CancellationScope.current().consideredCancelled)
        return undefined;
      throw err;
    } finally {
      watchScope = undefined;
    }
  }

  async function stopJob(reason: string): Promise<void> {
    await summarized(provider.stopTrainingJob, `stop job ${jobId}, saving a checkpoint: ${reason}`, {
      jobId,
      saveCheckpoint: true,
      reason,
    });
    stoppedByUs = true;
  }

  /**
   * Stops the job, or learns that it ended since the look (the stop answers 409 JOB_NOT_RUNNING):
   * then nothing is stopped and the next look says how it ended (a failure is resumed, a completion
   * reported). Runs recorded before the patch failed the supervision there.
   */
  async function stopUnlessEnded(reason: string): Promise<boolean> {
    try {
      await stopJob(reason);
      return true;
    } catch (err) {
      if (applicationCause(err)?.type === 'JOB_NOT_RUNNING' && patched(STOP_OF_ENDED_JOB_PATCH)) return false;
      throw err;
    }
  }

  async function stopOnRequest(): Promise<never> {
    await stopJob(stopRequested?.reason ?? 'stopped by operator');
    throw ApplicationFailure.nonRetryable(
      `training job ${jobId} stopped by operator`,
      'TRAINING_STOPPED_BY_OPERATOR',
    );
  }

  async function resume(reason: string): Promise<void> {
    if (!tensorone)
      throw ApplicationFailure.nonRetryable(
        `Marqtune model ${jobId}: ${reason}; Marqtune cannot resume a model`,
        'TRAINING_NOT_RESUMABLE',
      );
    if (st.resumes >= input.resumeBudget) {
      throw ApplicationFailure.nonRetryable(
        `job ${jobId}: ${reason}; resume budget of ${input.resumeBudget} used up`,
        'RESUME_BUDGET_EXHAUSTED',
      );
    }
    st.resumes += 1;
    await summarized(provider.resumeTrainingJob, `resume job ${jobId}: ${reason}`, { jobId });
    stoppedByUs = false;
    st.segmentStartedAtMs = now();
    st.stall = { lastProgressAtMs: now() };
  }

  try {
    for (;;) {
      const watched = patched(WATCH_PATCH);
      let job: TrainingJob;
      if (watched) {
        const outcome = await watchJob();
        if (!outcome) return await stopOnRequest();
        ({ job } = outcome);
        st.stall = outcome.stall;
        st.polls += outcome.looks;
      } else {
        job = await fetchJob();
        st.polls += 1;
      }
      lastLook = job;
      record(st, job, now(), patched(DOUBT_PATCH) ? 'furthest' : 'changed');
      setCurrentDetails(
        `job \`${jobId}\` ${job.status}: epoch ${job.progress.currentEpoch ?? '-'}/${job.progress.totalEpochs ?? '-'}, ${st.polls} looks, ${st.resumes} resumes (the pending watch's heartbeat has the newest look)`,
      );
      if (parent && progressKey(st.latest!) !== lastSignalled) {
        lastSignalled = progressKey(st.latest!);
        const progress = st.latest!;
        // Delivered even while the parent is cancelling us: it only updates what the parent reports.
        await CancellationScope.nonCancellable(() =>
          getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(
            supervisionProgressSignal,
            progress,
          ),
        );
      }

      switch (job.status) {
        case 'completed':
          return result('completed', job);
        case 'failed':
          if (!isResumableFailure(job.failureReason)) {
            throw ApplicationFailure.nonRetryable(
              `training job ${jobId} failed: ${job.failureReason ?? 'no reason given'}`,
              'TRAINING_FAILED',
            );
          }
          await resume(`failed (${job.failureReason})`);
          break;
        case 'stopped':
          await resume('was stopped outside this workflow');
          break;
        case 'cancelled':
          throw ApplicationFailure.nonRetryable(
            `training job ${jobId} was cancelled outside this workflow`,
            'TRAINING_CANCELLED',
          );
        case 'queued':
        case 'pending':
          st.stall = { lastProgressAtMs: now() };
          break;
        case 'running': {
          if (input.maxCost !== undefined && job.cost !== undefined && job.cost >= input.maxCost) {
            if (!(await stopUnlessEnded(`cost budget ${input.maxCost} reached (${job.cost})`))) break;
            return result('budget-stopped', await fetchJob());
          }
          if (isStalled(st.stall, now(), stallAfterMs)) {
            if (tensorone && st.resumes < input.resumeBudget) {
              if (!(await stopUnlessEnded('stalled: no step progress'))) break;
            }
            await resume(`stalled: no step progress for ${input.stallAfter}`);
          }
          break;
        }
        case 'unknown':
          st.firstUnknownAtMs ??= now();
          if (now() - st.firstUnknownAtMs >= unknownGraceMs) {
            throw ApplicationFailure.nonRetryable(
              `training job ${jobId} reports status "${job.rawStatus}", which the provider documents never name; gave up after ${input.unknownStatusGrace}`,
              'UNKNOWN_JOB_STATUS',
            );
          }
          break;
      }
      if (job.status !== 'unknown') st.firstUnknownAtMs = undefined;

      const info = workflowInfo();
      if (
        info.continueAsNewSuggested ||
        info.historyLength >= (input.historyEventLimit ?? DEFAULT_HISTORY_EVENT_LIMIT)
      ) {
        await continueAsNew<typeof superviseTrainingJob>({ ...input, carried: st });
      }
      const delay = nextPollDelayMs({
        elapsedMs: now() - st.segmentStartedAtMs,
        remainingMs: remainingMs(job, now()),
        freshnessMs,
        minIntervalMs,
      });
      if (watched) nextLookAtMs = now() + delay;
      else if (await condition(() => stopRequested !== undefined, delay)) await stopOnRequest();
    }
  } catch (err) {
    // Cancelled (alone, or because the parent pipeline was cancelled): stop the job, keeping a checkpoint.
    if (isCancellation(err) && tensorone) {
      await CancellationScope.nonCancellable(() =>
        provider.stopTrainingJob({ jobId, saveCheckpoint: true, reason: 'workflow cancelled' }),
      ).catch((stopErr) => {
        // A job that ended meanwhile has nothing left to stop: the supervision still ends cancelled.
        if (applicationCause(stopErr)?.type === 'JOB_NOT_RUNNING' && patched(CANCEL_ENDED_JOB_PATCH)) return;
        throw stopErr;
      });
    } else if (
      !isCancellation(err) &&
      !(err instanceof ContinueAsNew) &&
      tensorone &&
      mayBeTraining() &&
      patched(DOUBT_PATCH)
    ) {
      throw await stopAfterFailure(err);
    }
    throw err;
  }

  /** The job may still train (and bill): not stopped by us, and its last look showed no end. */
  function mayBeTraining(): boolean {
    return !stoppedByUs && (lastLook === undefined || !isTerminalStatus(lastLook.status));
  }

  /**
   * A supervision that gives up (a malformed answer that persists, a stall past the resume budget, an
   * unknown status, a provider outage) leaves nobody watching the job: stop it, keeping a checkpoint,
   * even while being cancelled, and say so in the failure, which keeps the cause's type.
   */
  async function stopAfterFailure(err: unknown): Promise<ApplicationFailure> {
    const cause = applicationCause(err);
    const type = cause?.type ?? 'SUPERVISION_FAILED';
    let outcome: string;
    try {
      await CancellationScope.nonCancellable(() =>
        provider.stopTrainingJob({ jobId, saveCheckpoint: true, reason: `supervision failed: ${type}` }),
      );
      outcome = `training job ${jobId} was stopped with a saved checkpoint`;
    } catch (stopErr) {
      outcome =
        applicationCause(stopErr)?.type === 'JOB_NOT_RUNNING'
          ? `training job ${jobId} had already ended`
          : `stopping training job ${jobId} failed too (${describeFailure(stopErr)}): it may still be training`;
    }
    return ApplicationFailure.create({
      type,
      message: `${cause?.message ?? describeFailure(err)}; ${outcome}`,
      nonRetryable: true,
      details: cause?.details ? [...cause.details] : undefined,
      cause: err instanceof Error ? err : undefined,
    });
  }

  function result(outcome: SupervisionResult['outcome'], job: TrainingJob): SupervisionResult {
    return {
      jobId,
      provider: input.provider,
      outcome,
      job,
      resumes: st.resumes,
      polls: st.polls,
      runs: st.runs,
    };
  }
}

/** Only a change of status, step, checkpoints or cost is worth a signal to the parent. */
function progressKey(p: SupervisionProgress): string {
  return `${p.status}|${p.step}|${p.checkpointsSeen}|${p.cost}|${p.resumes}`;
}

function record(st: SupervisionState, job: TrainingJob, nowMs: number, rule: StallRule): void {
  st.stall = stallAfterLook(st.stall, job, nowMs, rule);
  const known = new Set(st.checkpointIds);
  const fresh = job.checkpointIds.filter((id) => !known.has(id));
  const seenBefore = st.latest?.checkpointsSeen ?? 0;
  st.checkpointIds = [...st.checkpointIds, ...fresh].slice(-KEEP_CHECKPOINT_IDS);
  const loss = job.metrics.loss;
  const bestLoss = [st.latest?.bestLoss, job.metrics.bestLoss, loss].filter(
    (x): x is number => typeof x === 'number',
  );
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
    bestLoss: bestLoss.length ? Math.min(...bestLoss) : undefined,
    cost: job.cost,
    eta: job.estimatedCompletion,
    checkpointsSeen: seenBefore + fresh.length,
    resumes: st.resumes,
    polls: st.polls,
    runs: st.runs,
    updatedAt: new Date(nowMs).toISOString(),
  };
}

function requireDuration(value: string, field: string): number {
  const ms = parseDuration(value);
  if (ms === undefined)
    throw ApplicationFailure.nonRetryable(
      `${field} must be a duration such as "5m", got "${value}"`,
      'INVALID_INPUT',
    );
  return ms;
}

/** The application failure behind a failure (an activity's or child's cause), if any. */
