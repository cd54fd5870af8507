import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';

/**
 * Runs an Update (or anything else) on a long-lived workflow, starting it first when it does not run
 * yet: the first caller of an installation starts it. Two first callers race harmlessly (one start
 * wins, the other finds it running).
 */
export async function withRunningWorkflow<Ret>(
  client: Client,
  start: { workflowType: string; workflowId: string; taskQueue: string; args: unknown[] },
  run: () => Promise<Ret>,
): Promise<Ret> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    await client.workflow
      .start(start.workflowType, {
        workflowId: start.workflowId,
        taskQueue: start.taskQueue,
        args: start.args,
      })
      .catch((e: unknown) => {
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      });
    return run();
  }
}
