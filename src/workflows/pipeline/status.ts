import { withLeftover } from '../../decisions/pipeline-status';
import type { Deployment } from '../../domain/types';
import type { DeploymentSummary, PipelineLeftovers, PipelineStatus } from './contract';
import { stepsOf } from './deploy-targets';

/** Workflow time (deterministic) as the status and result write it. */
export const iso = () => new Date(Date.now()).toISOString();

/**
 * The one place the status object changes: to the next status a transition (src/decisions/pipeline-status.ts)
 * answered. The object stays the same, so the status query and the handlers keep reading it.
 */
export function moveTo(status: PipelineStatus, next: PipelineStatus): void {
  Object.assign(status, next);
}

/** Adds `value` once to one of the status's leftover lists. */
export function add(status: PipelineStatus, list: keyof PipelineLeftovers, value: string): void {
  moveTo(status, withLeftover(status, list, value));
}

/** The status's non-empty leftover lists, copied into the result. */
export function leftovers(status: PipelineStatus): PipelineLeftovers {
  const out: PipelineLeftovers = {};
  for (const key of ['stoppedJobs', 'removedDeployments', 'duplicateJobs', 'possibleDuplicates'] as const)
    if (status[key]?.length) out[key] = [...status[key]];
  return out;
}

/** What the status and result say of a deployment. */
export function summarize(
  target: DeploymentSummary['target'],
  d: Deployment & { possibleDuplicate?: DeploymentSummary['possibleDuplicate'] },
): DeploymentSummary {
  return {
    target,
    id: d.id,
    url: d.url,
    status: d.status,
    modelId: d.modelId,
    ...(stepsOf(target).keepsName && d.name ? { name: d.name } : {}),
    ...(d.possibleDuplicate ? { possibleDuplicate: d.possibleDuplicate } : {}),
  };
}
