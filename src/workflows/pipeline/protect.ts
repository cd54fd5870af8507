import type { ProtectionRequest } from '../../decisions/protection';
import type { PipelineSpec } from '../../domain/pipeline-input';
import { protectionRecords } from '../activity-stubs';
import type { CandidateSummary } from './contract';
import { summarized } from '../summaries';
import { deployTargetOf } from './deploy-targets';
import { recordsProtection } from './patches';

/** Records checkpoints this run holds, so every cleanup keeps them (runs recorded before skip it). */
export async function protect(requests: ProtectionRequest[]): Promise<void> {
  if (recordsProtection())
    await summarized(
      protectionRecords.recordProtection,
      `keep ${requests.map((r) => `${r.kind} checkpoint ${r.checkpointId}`).join(', ')} out of every cleanup`,
      requests,
    );
}

/** The checkpoint the deployment serves: the candidate, or for TensorMesh the one its model path names. */
export function servedCheckpoint(spec: PipelineSpec, candidate: CandidateSummary): string | undefined {
  const { steps, deploy } = deployTargetOf(spec);
  return steps.servedCheckpoint(deploy, candidate);
}
