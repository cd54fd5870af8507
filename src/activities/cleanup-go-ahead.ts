import { Context } from '@temporalio/activity';
import { deploymentServesSignal, type DeploymentServes } from '../workflows/cleanup/contract';

/**
 * Tells a pipeline's cleanup child that the deployment serves, from the activity that made it serve:
 * the child goes on at once, before the pipeline's next workflow task. Best effort: false when it could
 * not be told (the run has ended, the server did not answer), and the pipeline tells it then.
 */
export async function tellCleanupDeploymentServes(
  run: { workflowId: string; runId: string },
  serves: DeploymentServes,
): Promise<boolean> {
  try {
    // That run only: never a run of the same id that another pipeline run left behind.
    const child = Context.current().client.workflow.getHandle(run.workflowId, run.runId);
    await child.signal(deploymentServesSignal, serves);
    return true;
  } catch {
    return false;
  }
}
