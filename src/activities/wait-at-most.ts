import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';

/** The failure type of a look that stopped waiting for a read queued behind the rate limit. */
export const PROVIDER_QUEUE_BUSY = 'PROVIDER_QUEUE_BUSY';

/**
 * `promise`, or after `ms` a benign retryable failure saying `what` is queued behind the rate limit
 * set by `limitVariable`; the promise goes on (a sweep or a job's read another look will join).
 */
export async function waitAtMost<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  limitVariable = 'TENSORONE_MAX_RPS',
): Promise<T> {
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
      ms,
    );
  });
  promise.catch(() => undefined); // what this look stopped waiting for may still fail, unseen here
  try {
    return await Promise.race([promise, queued]);
  } finally {
    clearTimeout(timer);
  }
}
