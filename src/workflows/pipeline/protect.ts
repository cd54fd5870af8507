import { checkpointInModelPath, type ProtectionRequest } from '../../decisions/protection';
import type { PipelineSpec } from '../../domain/pipeline-input';
import { protectionRecords } from '../activity-stubs';
import type { CandidateSummary } from './contract';
import { summarized } from '../summaries';
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
  return spec.deploy.target === 'tensormesh'
    ? checkpointInModelPath(spec.deploy.modelPath ?? `tensorone://checkpoints/${candidate.checkpointId}`)
    : candidate.checkpointId;
}
