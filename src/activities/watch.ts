import { recordLook } from './look-metrics';
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { JobStatus, TrainingJob } from '../domain/types';
import { nextLookInMs } from '../decisions/look-cadence';
import { classified } from './failures';
import { PROVIDER_QUEUE_BUSY } from './wait-at-most';
import type { JobSweeps, Sweep } from './job-sweep';
import {
  costReadingDue,
  reachesCostStep,
  isTerminalStatus,
  judgeLook,
  stallAfterLook,
  sweepWindowMs,
  type CostReading,
  type StallState,
  type WatchPlan,
  type WatchReason,
} from '../decisions/supervision';

export interface WatchInput {
  provider: 'tensorone' | 'marqtune';
  jobId: string;
  plan: WatchPlan;
  /** The stall clock as the workflow last knew it. */
  stall: StallState;
  /** Workflow time when the watch was scheduled: the watch's clock starts here. */
  startedAtMs: number;
  /** Wait this long before the first look (0: look at once). */
  firstLookInMs: number;
}

export interface WatchOutcome {
  job: TrainingJob;
  reason: WatchReason;
  stall: StallState;
  /** Provider looks this watch made, over all its attempts. */
  looks: number;
  /** When the provider answered `job`'s figures: the look's time, or the older time of the sweep it read. */
  figuresAtMs?: number;
}

/**
 * The job as the watch's last look saw it: what `status`, `watch` and the live bar show between
 * reports (read from the pending watch's heartbeat details, which add no history event).
 */
export interface LatestLook {
  status: JobStatus;
  epoch?: number;
  totalEpochs?: number;
  step?: number;
  totalSteps?: number;
  percentage?: number;
  loss?: number;
  cost?: number;
  /** When the provider answered the cost shown: the list carries none, so it may be an earlier read. */
  costAt?: string;
  /** When the provider answered the progress and loss shown (a sweep of the list made before the look). */
  readAt?: string;
  /** The provider's estimated completion; none once the job has ended. */
  eta?: string;
  /** When the look was made (the watch's clock), ISO 8601. */
  at: string;
}

/**
 * What a look shows, each figure with when the provider gave it: nothing is shown as newer than it is,
 * and no figure costs a read of its own.
 */
export function latestLookOf(
  job: TrainingJob,
  atMs: number,
  readAt: { figuresMs?: number; costMs?: number } = {},
): LatestLook {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    status: job.status,
    epoch: job.progress.currentEpoch,
    totalEpochs: job.progress.totalEpochs,
    step: job.progress.currentStep,
    totalSteps: job.progress.totalSteps,
    percentage: job.progress.percentage,
    loss: job.metrics.loss,
    cost: job.cost,
    ...(job.cost !== undefined && readAt.costMs !== undefined ? { costAt: iso(readAt.costMs) } : {}),
    ...(readAt.figuresMs !== undefined && readAt.figuresMs < atMs ? { readAt: iso(readAt.figuresMs) } : {}),
    ...(job.estimatedCompletion && !isTerminalStatus(job.status) ? { eta: job.estimatedCompletion } : {}),
    at: iso(atMs),
  };
}

/** Kept between attempts in the heartbeat details: the server hands them to the next attempt. */
export interface BetweenLooks {
  stall: StallState;
  looks: number;
  /** The watch's clock at the next look: its start plus every delay it asked the server for. */
  nextLookAtMs: number;
  /** The status the last answered look saw: a terminal status is acted on once two looks in a row agree. */
  lastStatus?: JobStatus;
  /** Looks that failed in a row (the server retries them with backoff): how often a malformed answer was tried. */
  failedLooks?: number;
  /** The last answered look, for readers of the pending activity (the CLI, the Web UI). */
  latest?: LatestLook;
}

/** A look that found nothing to report: retried by the server at the next look, no workflow task. */
const JOB_UNCHANGED = 'JOB_UNCHANGED';

/** Where looks read a job: the provider's single-job reads, and TensorOne's shared sweeps of its job list. */
export interface WatchSources {
  /** The provider clients' unclassified reads of one job. */
  getJob: Record<WatchInput['provider'], (id: string) => Promise<TrainingJob>>;
  /** Without it every look reads the job itself. */
  sweeps?: JobSweeps;
}

/** Cost readings remembered per job (the list carries no cost): a few hundred bytes each, the oldest dropped. */
const MAX_COST_READINGS = 50_000;

/** What one look saw, and where. */
interface Seen {
  job: TrainingJob;
  /** The job came from a sweep of the list made then. */
  sweptAtMs?: number;
  /** The look consulted a sweep made then (the job may still have been read by itself). */
  sweepAtMs?: number;
  /** How many jobs other than this one that sweep showed. */
  sweptOthers?: number;
  /** When the provider answered the cost the job carries (the list has none: an earlier read's). */
  costReadAtMs?: number;
}

/**
 * Watches a training job between workflow tasks (the `polling/infrequent` pattern): each attempt makes
 * one look and, when there is nothing the workflow must act on or report, fails with a benign failure
 * whose `nextRetryDelay` is the next look, so the server (not a loop here, not the workflow) waits.
 * Steady training then costs no history events or workflow tasks.
 * A terminal status is handed back only once two looks in a row agree (`judgeLook`).
 *
 * A look at a TensorOne job reads the worker process's latest sweep of the documented job list
 * (`sources.sweeps`, one sweep per freshness window for every watch in the process) and asks for its
 * next look when that sweep grows too old (one that showed no other job: when it is a freshness old,
 * `nextLookInMs`); it reads the job itself (`GET /v2/training/jobs/{id}`) only
 * for what the list does not carry: a job the sweep did not show (it ended, or is in a status the list
 * filters do not name), the look that confirms a terminal status (and brings its checkpoints), and the
 * cost of a job with a budget when the cost may be near it (`costReadingDue`). A Marqtune model is read
 * by itself at every look.
 *
 * The watch classifies read failures itself, counting its failed looks in a row as the tries (its
 * attempts are its looks, not tries of one call).
 */
export function watchActivities(sources: WatchSources) {
  const costReadings = new Map<string, CostReading>();
  function rememberCost(job: TrainingJob, atMs: number): void {
    if (job.cost === undefined) return;
    costReadings.delete(job.id);
    costReadings.set(job.id, { cost: job.cost, percentage: job.progress.percentage, atMs });
    if (costReadings.size > MAX_COST_READINGS) costReadings.delete(costReadings.keys().next().value!);
  }

  /**
   * The job as this look sees it: from the latest sweep when that carries all the look needs.
   * `expected`: the status the previous look saw.
   */
  async function look(
    input: WatchInput,
    nowMs: number,
    ownRead: boolean,
    tries: number,
    expected: JobStatus | undefined,
  ): Promise<Seen> {
    const readItself = async (sweepAtMs?: number, sweptOthers?: number): Promise<Seen> => {
      const job = await sources.getJob[input.provider](input.jobId);
      rememberCost(job, nowMs);
      return { job, sweepAtMs, sweptOthers, costReadAtMs: nowMs };
    };
    if (input.provider !== 'tensorone' || !sources.sweeps || ownRead) return readItself();
    const { plan } = input;
    let sweep: Sweep;
    try {
      const sweeps = sources.sweeps;
      const windowMs = sweepWindowMs(plan.freshnessMs);
      const read = (status: JobStatus | undefined) =>
        classified(() => sweeps.fresh(nowMs, windowMs, status), { tries });
      // A job of no known status is looked for among the running jobs first: the pending jobs are
      // swept for it only when it is not there.
      sweep = await read(expected ?? 'running');
      if (expected === undefined && !sweep.jobs.has(input.jobId)) sweep = await read(undefined);
    } catch (err) {
      // A list this provider refuses (no such route, a filter it does not know): the job's own read
      // still tells its status. A 429, a 5xx or a malformed answer fails the look like a failed read.
      if (err instanceof ApplicationFailure && err.nonRetryable && err.type !== 'MALFORMED_RESPONSE') {
        sources.sweeps.refused(nowMs);
        return readItself(nowMs);
      }
      throw err;
    }
    const listed = sweep.jobs.get(input.jobId);
    const others = sweep.jobs.size - (listed ? 1 : 0);
    if (!listed) return readItself(sweep.takenAtMs, others);
    const reading = costReadings.get(input.jobId);
    if (
      listed.status === 'running' &&
      (costReadingDue(plan.maxCost, reading, listed.progress.percentage, nowMs, 2 * plan.freshnessMs) ||
        reachesCostStep(plan, listed))
    )
      return readItself(sweep.takenAtMs, others);
    // The newer of the list's cost (the documents' list has none) and the last read of the job itself.
    const listedCost = listed.cost !== undefined ? { cost: listed.cost, atMs: sweep.takenAtMs } : undefined;
    const cost = reading && (!listedCost || reading.atMs > listedCost.atMs) ? reading : listedCost;
    const job = { ...listed, cost: cost?.cost };
    return {
      job,
      sweptAtMs: sweep.takenAtMs,
      sweepAtMs: sweep.takenAtMs,
      sweptOthers: others,
      costReadAtMs: cost?.atMs,
    };
  }

  return {
    async watchTrainingJob(input: WatchInput): Promise<WatchOutcome> {
      const ctx = Context.current();
      const carried = ctx.info.heartbeatDetails as BetweenLooks | undefined;
      if (!carried && input.firstLookInMs > 0) {
        ctx.heartbeat({
          stall: input.stall,
          looks: 0,
          nextLookAtMs: input.startedAtMs + input.firstLookInMs,
        } satisfies BetweenLooks);
        throw lookLater(input.firstLookInMs);
      }
      // Workflow time of this look: the watch's start plus the delays it asked the server for, which
      // holds on a test server's virtual time as on a real one. The host clock only moves it forward:
      // after a provider error the server waited a backoff this reckoning does not know, and a clock
      // that lagged behind would make a healthy job look stalled.
      const now = Math.max(carried?.nextLookAtMs ?? input.startedAtMs, Date.now());
      const failedLooks = (carried?.failedLooks ?? 0) + 1;
      // The previous look saw a new terminal status (and asked for this look to confirm it).
      const doubted = carried?.lastStatus;
      const confirming =
        doubted !== undefined && isTerminalStatus(doubted) && doubted !== input.plan.knownStatus;
      const previousStatus = carried?.lastStatus ?? input.plan.knownStatus;
      const judge = (look: Seen) => {
        // Progress in a sweep was there when the sweep was made: the stall clock counts from then.
        const stall = stallAfterLook(carried?.stall ?? input.stall, look.job, look.sweptAtMs ?? now);
        return { stall, verdict: judgeLook(input.plan, look.job, stall, now, previousStatus) };
      };
      let seen: Seen;
      let judged: ReturnType<typeof judge>;
      try {
        seen = await classified(() => look(input, now, confirming, failedLooks, previousStatus), {
          tries: failedLooks,
        });
        judged = judge(seen);
        // The workflow acts on what a watch hands back (stops, resumes the job): never on a sweep made
        // before this watch began, which may show the job as it was before the workflow's last act.
        const { verdict } = judged;
        if (
          seen.sweptAtMs !== undefined &&
          seen.sweptAtMs < input.startedAtMs &&
          'report' in verdict &&
          verdict.report !== 'report-due'
        ) {
          seen = await classified(() => look(input, now, true, failedLooks, previousStatus), {
            tries: failedLooks,
          });
          judged = judge(seen);
        }
      } catch (err) {
        // The server retries a retryable failure with backoff; the next attempt must know this one failed.
        // A read queued behind the rate limit is no failed look: it must not bring a malformed answer's
        // last try nearer.
        const queued = err instanceof ApplicationFailure && err.type === PROVIDER_QUEUE_BUSY;
        ctx.heartbeat({
          stall: carried?.stall ?? input.stall,
          looks: carried?.looks ?? 0,
          nextLookAtMs: now,
          lastStatus: carried?.lastStatus,
          failedLooks: queued ? (carried?.failedLooks ?? 0) : failedLooks,
          latest: carried?.latest,
        } satisfies BetweenLooks);
        throw err;
      }
      const { job } = seen;
      // Since the look before: this watch's last one, else the workflow's look that scheduled the watch.
      const previousLookAtMs = carried?.latest ? Date.parse(carried.latest.at) : input.startedAtMs;
      recordLook(input.provider, Date.now() - previousLookAtMs, input.plan.freshnessMs);
      const { stall, verdict } = judged;
      const looks = (carried?.looks ?? 0) + 1;
      if (confirming && doubted !== job.status)
        log.warn(`job ${input.jobId} answered "${doubted}" once, then "${job.status}": not acted on`, {
          jobId: input.jobId,
        });
      if ('report' in verdict)
        return { job, reason: verdict.report, stall, looks, figuresAtMs: seen.sweptAtMs ?? now };
      const latest = latestLookOf(job, now, {
        figuresMs: seen.sweptAtMs,
        costMs: seen.costReadAtMs,
      });
      // A look that read a sweep comes back when the sweep grows too old (`nextLookInMs`): every watch
      // of the process looks soon after each sweep, and a job the sweep missed (new since) is read by
      // itself at most once per sweep. A doubted end is confirmed after the minimum interval.
      const lookAgainInMs = nextLookInMs({
        lookAgainInMs: verdict.lookAgainInMs,
        confirming: verdict.confirming !== undefined,
        sweep:
          seen.sweepAtMs === undefined
            ? undefined
            : { takenAtMs: seen.sweepAtMs, otherJobs: seen.sweptOthers },
        jobId: input.jobId,
        freshnessMs: input.plan.freshnessMs,
        nowMs: now,
      });
      ctx.heartbeat({
        stall,
        looks,
        nextLookAtMs: now + lookAgainInMs,
        lastStatus: job.status,
        latest,
      } satisfies BetweenLooks);
      throw lookLater(lookAgainInMs, verdict.confirming, { jobId: input.jobId, look: latest, looks });
    },
  };
}

/** One line saying what a look saw: the "Last Failure" the Web UI shows for a pending watch. */
export function lookLine(look: LatestLook): string {
  const of = (a?: number, b?: number) => `${a ?? '-'}/${b ?? '-'}`;
  const parts = [
    `${look.status} epoch ${of(look.epoch, look.totalEpochs)} step ${of(look.step, look.totalSteps)}`,
  ];
  if (look.loss !== undefined) parts.push(`loss ${look.loss.toFixed(4)}`);
  if (look.cost !== undefined) parts.push(`cost $${look.cost.toFixed(2)}`);
  return parts.join(' ');
}

/**
 * Not an error: the server's retry is the wait until the next look. The Web UI still shows it as the
 * pending activity's "Last Failure" with an attempts count (it has no other place for a poll), so the
 * message reads as a poll log line and it carries no stack trace.
 */
function lookLater(
  delayMs: number,
  confirming?: JobStatus,
  seen?: { jobId: string; look: LatestLook; looks: number },
): ApplicationFailure {
  const wait = delayMs < 10_000 ? `${(delayMs / 1000).toFixed(1)} s` : `${Math.round(delayMs / 1000)} s`;
  const saw = seen
    ? `polling, not failing: look ${seen.looks} at job ${seen.jobId}: ${lookLine(seen.look)}; `
    : '';
  const failure = ApplicationFailure.create({
    type: JOB_UNCHANGED,
    message: confirming
      ? `${saw}the job answered "${confirming}": looking again in ${wait} to confirm`
      : `${saw || 'polling, not failing: '}nothing to report yet; next look in ${wait}`,
    nextRetryDelay: Math.max(1, Math.round(delayMs)),
    // An expected outcome, logged at debug level, not as a warning per look.
    category: ApplicationFailureCategory.BENIGN,
  });
  failure.stack = ''; // the UI would show a stack trace of this file: nothing failed
  return failure;
}
