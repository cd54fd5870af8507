import { patched } from '@temporalio/workflow';
import { releasedPatch } from '../released-patch';

// What changed in the cleanup (and its deletion child) since its first release. Each history recorded
// before a change replays on the path it was recorded on (test/histories/cleanup-*.json).

/** Every cleanup asks the shared protected set (src/activities/protection.ts), per job, before planning. */
export const asksSharedProtectedSet = () => releasedPatch('cleanup-shared-protected-set');

/**
 * Every deletion is leased from the protection registry first: a pipeline that claimed a checkpoint
 * after this cleanup planned (but before it deletes) keeps it, and one that claims later is told.
 */
export const leasesDeletions = () => releasedPatch('cleanup-leases-deletions');

/**
 * A batch's granted deletions run inside heartbeating activities (`deleteCheckpoints`), up to
 * DELETION_BATCH ids each, instead of one activity per checkpoint: history grows by one activity per
 * batch, and the deletions run near the provider's capacity. The listing that plans them asks its pages
 * `concurrency` at a time (a job of 10,000 checkpoints is 100 pages).
 */
export const batchesDeletions = () => releasedPatch('cleanup-batched-deletions');

/**
 * Under a configured TensorOne rate limit, a batch's deletions run as one activity per checkpoint on
 * the provider's task queue (in a child workflow per batch), where the server holds them to the limit.
 */
export const holdsDeletionsToProviderRate = () => releasedPatch('cleanup-deletions-held-to-provider-rate');

/**
 * A cancelled cleanup waits for its deletion batch to stop (the deletions in flight to finish) before it
 * releases its leases: none lands after a pipeline may claim the checkpoint.
 */
export const waitsForCancelledBatch = () => releasedPatch('cleanup-waits-for-cancelled-deletion-batch');

/**
 * The worker's rate limits are asked as a local activity (a marker in the workflow task that asks)
 * instead of an activity task: one round trip less per cleanup, the same answer in the history.
 */
export const asksRateLimitsLocally = () => releasedPatch('cleanup-asks-rate-limits-locally');

/**
 * The deletion child (`deleteCheckpointsAtProviderRate`): a batch that is cancelled, or fails on one
 * deletion, ends only after the deletions in flight: none lands after the cleanup released its leases
 * (a pipeline may claim the checkpoint then), and each one's outcome is in this history.
 */
export const waitsForDeletionsInFlight = () =>
  releasedPatch('deletions-at-provider-rate-wait-for-those-in-flight');

/**
 * A job's first checkpoint listing is asked together with its shared protected set (one round trip
 * instead of two); the deletions the plan makes are still leased from the registry before they run.
 */
export const listsWithProtectedSet = () => releasedPatch('cleanup-lists-with-protected-set');

/**
 * A batch's lease, its deletions and (on the job's last batch) the release are one activity
 * (`leaseAndDeleteCheckpoints`) instead of three: two activity tasks and two workflow tasks fewer per
 * job. The lease still comes before any deletion and the release after the last one. Heartbeating
 * batches only (no provider rate limit), and only a batch that fits one activity.
 */
export const leasesWithDeletions = () => patched('cleanup-leases-with-its-deletions');
