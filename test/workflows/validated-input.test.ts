import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { parsePipelineInput, pipelineWorkflowId, type PipelineInput } from '../../src/domain/pipeline-input';
import { VALIDATED_INPUT_MEMO } from '../../src/domain/validated-input';
import { PATCHES_RELEASED_MARKER } from '../../src/workflows/released-patch';
import { startOrAttachPipeline } from '../../src/cli/start-pipeline';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { fineTuneToDeploy } from '../../src/workflows';
import { useWorkflowTestBed } from '../harness/workflow-env';
import { patchMarkers } from '../harness/history';
import { testWorkflowCodeWithProviderQueues } from '../harness/workflow-bundles';

/**
 * The starter validates the pipeline file and says so in the run's memo; the workflow then takes the
 * spec as is instead of loading and running the input schema again in its first task. Any other start
 * (no memo, or a memo naming another schema revision) is validated inside the workflow as before.
 */
const bed = useWorkflowTestBed();

const TRUSTS = 'pipeline-trusts-starter-validated-input';
const input = (name: string) =>
  pipelineInput(name, {
    train: tensoroneTrain({ config: { training: { epochs: 1 } } }),
    cleanup: { enabled: false, retention: { keepLastN: 2 }, maxDeletes: 1000 },
  });

/** The patch ids the run's history records, in order. */
async function patchesRecorded(workflowId: string): Promise<string[]> {
  return patchMarkers((await bed.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []);
}

it('runs a pipeline the starter validated on the spec it was given, without validating it again', async () => {
  const spec = parsePipelineInput(input('starter-validated'));
  const result = await bed.withWorker(async () => {
    const { handle } = await startOrAttachPipeline(bed.env.client, spec, {
      taskQueue: bed.taskQueue,
      searchAttributes: false,
    });
    return handle.result();
  });
  expect(result.outcome).toBe('deployed');
  // Its own marker first (a replay on a worker of another schema revision reads the answer from it),
  // then the one marker of every released patch (src/workflows/released-patch.ts).
  expect(await patchesRecorded(pipelineWorkflowId(spec.name))).toEqual([
    TRUSTS,
    PATCHES_RELEASED_MARKER,
    // A change made after the release marker, asked by the claim of a pipeline that ran to its deploy.
    'pipeline-confirms-candidate-with-its-claim',
  ]);
});

it('validates an input whose memo names another schema revision, refusing a bad one before creating anything', async () => {
  const before = bed.sandbox.state.jobs.size;
  const bad = {
    ...input('stale-revision'),
    train: { kind: 'tensorone', modelType: 'llm', datasetId: 'nope', config: {} },
  } as PipelineInput;
  const err = await bed
    .withWorker(async () =>
      (
        await bed.env.client.workflow.start(fineTuneToDeploy, {
          args: [bad],
          taskQueue: bed.taskQueue,
          workflowId: pipelineWorkflowId(bad.name),
          memo: { [VALIDATED_INPUT_MEMO]: 'an-older-revision' },
        })
      ).result(),
    )
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause = (err as WorkflowFailedError).cause;
  while (cause && !(cause instanceof ApplicationFailure)) cause = (cause as Error & { cause?: Error }).cause;
  expect(cause).toMatchObject({ type: 'INVALID_INPUT' });
  expect((cause as ApplicationFailure).message).toContain('train.datasetId');
  expect(bed.sandbox.state.jobs.size).toBe(before);
  expect(await patchesRecorded(pipelineWorkflowId(bad.name))).toEqual([PATCHES_RELEASED_MARKER]);
});

it('replays a run that trusted its starter on a worker of another schema revision, as it ran', async () => {
  const file = path.join(
    __dirname,
    '../histories/pipeline-success-v17-starter-validated-provider-queues.json',
  );
  const history = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    events: {
      workflowExecutionStartedEventAttributes?: { memo?: { fields: Record<string, { data: string }> } };
    }[];
  };
  const memo = history.events[0].workflowExecutionStartedEventAttributes!.memo!.fields[VALIDATED_INPUT_MEMO];
  memo.data = Buffer.from(JSON.stringify('an-older-revision')).toString('base64');
  await expect(
    Worker.runReplayHistory(
      testWorkflowCodeWithProviderQueues(),
      history,
      'pipeline-success-v17-starter-validated-provider-queues',
    ),
  ).resolves.toBeUndefined();
});
