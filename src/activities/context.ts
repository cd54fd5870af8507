import { Context } from '@temporalio/activity';
import { resourceName } from './names';

/** Name for a resource this activity creates: the same for every attempt of the same workflow step. */
export function nameForStep(step: string): string {
  const execution = Context.current().info.workflowExecution;
  if (!execution)
    throw new Error(
      'a creating activity must run inside a workflow: its resource name derives from the workflow id',
    );
  return resourceName(execution.workflowId, step);
}

export function heartbeat(details?: unknown): void {
  Context.current().heartbeat(details);
}
