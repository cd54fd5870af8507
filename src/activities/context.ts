import { Context } from '@temporalio/activity';
import { lookUpBeforeCreate } from '../decisions/adoption';
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

/** Whether this attempt must look for what an earlier one created before creating (see lookUpBeforeCreate). */
export function mayFindEarlierCreate(nameBasis?: string): boolean {
  return lookUpBeforeCreate(Context.current().info.attempt, nameBasis !== undefined && nameBasis !== '');
}

export function heartbeat(details?: unknown): void {
  Context.current().heartbeat(details);
}

/** How often an activity waiting on one request beats: well inside a heartbeat timeout of seconds. */
export const BEAT_WHILE_WAITING_MS = 2_000;

/**
 * Runs `work`, beating at once and every `everyMs` until it settles: a worker lost mid-request is noticed
 * at the activity's heartbeat timeout (seconds), not at its start-to-close. An activity that resumes from
 * its heartbeats passes the `details` to keep: each beat replaces the last one's.
 */
export async function beatingWhile<T>(
  work: () => Promise<T>,
  options: { everyMs?: number; details?: unknown } = {},
): Promise<T> {
  const ctx = Context.current();
  const beat = () => ctx.heartbeat(options.details);
  beat();
  const timer = setInterval(beat, options.everyMs ?? BEAT_WHILE_WAITING_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** This activity's attempt number (1 for the first): above 1, an earlier attempt may have created something. */
export function attempt(): number {
  return Context.current().info.attempt;
}

/** What a create returns besides the resource: whether it was adopted, and whether a duplicate may exist. */
export interface CreateOutcome {
  adopted: boolean;
  /** An earlier attempt may have reached the provider after its answer was lost: a duplicate may appear. */
  inDoubt: boolean;
  name: string;
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
