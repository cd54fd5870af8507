import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { servingSlots } from '../clients/serving-slots';
import type { RollbackAnswer } from '../decisions/serving-slot';
import { NotFound } from './exit-codes';
import { requireWorker } from './workers';
import { superviseWorkflowId, type SuperviseInput } from '../workflows/supervise/contract';
import { superviseTrainingJob } from '../workflows/supervise';

/**
 * The operator's commands go to a pipeline as Updates: the workflow validates them and answers. A
 * refusal — the validator's reason, or the handler's failure — is an `OperatorRefusal`: the CLI prints
 * the reason and exits 2, and nothing changed.
 */
export class OperatorRefusal extends Error {}

/** Sends an update and returns the workflow's answer; a refusal or an ended pipeline is an OperatorRefusal. */
export async function sendUpdate<Ret, Arg>(
  handle: WorkflowHandle,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
): Promise<Ret> {
  await requireRunWorker(handle, `send ${update.name} to ${handle.workflowId}`);
  try {
    return await handle.executeUpdate(update, { args: [arg] });
  } catch (err) {
    // The validator's message (or the handler's ApplicationFailure) is the cause, not the wrapper's text.
    if (err instanceof WorkflowUpdateFailedError)
      throw new OperatorRefusal(err.cause?.message ?? err.message);
    throw (await endedRefusal(handle)) ?? err;
  }
}

/**
 * An Update or a query of a running workflow waits for a worker: with none polling its task queue it
 * would wait without a word (an Update) or time out after 30 s saying only that (a query). Refused at
 * once, naming the command that starts one. An ended workflow, or one that cannot be described, is
 * left to the command's own answer.
 */
export async function requireRunWorker(handle: WorkflowHandle, what: string): Promise<void> {
  const taskQueue = await handle.describe().then(
    (d) => (d.status.name === 'RUNNING' ? d.taskQueue : undefined),
    () => undefined,
  );
  if (taskQueue) await requireWorker(handle.client, taskQueue, what);
}

/** Why `handle` cannot take commands (not found, or no longer running); undefined while it runs. */
export async function endedRefusal(handle: WorkflowHandle): Promise<OperatorRefusal | NotFound | undefined> {
  try {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING')
      return new OperatorRefusal(`pipeline ${handle.workflowId} has ended (${d.status.name})`);
    return undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      return new NotFound(
        `no pipeline ${handle.workflowId} in this namespace: \`starter list\` shows the pipelines`,
      );
    throw err;
  }
}

/**
 * Starts the one supervision of a job (its id comes from provider and job), or refuses naming who
 * supervises it already: the supervising workflow and, for a pipeline's child, that pipeline.
 */
export async function startSupervision(
  client: Client,
  taskQueue: string,
  input: SuperviseInput,
): Promise<WorkflowHandle> {
  const workflowId = superviseWorkflowId(input.provider, input.jobId);
  try {
    return await client.workflow.start(superviseTrainingJob, {
      taskQueue,
      workflowId,
      args: [input],
      staticSummary: `supervise ${input.provider} job ${input.jobId} (started by starter supervise)`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const owner = await client.workflow.getHandle(workflowId).describe();
    const parent = owner.parentExecution?.workflowId;
    throw new OperatorRefusal(
      `${input.provider} job ${input.jobId} is already supervised by ${workflowId}${
        parent
          ? ` (the supervision of pipeline ${parent}; follow it with: starter watch ${parent})`
          : ' (started by `starter supervise`)'
      }`,
    );
  }
}

/** Puts a slot's draining former deployment back; the slot's refusal, or no such slot, is an OperatorRefusal. */
export async function rollbackSlot(
  client: Client,
  taskQueue: string,
  name: string,
  request: { by?: string; reason?: string },
): Promise<RollbackAnswer> {
  try {
    return await servingSlots(client, taskQueue).rollback(name, request);
  } catch (e) {
    if (e instanceof WorkflowUpdateFailedError) throw new OperatorRefusal(e.cause?.message ?? e.message);
    if (e instanceof WorkflowNotFoundError)
      throw new NotFound(`no serving slot ${name}: no pipeline named ${name} has promoted a deployment`);
    throw e;
  }
}
