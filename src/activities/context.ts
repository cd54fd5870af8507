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

/** This activity's attempt number (1 for the first): above 1, an earlier attempt may have created something. */
export function attempt(): number {
  return Context.current().info.attempt;
}

/**
 * Said of a create made without a lookup (the provider has no route to find what an earlier attempt
 * made): when an earlier attempt may have created the same resource, the operator is told its name.
 */
export interface PossibleDuplicate {
  name: string;
  reason: string;
}

export function possibleDuplicate(name: string, what: string): PossibleDuplicate | undefined {
  const n = attempt();
  if (n <= 1) return undefined;
  return {
    name,
    reason: `attempt ${n} created this ${what} without a lookup (the provider offers none): an earlier attempt whose answer was lost may have created another ${what} named "${name}"${what === 'served model' ? ` (or "${name}-a<attempt>")` : ''}; remove it by hand if it exists`,
  };
}
