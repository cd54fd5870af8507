import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { PATCHES_RELEASED_MARKER } from '../../src/workflows/released-patch';
import { patchMarkers } from '../harness/history';
import { startPipeline, useSharedTimeSkippingEnv, useWorkflowTestBed } from '../harness/workflow-env';

/**
 * A run started now records the one release marker instead of a marker (and a `TemporalChangeVersion`
 * upsert) per patch released with it; only a change made after it adds its own (here the pipeline's
 * `pipeline-confirms-candidate-with-its-claim` and `pipeline-starts-cleanup-with-its-deploy`, and the cleanup's `cleanup-leases-with-its-deletions`). Every history recorded before still replays on its own path
 * (replay.test.ts).
 */
const AFTER_THE_RELEASE: Record<string, string[]> = {
  fineTuneToDeploy: ['pipeline-confirms-candidate-with-its-claim', 'pipeline-starts-cleanup-with-its-deploy'],
  checkpointCleanup: ['cleanup-leases-with-its-deletions'],
};
const shared = useSharedTimeSkippingEnv();

// The bed inside a describe: its teardown (which leaves its workers to the shared server's) runs
// before the shared server's own.
describe('provider activities on provider queues, as the worker process runs them', () => {
  const bed = useWorkflowTestBed({}, { shared, providerQueues: true });

  it('a pipeline, its supervision and its cleanup each record the release marker and only the changes made after it, and deploy', async () => {
    const handle = await startPipeline(
      bed,
      pipelineInput('release-marker', { train: tensoroneTrain({ config: { training: { epochs: 8 } } }) }),
    );
    const result = await bed.withWorker(() => handle.result());
    expect(result.outcome).toBe('deployed');
    expect(result.deletedCheckpoints.length).toBeGreaterThan(0);

    const pipeline = (await handle.fetchHistory()).events ?? [];
    const children = pipeline.flatMap((e) => {
      const id = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
      return id ? [id] : [];
    });
    expect(children).toHaveLength(2); // the supervision and the cleanup
    for (const events of [
      pipeline,
      ...(await Promise.all(
        children.map(async (id) => (await bed.env.client.workflow.getHandle(id).fetchHistory()).events ?? []),
      )),
    ]) {
      const type = events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '';
      const markers = [PATCHES_RELEASED_MARKER, ...(AFTER_THE_RELEASE[type] ?? [])];
      expect(patchMarkers(events)).toEqual(markers);
      // The SDK upserts `TemporalChangeVersion` once per marker.
      expect(events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes)).toHaveLength(
        markers.length,
      );
    }
  });
});
