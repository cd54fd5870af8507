import { WorkflowUpdateFailedError } from '@temporalio/client';
import { sandboxAdmin } from '../../sandbox/admin-client';
import { SANDBOX_PROFILES } from '../../sandbox/profile';
import { cancelUpdate, pinUpdate, statusQuery } from '../../src/workflows/pipeline/contract';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import {
  advanceUntil,
  startPipeline,
  useSharedTimeSkippingEnv,
  useWorkflowTestBed,
} from '../harness/workflow-env';

/**
 * A pin is taken only for a checkpoint the pipeline's job's own list shows: a checkpoint's GET need
 * not name its job, so another job's checkpoint (or one that exists nowhere) is refused with the reason.
 */
const shared = useSharedTimeSkippingEnv();

describe.each(SANDBOX_PROFILES)('%s profile', (profile) => {
  const bed = useWorkflowTestBed({ profile, unknownRoute: 'invalid-method' }, { shared });

  /** The refusal's reason as the CLI prints it before exiting 2 (the update failure's cause), or 'accepted'. */
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (e: unknown) => (e instanceof WorkflowUpdateFailedError ? e.cause?.message : `not a refusal: ${e}`),
    );

  it('while training: another job’s checkpoint and one that exists nowhere are refused; the job’s own, on the second page of its list, is pinned', async () => {
    const other = await sandboxAdmin(bed.sandbox.url).seedCompletedJob(`pin-other-${profile}`, 12);
    const otherCheckpoint = `ckpt_${other.jobId.slice(4)}_e9`;
    expect(bed.sandbox.state.checkpoints.get(otherCheckpoint)?.jobId).toBe(other.jobId);
    const input = pipelineInput(`pin-owner-${profile}`, {
      train: tensoroneTrain({ config: { training: { epochs: 20 } } }),
    });
    await bed.withWorker(async () => {
      const handle = await startPipeline(bed, input);
      const jobId = await advanceUntil(bed.env, async () => {
        const s = await handle.query(statusQuery);
        const id = s.jobId;
        return id && bed.sandbox.state.jobCheckpoints(id).length >= 2 ? id : undefined;
      });
      // More than a page of the job's own checkpoints: m99 is on the second page, oldest first (a
      // provider that pages only by `limit` shows it on the first page newest first).
      const job = bed.sandbox.state.jobs.get(jobId)!;
      // Made a millisecond apart, as a provider would: oldest first and newest first are two orders.
      for (let i = 0; i < 120; i++)
        bed.sandbox.state.addManualCheckpoint(job, `manual ${i}`).createdAtMs += i;
      const total = bed.sandbox.state.jobCheckpoints(jobId).length;
      expect(total).toBeGreaterThan(100);

      expect(
        await refusal(handle.executeUpdate(pinUpdate, { args: [{ checkpointId: otherCheckpoint }] })),
      ).toBe(
        `checkpoint ${otherCheckpoint} is not one of the ${total} checkpoints of job ${jobId} (every page of its list): it belongs to another job, was deleted, or never existed; pin one of job ${jobId}'s checkpoints`,
      );
      expect(
        await refusal(handle.executeUpdate(pinUpdate, { args: [{ checkpointId: 'ckpt_nowhere' }] })),
      ).toMatch(
        new RegExp(`^checkpoint ckpt_nowhere is not one of the ${total} checkpoints of job ${jobId} `),
      );
      const ownOnPageTwo = `ckpt_${jobId.slice(4)}_m99`;
      expect(await handle.executeUpdate(pinUpdate, { args: [{ checkpointId: ownOnPageTwo }] })).toEqual({
        checkpointId: ownOnPageTwo,
        jobId,
        result: 'pinned',
        checkedBy: 'provider',
      });
      expect((await handle.query(statusQuery)).pinned).toEqual([ownOnPageTwo]);
      await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'test done' }] });
      expect((await handle.result()).outcome).toBe('cancelled');
    });
  });
});
