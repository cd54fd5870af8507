import {
  ActivityCancellationType,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * Activity options in one place. Every call has a bounded retry budget: nothing retries forever.
 * Provider calls: quick, retried with backoff (a `Retry-After` overrides the interval).
 */
const PROVIDER_CALL: ActivityOptions = {
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 30 },
};
export const provider = proxyActivities<Activities>(PROVIDER_CALL);

/**
 * The worker's own settings (`providerRateLimits`: no I/O, answered at once), asked as a local activity:
 * its answer is recorded as a marker in the workflow task that asked, without an activity task and the
 * workflow task that would follow it.
 */
export const workerSettings = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 5 },
});

/**
 * A read asked through a read workflow by an activity that retries by itself (a cleanup's protected
 * set): one try, so its failure comes back as a direct call's would, as soon.
 */
export const providerReadOnce = proxyActivities<Activities>({
  ...PROVIDER_CALL,
  retry: { maximumAttempts: 1 },
});

/**
 * A cleanup's one-checkpoint deletions (under a rate limit): when the cleanup is cancelled, the
 * workflow waits for the deletions in flight to end (one request each) instead of walking away, so
 * none lands after the cleanup has released its leases, and each one's outcome is in the history.
 */
export const waitedDeletions = proxyActivities<Activities>({
  ...PROVIDER_CALL,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/**
 * Supervision polls: a provider outage of hours must not end a days-long supervision. A poll is a read,
 * so on cancellation the workflow simply stops waiting for it (nothing to undo, and no cancel request
 * racing the poll's own completion).
 */
export const polling = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  cancellationType: ActivityCancellationType.ABANDON,
  scheduleToCloseTimeout: '6h',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m' },
});

/** Calls that page through many provider pages heartbeat. */
export const paging = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
});

/**
 * A smoke test is one inference request (the HTTP client gives up after 30 s) that beats while it waits
 * (`beatingWhile`): an attempt lost with its worker is retried once 15 s pass without a beat, not when
 * its start-to-close runs out. 15 s: the SDK sends beats at most every 80 % of it (12 s).
 */
const ONE_BEATING_REQUEST: ActivityOptions = { startToCloseTimeout: '45s', heartbeatTimeout: '15s' };

/**
 * Smoke tests: a bounded number of tries, so a model that cannot answer fails the deploy in minutes (at
 * most ~155 s of backoff), not half an hour. Eight, not five: at the chaos run's fault rates (a 5xx in
 * five, a reset or a 429 in twenty: about 0.28 of requests) five tries failed a healthy deploy about once
 * in 600 smoke tests (seen in a fresh-clone CI, 2026-11-27: five resets and 5xx in a row); eight, once
 * in ~26,000.
 */
export const smoke = proxyActivities<Activities>({
  ...ONE_BEATING_REQUEST,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 },
});

/**
 * The probe before a promotion: up to 50 inputs × 2 endpoints, one request at a time (each gives up
 * after 30 s), beating after each. A 429 is retried after its Retry-After; a refusal fails at once.
 */
export const probes = proxyActivities<Activities>({
  startToCloseTimeout: '1h',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumAttempts: 3 },
});

/**
 * A deployment without a status route, asked through its own inference URL: the server retries every
 * "not serving yet" answer (at most every `pollMs`) until the deploy timeout (`timeoutMs`) passes.
 */
export function untilServing(timeoutMs: number, pollMs: number) {
  return proxyActivities<Activities>({
    // A worker that died mid-request is noticed soon, so its retry still fits in the deploy timeout.
    ...ONE_BEATING_REQUEST,
    scheduleToCloseTimeout: timeoutMs,
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: Math.max(5000, pollMs) },
  });
}

/** Notifications: a few quick tries; the pipeline never waits long for, or fails on, a webhook. */
export const notifier = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3 },
});

/**
 * The job watch (`watchTrainingJob`): the server retries it at each look (its `nextRetryDelay`), so
 * backoff matters only for provider errors, capped at the freshness. It hands back at least every
 * `reportEveryMs`; six hours more of provider outage are tolerated, as for `polling`. A stop or cancel
 * cancels the waiting watch at once (TRY_CANCEL: nothing runs between looks).
 */
export function jobWatch(freshnessMs: number, reportEveryMs: number) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: reportEveryMs + freshnessMs + 6 * 3_600_000,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: Math.max(2000, freshnessMs) },
  }).watchTrainingJob;
}

/**
 * The shared protected set (src/activities/protection.ts): calls to Temporal itself and a registry
 * read. A few minutes of tries; after that a cleanup keeps everything, because it cannot know what
 * is in use. Recording (a pipeline's candidate, deployment, pin) tries for as long as a provider call.
 */
export const protection = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  scheduleToCloseTimeout: '5m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6 },
});
export const protectionRecords = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 30 },
});

/**
 * A cleanup's batch of deletions (`deleteCheckpoints`): hundreds of ids in one activity that heartbeats
 * its progress, so a retry resumes where the last heartbeat left off. It beats every 2 s even while
 * requests hang, so 15 s without one means the worker is gone (the SDK sends heartbeats at most every
 * 12 s here: what finished after the last one is reported already gone on the retry, never twice). The
 * start-to-close only bounds one attempt: a slow provider's batch that runs out resumes in the next.
 */
const DELETION_BATCH: ActivityOptions = {
  startToCloseTimeout: '10m',
  heartbeatTimeout: '15s',
  // The budget is the hour, not a count of attempts: on a flaky provider every attempt deletes some of
  // the batch and fails on one (retried after 1 s when it made progress), so a batch of 500 may need
  // many attempts, each of them useful.
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};
export const deletions = proxyActivities<Activities>(DELETION_BATCH);

/**
 * The batch when its cleanup is cancelled: the workflow waits for the batch to stop (it learns of the
 * cancel at its next heartbeat and lets the deletions in flight finish), so none lands after the cleanup
 * has released its leases.
 */
export const waitedDeletionBatches = proxyActivities<Activities>({
  ...DELETION_BATCH,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/**
 * A rollback's check of the former champion, while the operator's `starter rollback` waits: a few quick
 * tries, so the answer (switched, or refused and why) comes within about two minutes.
 */
export const rollbackChecks = proxyActivities<Activities>({
  startToCloseTimeout: '45s',
  scheduleToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 4 },
});
