import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { TrainingJob } from '../domain/types';
import {
  judgeLook,
  stallAfterLook,
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
  /** The first look is not before this (workflow time of the last look plus the poll delay). */
  firstLookAtMs: number;
}

export interface WatchOutcome {
  job: TrainingJob;
  reason: WatchReason;
  stall: StallState;
  /** Provider looks this watch made, over all its attempts. */
  looks: number;
}

/** Kept between attempts in the heartbeat details: the server hands them to the next attempt. */
interface BetweenLooks {
  stall: StallState;
  looks: number;
  nextLookAtMs: number;
}

/** A look that found nothing to report: retried by the server at the next look, no workflow task. */
export const JOB_UNCHANGED = 'JOB_UNCHANGED';

/**
 * Watches a training job between workflow tasks (the `polling/infrequent` pattern): each attempt makes
 * one look and, when there is nothing the workflow must act on or report, fails with a benign failure
 * whose `nextRetryDelay` is the next look, so the server (not a loop here, not the workflow) waits.
 * Steady training then costs one provider call per look and no history events or workflow tasks.
 */
export function watchActivities(
  getJob: Record<WatchInput['provider'], (id: string) => Promise<TrainingJob>>,
) {
  return {
    async watchTrainingJob(input: WatchInput): Promise<WatchOutcome> {
      const ctx = Context.current();
      const carried = ctx.info.heartbeatDetails as BetweenLooks | undefined;
      let stall = carried?.stall ?? input.stall;
      const looks = (carried?.looks ?? 0) + 1;
      const dueInMs = (carried?.nextLookAtMs ?? input.firstLookAtMs) - serverNowMs();
      if (dueInMs > 0) throw lookLater(dueInMs);

      const job = await getJob[input.provider](input.jobId);
      const now = serverNowMs();
      stall = stallAfterLook(stall, job, now);
      const verdict = judgeLook(input.plan, job, stall, now);
      if ('report' in verdict) return { job, reason: verdict.report, stall, looks };
      const next: BetweenLooks = { stall, looks, nextLookAtMs: now + verdict.lookAgainInMs };
      ctx.heartbeat(next);
      throw lookLater(verdict.lookAgainInMs);
    },
  };
}

/**
 * Times here are compared with the workflow's (server) clock: never behind the moment the server
 * scheduled this attempt, whatever this worker's clock says (a skewed host, or a test server on
 * virtual time).
 */
function serverNowMs(): number {
  return Math.max(Date.now(), Context.current().info.currentAttemptScheduledTimestampMs);
}

function lookLater(delayMs: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: JOB_UNCHANGED,
    message: `nothing to report yet; next look in ${Math.round(delayMs / 1000)} s`,
    nextRetryDelay: Math.max(1, Math.round(delayMs)),
    // An expected outcome, logged at debug level, not as a warning per look.
    category: ApplicationFailureCategory.BENIGN,
  });
}
