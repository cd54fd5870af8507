import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { pipelineWorkflowId, type PipelineSpec } from '../domain/pipeline-input';
import { validatedInputMemo } from '../domain/validated-input';
import { fineTuneToDeploy } from '../workflows/pipeline';
import { JOB_ID_KEY, PHASE_KEY, PROVIDER_KEY } from '../workflows/search-attributes';

interface StartOptions {
  taskQueue: string;
  /** Start a fresh run under a new id instead of attaching to a running one. */
  forceNew?: boolean;
  /** Set the custom search attributes (the namespace must have them registered). */
  searchAttributes?: boolean;
}

/**
 * Starts the pipeline under an id derived from its name. A second start while it runs attaches to
 * the running one rather than starting a duplicate.
 */
export async function startOrAttachPipeline(
  client: Client,
  spec: PipelineSpec,
  options: StartOptions,
): Promise<{ handle: WorkflowHandle<typeof fineTuneToDeploy>; attached: boolean }> {
  const base = pipelineWorkflowId(spec.name);
  const workflowId = options.forceNew
    ? `${base}-${new Date()
        .toISOString()
        .replace(/[-:.TZ]/g, '')
        .slice(0, 14)}`
    : base;
  const provider = spec.train.kind === 'marqtune' ? 'marqtune' : 'tensorone';
  try {
    const handle = await client.workflow.start(fineTuneToDeploy, {
      taskQueue: options.taskQueue,
      workflowId,
      args: [spec],
      // The spec was parsed with this revision's schema: the workflow need not load it again.
      memo: validatedInputMemo(),
      ...pipelineMetadata(spec),
      ...(options.searchAttributes === false
        ? {}
        : {
            typedSearchAttributes: new TypedSearchAttributes([
              { key: PROVIDER_KEY, value: provider },
              { key: JOB_ID_KEY, value: '' },
              { key: PHASE_KEY, value: 'starting' },
            ]),
          }),
    });
    return { handle, attached: false };
  } catch (err) {
    // Only a running pipeline blocks a start (the default id-reuse policy allows a new run after a closed
    // one): attach to it instead of starting a duplicate.
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { handle: client.workflow.getHandle<typeof fineTuneToDeploy>(workflowId), attached: true };
    }
    throw err;
  }
}

/** What the Web UI shows for the pipeline above its history (Temporal user metadata): ids, no secrets. */
function pipelineMetadata(spec: PipelineSpec): { staticSummary: string; staticDetails: string } {
  const t = spec.train;
  const training =
    t.kind === 'tensorone'
      ? `train ${t.modelType} on ${t.datasetId} (${t.gpuTypes.join(' or ')})`
      : t.kind === 'tensorone-existing'
        ? `follow TensorOne job ${t.jobId}`
        : `follow Marqtune model ${t.modelId}`;
  const approval = spec.gate.approval?.required ? `, approval within ${spec.gate.approval.timeout}` : '';
  return {
    staticSummary: `${spec.name}: ${training} → ${spec.deploy.target}`,
    staticDetails: [
      `**${spec.name}** — fine-tune → deploy pipeline`,
      `- training: ${training}`,
      `- choose: ${spec.selection.direction} ${spec.selection.metric}${spec.gate.threshold !== undefined ? `, gate threshold ${spec.gate.threshold}` : ''}${approval}`,
      `- deploy: ${spec.deploy.target}, timeout ${spec.deploy.timeout}${'probe' in spec.deploy && spec.deploy.probe ? `, probe with ${spec.deploy.probe.inputs.length} sample inputs` : ''}`,
      `- cleanup: ${spec.cleanup.enabled ? `keep the newest ${spec.cleanup.retention.keepLastN ?? 3}` : 'off'}`,
      `- supervision: look at least every ${spec.supervision.freshness}`,
    ].join('\n'),
  };
}
