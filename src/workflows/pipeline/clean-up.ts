import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { PipelineSpec } from '../../domain/pipeline-input';
import { checkpointCleanup } from '../cleanup';
import type { CandidateSummary, PipelineStatus } from './contract';
import type { CleanupResult } from '../cleanup/contract';
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
  return executeChild(checkpointCleanup, {
    workflowId: `${workflowInfo().workflowId}/cleanup`,
    staticSummary: `delete old checkpoints of job ${jobId} (keep the newest ${spec.cleanup.retention.keepLastN ?? 3}, the chosen and pinned)`,
    args: [
      {
        jobIds: [jobId],
        retention: spec.cleanup.retention,
        protectedCheckpointIds: [candidate.checkpointId, ...status.pinned],
        maxDeletes: spec.cleanup.maxDeletes,
      },
    ],
  });
}

/** What the cleanup deleted can no longer be pinned. */
export function forgetDeleted(known: KnownCheckpoints, cleanup: CleanupResult): void {
  for (const d of cleanup.deleted) {
    known.deleted.add(d.checkpointId);
    known.listed?.delete(d.checkpointId);
  }
}
