import { Context } from '@temporalio/activity';
import { deploymentServesSignal, type DeploymentServes } from '../workflows/cleanup/contract';

/**
 * Tells a pipeline's cleanup child that the deployment serves, from the activity that made it serve:
 * the child goes on at once, before the pipeline's next workflow task. Best effort: false when it could
 * not be told (the child is not there yet, the server did not answer), and the pipeline tells it then.
 */
export async function tellCleanupDeploymentServes(
  workflowId: string,
  serves: DeploymentServes,
): Promise<boolean> {
  try {
    await Context.current().client.workflow.getHandle(workflowId).signal(deploymentServesSignal, serves);
    return true;
  } catch {
    return false;
  }
}
