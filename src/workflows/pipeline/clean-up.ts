import { CancellationScope, executeChild, startChild, workflowInfo } from '@temporalio/workflow';
import type { PipelineSpec } from '../../domain/pipeline-input';
import { checkpointCleanup } from '../cleanup';
import type { CandidateSummary, PipelineStatus } from './contract';
import { deploymentServesSignal, type CleanupInput, type CleanupResult } from '../cleanup/contract';
import type { KnownCheckpoints } from './operator-updates';

/** Whether this pipeline cleans up its job's old checkpoints: when enabled, and only on TensorOne. */
export function cleansUp(spec: PipelineSpec, status: PipelineStatus): boolean {
  return spec.cleanup.enabled && status.provider === 'tensorone';
}

/** The cleanup child: old checkpoints of the job by the retention policy, never the chosen or a pinned one. */
export function cleanUpCheckpoints(
  spec: PipelineSpec,
  jobId: string,
  candidate: CandidateSummary,
  status: PipelineStatus,
): Promise<CleanupResult> {
  return executeChild(checkpointCleanup, cleanupChild(spec, jobId, candidate, status));
}

/** The cleanup child started beside the deployment: told when that serves, or that it is not needed. */
export interface CleanupAhead {
  /** The child's run once started (then the promotion's activity may tell it); undefined before. */
  startedRun(): { workflowId: string; runId: string } | undefined;
  /**
   * The deployment serves: the child goes on (keeping what was pinned since its start), told here
   * unless the promotion's activity told it already; its result.
   */
  deploymentServes(pinned: string[], alreadyTold?: boolean): Promise<CleanupResult>;
  /**
   * The pipeline will not get there (it failed, or was cancelled): the child is cancelled, having
   * deleted nothing, and has ended when this resolves — the pipeline never ends before its child.
   */
  notNeeded(): Promise<void>;
}

/**
 * Starts the cleanup child now, in the same workflow task as the deployment's first step: it lists the
 * job's checkpoints and asks what is in use while the pipeline deploys, and leases nothing until told
 * the deployment serves (`awaitsDeployment`). A cancel of the pipeline cancels it too.
 */
export function startCleanupAhead(
  spec: PipelineSpec,
  jobId: string,
  candidate: CandidateSummary,
  status: PipelineStatus,
): CleanupAhead {
  const scope = new CancellationScope();
  const options = cleanupChild(spec, jobId, candidate, status, { awaitsDeployment: true });
  const started = scope.run(() => startChild(checkpointCleanup, options));
  // The run, once started. A start that failed is handled here too (no unhandled rejection), and
  // reported when the deployment serves: `deploymentServes` awaits the start again.
  let run: { workflowId: string; runId: string } | undefined;
  started.then(
    (child) => void (run = { workflowId: child.workflowId, runId: child.firstExecutionRunId }),
    () => undefined,
  );
  return {
    startedRun: () => run,
    async deploymentServes(pinned, alreadyTold = false) {
      const child = await started;
      // A child that has ended (told by an earlier attempt of the promotion, or failed on its own)
      // cannot be signalled: its result says how it ended.
      if (!alreadyTold)
        await child.signal(deploymentServesSignal, { protectedCheckpointIds: pinned }).catch(() => undefined);
      return child.result();
    },
    async notNeeded() {
      scope.cancel();
      const child = await started.catch(() => undefined);
      // Only its end is awaited: the child's own failure is the cancel the pipeline asked for.
      if (child)
        await CancellationScope.nonCancellable(() =>
          child.result().then(
            () => undefined,
            () => undefined,
          ),
        );
    },
  };
}

function cleanupChild(
  spec: PipelineSpec,
  jobId: string,
  candidate: CandidateSummary,
  status: PipelineStatus,
  more: Pick<CleanupInput, 'awaitsDeployment'> = {},
) {
  return {
    workflowId: `${workflowInfo().workflowId}/cleanup`,
    staticSummary: `delete old checkpoints of job ${jobId} (keep the newest ${spec.cleanup.retention.keepLastN ?? 3}, the chosen and pinned)`,
    args: [
      {
        jobIds: [jobId],
        retention: spec.cleanup.retention,
        protectedCheckpointIds: [candidate.checkpointId, ...status.pinned],
        maxDeletes: spec.cleanup.maxDeletes,
        ...more,
      },
    ] as [CleanupInput],
  };
}

/** What the cleanup deleted can no longer be pinned. */
export function forgetDeleted(known: KnownCheckpoints, cleanup: CleanupResult): void {
  for (const d of cleanup.deleted) {
    known.deleted.add(d.checkpointId);
    known.listed?.delete(d.checkpointId);
  }
}
