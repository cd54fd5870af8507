import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';

/**
 * Runs an Update (or anything else) on a long-lived workflow, starting it first when it does not run
 * yet: the first caller of an installation starts it. Two first callers race harmlessly (one start
 * wins, the other finds it running).
 */
export async function withRunningWorkflow<Ret, W extends Workflow>(
  client: Client,
  start: {
    workflow: W;
    workflowId: string;
    taskQueue: string;
    /** Or how to find them, asked only when the workflow must be started. */
    args: Parameters<W> | (() => Promise<Parameters<W>>);
  },
  run: () => Promise<Ret>,
): Promise<Ret> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    await client.workflow
      .start<W>(start.workflow, {
        workflowId: start.workflowId,
        taskQueue: start.taskQueue,
        args: typeof start.args === 'function' ? await start.args() : start.args,
      } as never)
      .catch((e: unknown) => {
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      });
    return run();
  }
}
