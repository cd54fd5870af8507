import { ApplicationFailure } from '@temporalio/workflow';
import { deployDoubt, finalCheckpointListed } from '../../decisions/completion';
import type { TrainingJob } from '../../domain/types';
import { paging, provider } from '../activity-stubs';
import { summarized } from '../summaries';

/**
 * Fails the pipeline (COMPLETION_DOUBTED, naming the job) when the job may still be training: its
 * failure path then stops the job it owns, keeping a checkpoint, and nothing is deployed or deleted.
 */
export async function requireTrainingEnded(
  jobId: string,
  providerName: 'tensorone' | 'marqtune',
): Promise<void> {
  const job: TrainingJob =
    providerName === 'tensorone'
      ? await summarized(provider.getTrainingJob, `look at job ${jobId} before deploying`, jobId)
      : await provider.getMarqtuneModel(jobId);
  let finalCheckpoint: boolean | undefined;
  if (providerName === 'tensorone' && job.status === 'completed') {
    // The final checkpoint is the job's newest: the first page of the newest-first list holds it.
    // With metrics, as the candidate's listing: a report built from the history reads both alike.
    const newest = await paging.listCheckpoints({
      jobId,
      includeMetrics: true,
      sortBy: 'createdAt',
      sortOrder: 'desc',
      limit: 100,
    });
    finalCheckpoint = finalCheckpointListed(newest);
  }
  const doubt = deployDoubt(job, { finalCheckpoint });
  if (doubt)
    throw ApplicationFailure.nonRetryable(
      `${doubt}; not deployed, no checkpoint deleted`,
      'COMPLETION_DOUBTED',
    );
}
