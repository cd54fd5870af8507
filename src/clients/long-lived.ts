import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';

/**
 * Runs an Update (or anything else) on a long-lived workflow, starting it first when it does not run
 * yet: the first caller of an installation starts it. Two first callers race harmlessly (one start
 * wins, the other finds it running).
 */
export async function withRunningWorkflow<Ret, Input>(
  client: Client,
  start: {
    /** Started by type name: client code loads no workflow code. */
    workflowType: string;
    workflowId: string;
    taskQueue: string;
    /** Its input, asked for only when the workflow must be started. */
    input: () => Input | Promise<Input>;
  },
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
        args: [await start.input()],
      })
      .catch((e: unknown) => {
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      });
    return run();
  }
}

/** Whether a workflow with this id ever ran (a describe answers), or is unknown to the namespace. */
export async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * What a long-lived workflow started anew is given: the run before it when one ended without
 * continuing as new (terminated, failed, timed out), so the new run rebuilds its state from it.
 */
export async function predecessorInput(
  client: Client,
  workflowId: string,
): Promise<{ predecessorRunId?: string }> {
  try {
    const latest = await client.workflow.getHandle(workflowId).describe();
    return latest.status.name === 'RUNNING' ? {} : { predecessorRunId: latest.runId };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return {};
    throw err;
  }
}
