import { Context } from '@temporalio/activity';
import { resourceName } from './names';

/**
 * Name for a resource this activity creates: the same for every attempt of the same workflow step.
 * `nameBasis` is what the workflow passes to tie the name to its run (a rerun creates anew); without
 * it (workflows started before runs named their resources) the name derives from the workflow id.
 */
export function nameForStep(step: string, nameBasis?: string): string {
  if (nameBasis) return resourceName(nameBasis, step);
  const execution = Context.current().info.workflowExecution;
  if (!execution)
    throw new Error(
      'a creating activity must run inside a workflow: its resource name derives from the workflow id',
    );
  return resourceName(execution.workflowId, step);
}

/**
 * True when an earlier attempt of this activity may have reached the provider: its create may have
 * been acted on after its answer was lost, so a same-named duplicate may exist or appear later.
 */
export function createInDoubt(): boolean {
  return Context.current().info.attempt > 1;
}

export function heartbeat(details?: unknown): void {
  Context.current().heartbeat(details);
}
