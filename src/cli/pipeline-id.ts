import type { Client } from '@temporalio/client';
import { workflowExists } from '../clients/long-lived';
import { PIPELINE_NAME, pipelineWorkflowId } from '../domain/pipeline-input';
import { NotFound } from './exit-codes';
import { err } from './io';

/**
 * The workflow id a command was given, or the one of the pipeline it names: `status support-assistant`
 * means `pipeline-support-assistant` when no workflow has the name itself as its id. Neither there:
 * not found (exit 3), with the id the name would have and where to find the ids.
 */
export async function resolvePipelineId(client: Client, given: string): Promise<string> {
  if (await workflowExists(client, given)) return given;
  const byName = PIPELINE_NAME.test(given) ? pipelineWorkflowId(given) : undefined;
  if (byName && byName !== given && (await workflowExists(client, byName))) {
    err(`(${given} is a pipeline name: using its workflow id ${byName})`);
    return byName;
  }
  throw new NotFound(
    `no workflow ${given} in namespace ${client.options.namespace}${byName && byName !== given ? ` (nor ${byName}, the id of a pipeline named ${given})` : ''}: \`starter list\` shows the pipelines and their ids`,
  );
}
