import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** A read that needs a worker, with none polling: the message says how to start one. */
export class NoWorkerPolling extends Error {
  override name = 'NoWorkerPolling';
}

/**
 * Whether any worker polls a task queue for workflow tasks, from the server's record of its pollers
 * (those seen in the last minutes). Without one a pipeline waits at "starting" and queries time out:
 * said plainly, with how to start one. Undefined when a worker polls, or when the server cannot say
 * (then nothing is claimed).
 */
export async function noWorkerMessage(
  client: Pick<Client, 'workflowService'> & { options: { namespace: string } },
  taskQueue: string,
): Promise<string | undefined> {
  try {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    if (pollers && pollers.length > 0) return undefined;
  } catch {
    return undefined;
  }
  return `no worker is polling task queue ${taskQueue}: nothing runs until one does. Start one with \`TEMPORAL_TASK_QUEUE=${taskQueue} npm run worker\` (or \`npm start\`, which runs the server and a worker)`;
}

/**
 * Refuses a command that waits on a worker (a workflow it runs to its end, an Update) when none polls
 * the task queue it goes to: it would wait without a word, and what it started would act whenever a
 * worker came (a reconcile that stops jobs, a budget set, a cleanup), long after it was given up.
 */
export async function requireWorker(
  client: Parameters<typeof noWorkerMessage>[0],
  taskQueue: string,
  what: string,
): Promise<void> {
  const message = await noWorkerMessage(client, taskQueue);
  if (message) throw new NoWorkerPolling(`cannot ${what}: ${message}`);
}
