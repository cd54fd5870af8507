import { ApplicationFailure } from '@temporalio/workflow';
import { deployDoubt, finalCheckpointListed } from '../../decisions/completion';
import type { TrainingJob } from '../../domain/types';
import { paging, provider } from '../activity-stubs';
import { summarized } from '../summaries';
import { heldRead } from '../held-read';
import { readsNewestCheckpointsWithTheJob } from './patches';

/**
 * Fails the pipeline (COMPLETION_DOUBTED, naming the job) when the job may still be training: its
 * failure path then stops the job it owns, keeping a checkpoint, and nothing is deployed or deleted.
 */
export async function requireTrainingEnded(
  jobId: string,
  providerName: 'tensorone' | 'marqtune',
): Promise<void> {
  // The newest checkpoints are asked beside the job's status, not after it: one round trip, and a
  // listing that is not needed (the job has not completed) is never the pipeline's failure.
  const newestAtOnce = providerName === 'tensorone' && readsNewestCheckpointsWithTheJob();
  const newestAhead = newestAtOnce ? heldRead(() => newestCheckpoints(jobId)) : undefined;
  const job: TrainingJob =
    providerName === 'tensorone'
      ? await summarized(provider.getTrainingJob, `look at job ${jobId} before deploying`, jobId)
      : await provider.getMarqtuneModel(jobId);
  let finalCheckpoint: boolean | undefined;
  if (providerName === 'tensorone' && job.status === 'completed') {
    const newest = newestAhead ? await newestAhead() : await newestCheckpoints(jobId);
    finalCheckpoint = finalCheckpointListed(newest);
  } else if (newestAhead) await newestAhead().catch(() => undefined);
  const doubt = deployDoubt(job, { finalCheckpoint });
  if (doubt)
    throw ApplicationFailure.nonRetryable(
      `${doubt}; not deployed, no checkpoint deleted`,
      'COMPLETION_DOUBTED',
    );
}

/**
 * The final checkpoint is the job's newest: the first page of the newest-first list holds it. With
 * metrics, as the candidate's listing: a report built from the history reads both alike.
 */
function newestCheckpoints(jobId: string) {
  return paging.listCheckpoints({
    jobId,
    includeMetrics: true,
    sortBy: 'createdAt',
    sortOrder: 'desc',
    limit: 100,
  });
}
