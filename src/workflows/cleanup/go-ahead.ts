import { condition, setHandler } from '@temporalio/workflow';
import { deploymentServesSignal, type CleanupInput, type DeploymentServes } from './contract';
import type { CleanupRun } from './run';

/**
 * The go-ahead of a cleanup its pipeline started beside the deployment (`awaitsDeployment`). Listened
 * for from the run's start: the pipeline may say so before the cleanup has read anything.
 */
export function listenForDeployment(input: CleanupInput): CleanupRun['goAhead'] {
  if (!input.awaitsDeployment) return undefined;
  let serves: DeploymentServes | undefined;
  setHandler(deploymentServesSignal, (s) => void (serves ??= s));
  return async () => {
    await condition(() => serves !== undefined);
    return serves!.protectedCheckpointIds;
  };
}

/**
 * Waits, once, until the pipeline's deployment serves; before it nothing is leased, deleted or ended.
 * Answers the checkpoints pinned since the start (kept in every job from now on, and by the runs a
 * continue-as-new starts, which wait for nothing); none after the first call.
 */
export async function untilDeploymentServes(run: CleanupRun): Promise<string[]> {
  const goAhead = run.goAhead;
  if (!goAhead) return [];
  const pinned = await goAhead();
  run.goAhead = undefined;
  run.givenIds.push(...pinned);
  run.input = {
    ...run.input,
    awaitsDeployment: undefined,
    protectedCheckpointIds: [...(run.input.protectedCheckpointIds ?? []), ...pinned],
  };
  return pinned;
}
