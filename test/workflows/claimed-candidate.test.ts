import { WorkflowUpdateFailedError } from '@temporalio/client';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { cancelUpdate, pinUpdate, statusQuery } from '../../src/workflows/pipeline/contract';
import { protectionRecordsQuery, protectionRegistryId } from '../../src/workflows/protection/contract';
import { advanceUntil, startPipeline, useWorkflowTestBed } from '../harness/workflow-env';

/**
 * A cleanup that deletes the chosen checkpoint after the pipeline listed it but before its claim
 * reached the registry (a worker lost in between) holds no lease by the time of the claim: the claim
 * succeeds, and only the provider can tell the checkpoint is gone. The pipeline must deploy a
 * checkpoint that exists, never one deleted under it.
 */
let afterListing: ((path: string) => void) | undefined;
const bed = useWorkflowTestBed({
  onRequest: ({ method, path }) => {
    if (method === 'GET' && /\/v2\/training\/jobs\/[^/]+\/checkpoints$/.test(path)) afterListing?.(path);
  },
});

it.each(['tensorone-endpoint', 'tensormesh'] as const)(
  'every automatic checkpoint deleted between the listing and the claim (%s): another candidate is chosen, and it exists',
  async (target) => {
    const deleted = new Set<string>();
    afterListing = (path) => {
      const jobId = path.split('/').at(-2)!;
      const job = bed.sandbox.state.jobs.get(jobId);
      if (!job || bed.sandbox.state.advance(job).status !== 'completed' || deleted.size) return;
      // As a keep-none cleanup of completed jobs would: every automatic checkpoint, never best or final.
      for (const c of bed.sandbox.state.checkpoints.ofJob(jobId))
        if (c.type === 'automatic' && bed.sandbox.state.checkpoints.delete(c.id)) deleted.add(c.id);
    };
    const input = pipelineInput(`claimed-gone-${target}`, {
      train: tensoroneTrain({ config: { training: { epochs: 4 } } }),
      deploy:
        target === 'tensormesh'
          ? { target, userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f' }
          : { target: 'tensorone-endpoint' },
      cleanup: { enabled: false },
    });
    const result = await bed.withWorker(async () => (await startPipeline(bed, input)).result());
    afterListing = undefined;

    expect(deleted.size).toBeGreaterThan(0);
    expect(result.outcome).toBe('deployed');
    const served = result.checkpoint!.checkpointId;
    expect(deleted.has(served)).toBe(false);
    expect(bed.sandbox.state.checkpoints.get(served)?.jobId).toBe(result.jobId);
  },
);

it('a pin of a checkpoint deleted since the pipeline listed it is refused, and no record of it is kept', async () => {
  const input = pipelineInput('pin-gone', {
    train: tensoroneTrain({ config: { training: { epochs: 4 } } }),
    gate: { approval: { required: true, timeout: '24h', onTimeout: 'reject' } },
  });
  await bed.withWorker(async () => {
    const handle = await startPipeline(bed, input);
    const waiting = await advanceUntil(bed.env, async () => {
      const s = await handle.query(statusQuery);
      return s.phase === 'awaiting-approval' ? s : undefined;
    });
    // The pipeline listed every checkpoint of its job to choose; then a cleanup deleted one of them.
    const gone = bed.sandbox.state.checkpoints
      .ofJob(waiting.jobId!)
      .find((c) => c.type === 'automatic' && c.id !== waiting.candidate!.checkpointId)!.id;
    expect(bed.sandbox.state.checkpoints.delete(gone)).toBe(true);

    const refusal = await handle.executeUpdate(pinUpdate, { args: [{ checkpointId: gone }] }).then(
      () => 'pinned',
      (e: unknown) => (e instanceof WorkflowUpdateFailedError ? e.cause?.message : String(e)),
    );
    expect(refusal).toBe(
      `checkpoint ${gone} is gone at TensorOne (deleted since the pipeline listed it): not pinned`,
    );
    expect((await handle.query(statusQuery)).pinned).toEqual([]);
    const registry = bed.env.client.workflow.getHandle(protectionRegistryId(bed.taskQueue));
    // The registry takes the pipeline's unpin signal at its next task: wait for it, within reason.
    const recorded = async () =>
      (await registry.query(protectionRecordsQuery)).filter((r) => r.checkpointId === gone).length;
    for (let i = 0; i < 50 && (await recorded()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await recorded()).toBe(0);
    await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'test done' }] });
    expect((await handle.result()).outcome).toBe('cancelled');
  });
});
