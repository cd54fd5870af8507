import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { startPipeline, useWorkflowTestBed } from '../harness/workflow-env';

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
