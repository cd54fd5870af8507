import { CancellationScope, CancelledFailure, sleep, workflowInfo } from '@temporalio/workflow';
import type { PipelineSpec } from '../../domain/pipeline-input';
import { paging, provider } from '../activity-stubs';
import type { PipelineResult, PipelineStatus } from './contract';
import { add, leftovers } from './status';
import { ownsRunResources } from './patches';

/**
 * After a create in doubt, the job list is read again once this long has passed: a provider that acts
 * on a create after the client gave up has done so by then. Supervision's end reads it once more.
 */
const LATE_CREATE_WINDOW_MS = 5 * 60_000;

/** What this run created, for undoing it when the pipeline does not end deployed. */
export interface RunSafety {
  owned: boolean;
  /** Name basis passed to creating activities: the workflow id and this run. */
  nameBasis?: string;
  /** The job this run created or adopted, its name, and whether its create was in doubt. */
  job?: { id: string; name: string; inDoubt: boolean };
}

export function runSafety(): RunSafety {
  const owned = ownsRunResources();
  return { owned, nameBasis: owned ? runNameBasis() : undefined };
}

/** The run's name basis: a rerun under the same workflow id names (and so creates) its resources anew. */
function runNameBasis(): string {
  const info = workflowInfo();
  return `${info.workflowId}--r${info.runId.replace(/-/g, '').slice(0, 12)}`;
}

export function throwIfCancelled(): void {
  if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('pipeline cancelled');
}

/** Stops every other job carrying this run's job name (made by a create acted on after its answer was lost). */
export async function stopDuplicates(status: PipelineStatus, safety: RunSafety): Promise<void> {
  if (!safety.job) return;
  const { duplicates } = await paging.stopDuplicateTrainingJobs({
    name: safety.job.name,
    keepJobId: safety.job.id,
  });
  for (const id of duplicates) add(status, 'duplicateJobs', id);
}

/**
 * After a create in doubt, looks for its duplicates again once the late-create window has passed.
 * Runs alongside supervision; its failure or cancellation is covered by the reads after it.
 */
export function stopLateDuplicates(status: PipelineStatus, safety: RunSafety): void {
  if (safety.job?.inDoubt)
    void sleep(LATE_CREATE_WINDOW_MS)
      .then(() => stopDuplicates(status, safety))
      .catch(() => undefined);
}

/** A pipeline that did not end deployed: its job stops with a saved checkpoint; duplicates are stopped. */
async function undoAfterEnd(spec: PipelineSpec, status: PipelineStatus, safety: RunSafety): Promise<void> {
  if (!safety.job || spec.train.kind !== 'tensorone') return;
  const { stopped, status: jobStatus } = await provider.stopTrainingJobIfRunning({
    jobId: safety.job.id,
    reason: 'pipeline ended without deploying',
  });
  // Stopped now, or already by the supervision when the cancel reached it first.
  if (stopped || jobStatus === 'stopped') add(status, 'stoppedJobs', safety.job.id);
  if (safety.job.inDoubt) await stopDuplicates(status, safety);
}

/** Undoes what this run started (not cancellable); resolves to the failure of that, if any. */
export function undoBilled(spec: PipelineSpec, status: PipelineStatus, safety: RunSafety): Promise<unknown> {
  return CancellationScope.nonCancellable(() =>
    undoAfterEnd(spec, status, safety).then(
      () => undefined,
      (e: unknown) => e,
    ),
  );
}

/** The result of a pipeline an operator cancelled: what it stopped, removed or left running. */
export function cancelledResult(
  status: PipelineStatus,
  safety: RunSafety,
  leftRunning: PipelineStatus['deployment'],
): PipelineResult {
  return {
    ...leftovers(status),
    // Cancelled while cleaning up: the verified deployment serves on, and the result says so.
    ...(safety.owned && status.deployment?.status === 'active' ? { deployment: status.deployment } : {}),
    outcome: 'cancelled',
    provider: status.provider,
    jobId: status.jobId,
    ...(leftRunning ? { deployment: leftRunning } : {}),
    deletedCheckpoints: [],
    bytesReclaimed: 0,
    cost: status.training?.cost,
    resumes: status.training?.resumes ?? 0,
    budgetStopped: false,
  };
}
