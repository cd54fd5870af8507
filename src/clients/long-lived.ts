import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { LongLivedInput } from '../workflows/long-lived';

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

/** What a call to a workflow answers; undefined when the namespace knows no such workflow (or none running). */
export async function unlessNotFound<Ret>(call: () => Promise<Ret>): Promise<Ret | undefined> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Whether a workflow with this id ever ran (a describe answers), or is unknown to the namespace. */
export async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  return (await unlessNotFound(() => client.workflow.getHandle(workflowId).describe())) !== undefined;
}

/**
 * What a long-lived workflow started anew is given: the run before it when one ended without
 * continuing as new (terminated, failed, timed out), so the new run rebuilds its state from it.
 */
export async function predecessorInput(client: Client, workflowId: string): Promise<LongLivedInput> {
  const latest = await unlessNotFound(() => client.workflow.getHandle(workflowId).describe());
  return latest && latest.status.name !== 'RUNNING' ? { predecessorRunId: latest.runId } : {};
}

/**
 * A workflow that runs for good, one per task queue (the protection registry, the fleet budget): one
 * that ended otherwise than by continuing as new is started again with the run before it to rebuild from.
 */
export function longLivedWorkflow(
  client: Client,
  workflowType: string,
  workflowId: string,
  taskQueue: string,
) {
  const start = { workflowType, workflowId, taskQueue, input: () => predecessorInput(client, workflowId) };
  return {
    workflowId,
    handle: () => client.workflow.getHandle(workflowId),
    /** Runs the call, starting the workflow first when it does not run: the first caller of an installation starts it. */
    whenRunning: <Ret>(call: () => Promise<Ret>): Promise<Ret> => withRunningWorkflow(client, start, call),
    /** The same for a workflow some caller started once; undefined (and nothing started) when none ever did. */
    async onceStarted<Ret>(call: () => Promise<Ret>): Promise<Ret | undefined> {
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        if (!(await workflowExists(client, workflowId))) return undefined;
        return withRunningWorkflow(client, start, call);
      }
    },
  };
}
