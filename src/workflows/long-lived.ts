import {
  allHandlersFinished,
  condition,
  continueAsNew,
  workflowInfo,
  type Workflow,
} from '@temporalio/workflow';
import { historyFull } from '../decisions/supervision';

// What the workflows that run for good, one per task queue (the protection registry, the fleet budget),
// share: their id, the input besides their own state, and how a run hands over to the next.

/** One workflow of this kind per task queue (one installation of this system in a namespace). */
export const perTaskQueueId = (kind: string) => (taskQueue: string) => `${kind}--${taskQueue}`;

export interface LongLivedInput {
  historyEventLimit?: number;
  /**
   * The run of this workflow that ended before this one started, not by continuing as new (terminated,
   * failed, timed out): this run rebuilds its state from it. Set by whoever starts the workflow.
   */
  predecessorRunId?: string;
}

/** Set while a run started anew reads the run before it: it acts on nothing until it has. */
export interface Rebuilding {
  since: string;
  predecessorRunId?: string;
}

const DEFAULT_HISTORY_EVENT_LIMIT = 5000;

/** Whether this run's history is long enough to hand over to a new run (default 5000 events). */
export function continueDue(input: LongLivedInput): () => boolean {
  const limit = input.historyEventLimit ?? DEFAULT_HISTORY_EVENT_LIMIT;
  return () => historyFull(workflowInfo(), limit);
}

/** Continues as new once no message handler is mid-way, so none is cut off. */
export async function continueAsNewWhenIdle<F extends Workflow>(...args: Parameters<F>): Promise<never> {
  await condition(allHandlersFinished);
  return continueAsNew<F>(...args);
}
