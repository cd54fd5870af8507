import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';

/** The failure type of a look that stopped waiting for a read queued behind the rate limit. */
export const PROVIDER_QUEUE_BUSY = 'PROVIDER_QUEUE_BUSY';

/** When each activity attempt's waits end: the first wait of an attempt sets it. */
const attemptDeadlines = new WeakMap<Context, number>();

/**
 * `promise`, or after `ms` a benign retryable failure saying `what` is queued behind the rate limit
 * set by `limitVariable`; the promise goes on (a sweep or a job's read another look will join).
 * Inside an activity, `ms` is the budget of the whole attempt, from its first wait: a look that waits
 * for a sweep and then for its job's own read waits `ms` in all, so a budget well inside the activity's
 * start-to-close ends the look as a poll, never as a timed-out attempt.
 */
export async function waitAtMost<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  limitVariable = 'TENSORONE_MAX_RPS',
): Promise<T> {
  const waitMs = leftOfAttemptBudget(ms);
  let timer: NodeJS.Timeout | undefined;
  const queued = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          ApplicationFailure.create({
            type: PROVIDER_QUEUE_BUSY,
            message: `${what} is queued behind the provider's rate limit (${limitVariable}): looking again`,
            // Waiting for the limit is the limit working: logged at debug level, not as a warning.
            category: ApplicationFailureCategory.BENIGN,
          }),
        ),
      waitMs,
    );
  });
  promise.catch(() => undefined); // what this look stopped waiting for may still fail, unseen here
  try {
    return await Promise.race([promise, queued]);
  } finally {
    clearTimeout(timer);
  }
}

/** `ms`, less what this activity attempt has waited already (all of `ms` outside an activity). */
function leftOfAttemptBudget(ms: number): number {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return ms; // not inside an activity
  }
  const deadline = attemptDeadlines.get(ctx) ?? Date.now() + ms;
  attemptDeadlines.set(ctx, deadline);
  return Math.max(0, deadline - Date.now());
}
