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
}

/** Kept between attempts in the heartbeat details: the server hands them to the next attempt. */
interface BetweenLooks {
  stall: StallState;
  looks: number;
  /** The watch's clock at the next look: its start plus every delay it asked the server for. */
  nextLookAtMs: number;
}

/** A look that found nothing to report: retried by the server at the next look, no workflow task. */
const JOB_UNCHANGED = 'JOB_UNCHANGED';

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
      const job = await getJob[input.provider](input.jobId);
      const looks = (carried?.looks ?? 0) + 1;
      const stall = stallAfterLook(carried?.stall ?? input.stall, job, now);
      const verdict = judgeLook(input.plan, job, stall, now);
      if ('report' in verdict) return { job, reason: verdict.report, stall, looks };
      ctx.heartbeat({ stall, looks, nextLookAtMs: now + verdict.lookAgainInMs } satisfies BetweenLooks);
      throw lookLater(verdict.lookAgainInMs);
    },
  };
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
