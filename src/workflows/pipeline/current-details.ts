import type { PipelineStatus } from './contract';

/**
 * A pipeline's phase and progress as the Web UI's "Current Details" (Temporal markdown), set at every
 * phase change and every report of the supervising child. Between reports the child's pending watch
 * shows the newest look (its heartbeat details).
 */
export function currentDetails(s: PipelineStatus): string {
  const lines = [`**${s.phase}**${s.jobId ? ` — ${s.provider} job \`${s.jobId}\`` : ''}`];
  const t = s.training;
  if (t)
    lines.push(
      `training ${t.status}: epoch ${t.epoch ?? '-'}/${t.totalEpochs ?? '-'}, step ${t.step ?? '-'}/${t.totalSteps ?? '-'}` +
        `${t.metrics.loss !== undefined ? `, loss ${t.metrics.loss.toFixed(4)}` : ''}` +
        `${t.cost !== undefined ? `, cost $${t.cost.toFixed(2)}` : ''} (reported ${t.updatedAt})`,
    );
  if (s.candidate)
    lines.push(`candidate \`${s.candidate.checkpointId}\` (${s.candidate.metric} ${s.candidate.value})`);
  if (s.awaitingApprovalUntil)
    lines.push(
      `waiting for approval until ${s.awaitingApprovalUntil}: \`starter approve\` or \`starter reject\``,
    );
  if (s.deployment)
    lines.push(`deployment ${s.deployment.target} \`${s.deployment.id}\` ${s.deployment.status}`);
  if (s.failure) lines.push(`failure: ${s.failure}`);
  return lines.join('\n\n');
}
