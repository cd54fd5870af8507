import { CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import type { WatchOutcome } from '../../activities/watch';
import { nextPollDelayMs, remainingMs, reportByMs } from '../../decisions/supervision';
import { endReportByMs } from '../../decisions/terminal-status';
import type { TrainingJob } from '../../domain/types';
import { jobWatch, polling } from '../activity-stubs';
import { shortTime, summarized } from '../summaries';
import { earlyStopping, epochToReportAt, type Supervision } from './state';
import { costReportAtPercentage } from './cost-steps';
import { stopOnRequest } from './stop';

/** One look at the job (one poll activity). */
export function fetchJob(sup: Supervision): Promise<TrainingJob> {
  return sup.tensorone ? polling.getTrainingJob(sup.jobId) : polling.getMarqtuneModel(sup.jobId);
}

/** A job as a look saw it, and when the provider answered its figures (a sweep may be older than the look). */
export interface Look {
  job: TrainingJob;
  figuresAtMs: number;
}

/** The job at the next report: a watch's looks, each one retry of its activity; an operator's stop ends it. */
export async function watchUntilReport(sup: Supervision): Promise<Look> {
  const outcome = await watchJob(sup);
  if (!outcome) return await stopOnRequest(sup);
  sup.st.stall = outcome.stall;
  sup.st.polls += outcome.looks;
  // Watches before `figuresAtMs` handed back what they read at the workflow's time.
  return { job: outcome.job, figuresAtMs: outcome.figuresAtMs ?? Date.now() };
}

/** The job, looked at once (supervisions started before the watch: a timer and a poll per look). */
export async function lookOnce(sup: Supervision): Promise<Look> {
  const job = await fetchJob(sup);
  sup.st.polls += 1;
  return { job, figuresAtMs: Date.now() };
}

/** The job at the next report, or undefined when a stop was requested first (the watch is cancelled). */
async function watchJob(sup: Supervision): Promise<WatchOutcome | undefined> {
  if (sup.stopRequested) return undefined;
  const { input, jobId, st, timings } = sup;
  const now = () => Date.now(); // workflow time: deterministic
  const reportBy = Math.min(
    reportByMs(now(), timings.reportEveryMs, Math.random(), {
      sinceMs: st.firstUnknownAtMs,
      graceMs: timings.unknownGraceMs,
    }),
    // A sighted end is looked at again when its confirmation window (or a contradicted one's grace) ends.
    st.endSighting
      ? endReportByMs(st.endSighting, { windowMs: timings.terminalWindowMs, graceMs: timings.unknownGraceMs })
      : Number.POSITIVE_INFINITY,
  );
  const reportAtPercentage = costReportAtPercentage(sup);
  const scope = new CancellationScope();
  sup.watchScope = scope;
  try {
    return await scope.run(() =>
      summarized(
        jobWatch(timings.freshnessMs, timings.reportEveryMs),
        `look at job ${jobId} every ${input.minInterval}–${input.freshness} until it changes or ${shortTime(reportBy)}; each look is one retry`,
        {
          provider: input.provider,
          jobId,
          stall: st.stall,
          startedAtMs: now(),
          firstLookInMs: Math.max(0, sup.nextLookAtMs - now()),
          plan: {
            knownStatus: sup.lastLook?.status,
            segmentStartedAtMs: st.segmentStartedAtMs,
            reportByMs: reportBy,
            freshnessMs: timings.freshnessMs,
            minIntervalMs: timings.minIntervalMs,
            stallAfterMs: timings.stallAfterMs,
            maxCost: input.maxCost,
            ...(earlyStopping(sup) ? { reportAtEpoch: epochToReportAt(sup) } : {}),
            ...(reportAtPercentage !== undefined ? { reportAtPercentage } : {}),
          },
        },
      ),
    );
  } catch (err) {
    // Cancelled by the stop signal (not by a cancel of the whole workflow): the operator's stop.
    if (isCancellation(err) && sup.stopRequested && !CancellationScope.current().consideredCancelled)
      return undefined;
    throw err;
  } finally {
    sup.watchScope = undefined;
  }
}

/** How long until the next look: frequent near the start and the ETA, never above the freshness. */
export function nextLookDelayMs(sup: Supervision, job: TrainingJob): number {
  const now = Date.now();
  return nextPollDelayMs({
    elapsedMs: now - sup.st.segmentStartedAtMs,
    remainingMs: remainingMs(job, now),
    freshnessMs: sup.timings.freshnessMs,
    minIntervalMs: sup.timings.minIntervalMs,
  });
}

/** Waits for the next look (supervisions started before the watch); an operator's stop ends the wait. */
export async function sleepUnlessStopped(sup: Supervision, delayMs: number): Promise<void> {
  if (await condition(() => sup.stopRequested !== undefined, delayMs)) await stopOnRequest(sup);
}
