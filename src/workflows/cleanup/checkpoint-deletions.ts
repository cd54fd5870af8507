import { provider, waitedDeletions } from '../activity-stubs';
import { summarized } from '../summaries';
import type { DeletionOutcome, DeletionsAtProviderRateInput } from './contract';
import { waitsForDeletionsInFlight } from './patches';

/**
 * One cleanup batch's deletions when the provider has a configured rate limit: one `deleteCheckpoint`
 * activity per checkpoint, on the provider's task queue, so the Temporal server holds every request to
 * the fleet's `TENSORONE_MAX_RPS` (a heartbeating batch is one dispatch for hundreds of requests). A
 * child per batch keeps the cleanup's own history at one step per batch; this history holds at most a
 * batch (500 deletions). A retry never deletes twice: finished activities are not run again; a 404 is
 * "already gone" on a first attempt and "answer lost" (this run's deletion) on a retried one.
 */
export async function deleteCheckpointsAtProviderRate(
  input: DeletionsAtProviderRateInput,
): Promise<{ outcomes: DeletionOutcome[] }> {
  const outcomes: DeletionOutcome[] = [];
  const concurrency = Math.max(1, input.concurrency);
  const waits = waitsForDeletionsInFlight();
  const stubs = waits ? waitedDeletions : provider;
  for (let i = 0; i < input.checkpoints.length; i += concurrency) {
    const slice = input.checkpoints.slice(i, i + concurrency);
    const deleting = slice.map((c) =>
      summarized(
        stubs.deleteCheckpoint,
        `delete checkpoint ${c.id} of job ${input.jobId} (${c.reason})`,
        c.id,
      ),
    );
    const answers = waits ? await allSettledOrFirstFailure(deleting) : await Promise.all(deleting);
    slice.forEach((c, k) => {
      const { alreadyGone, answerLost } = answers[k]!;
      outcomes.push(
        answerLost ? { checkpointId: c.id, alreadyGone, answerLost } : { checkpointId: c.id, alreadyGone },
      );
    });
  }
  return { outcomes };
}

/** Every promise's value once all have settled; the first failure (in order) once all have settled. */
async function allSettledOrFirstFailure<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}
