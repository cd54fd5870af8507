import { ContinueAsNew, isCancellation } from '@temporalio/workflow';
import { cleanupMetrics } from '../metrics';
import type { CleanupInput, CleanupResult } from './contract';
import { listenForDeployment, untilDeploymentServes } from './go-ahead';
import { cleanJob } from './job';
import { matchingJobs } from './jobs';
import { endpointCheckpoints } from './protected';
import { cleanupResult } from './record';
import { carriedOver, cleanupMode, type CleanupRun } from './run';

/**
 * Deletes old checkpoints by a retention policy, for one job or every job matching a filter. Never
 * touches best, final or protected checkpoints — the same set for every cleanup, whoever started it:
 * candidates of pipelines in flight, pins, everything deployed (src/decisions/protection.ts); when
 * that set cannot be determined the job's checkpoints are all kept and the result says why. Pages
 * through all checkpoints, bounds deletions per run, treats 404 as already deleted, and its result
 * lists each deleted checkpoint with its reason: the workflow history is the audit trail. Runs on a
 * Temporal Schedule (see src/schedules/cleanup-schedule.ts), never a loop of its own.
 */
export async function checkpointCleanup(input: CleanupInput): Promise<CleanupResult> {
  try {
    const result = await cleanUp(input);
    cleanupMetrics.ended('completed');
    return result;
  } catch (err) {
    // A continue-as-new is the same cleanup going on; a cancel is the operator's.
    if (!(err instanceof ContinueAsNew) && !isCancellation(err)) cleanupMetrics.ended('failed');
    throw err;
  }
}

/** The jobs, how this run deletes, what is kept in every job; then each job in turn, until `maxDeletes`. */
async function cleanUp(input: CleanupInput): Promise<CleanupResult> {
  const goAhead = listenForDeployment(input);
  const carry = carriedOver(input.carried);
  const jobIds = input.jobIds ?? (await matchingJobs(input.jobFilter));
  const mode = await cleanupMode(input);
  const givenIds = [...(input.protectedCheckpointIds ?? []), ...(await endpointCheckpoints(mode))];
  const run: CleanupRun = { input, jobIds, mode, carry, givenIds, batchesStarted: 0, goAhead };
  let truncated = false;
  for (const jobId of jobIds) {
    if (carry.jobsDone.includes(jobId)) continue;
    truncated = await cleanJob(run, jobId);
    carry.jobsDone.push(jobId);
    if (truncated) break;
  }
  // A pipeline's cleanup that had nothing to lease still ends only once its pipeline's deployment serves.
  await untilDeploymentServes(run);
  return cleanupResult(run, truncated);
}
