import type { Command } from 'commander';
import type { ProtectionRecord } from '../../decisions/protection';
import type { PipelineResult } from '../../workflows/pipeline/contract';
import { pinLine } from '../answer-lines';
import { checkpointArgument, pipelineIdArgument } from '../flags';
import { out } from '../io';
import { withPipeline } from '../with-client';

/** `starter pin <workflowId> <checkpointId>`: keep a checkpoint out of every cleanup. */
export function addPinCommand(program: Command): void {
  program
    .command('pin')
    .description('exempt a checkpoint of the pipeline’s job from every cleanup, for good (until unpinned)')
    .addArgument(pipelineIdArgument())
    .addArgument(checkpointArgument())
    .option('--json', 'print the answer as JSON')
    .action(async (given: string, checkpointId: string, opts: { json?: boolean }) =>
      withPipeline(given, async ({ id, client, taskQueue }) => {
        const [
          { protectionRegistry },
          { pinUpdate, statusQuery },
          { endedRefusal, OperatorRefusal, sendUpdate },
        ] = await Promise.all([
          import('../../clients/protection-registry'),
          import('../../workflows/pipeline/contract'),
          import('../operator'),
        ]);
        const pipeline = client.workflow.getHandle(id);
        const run = await pipeline.describe().catch(async (e: unknown) => {
          throw (await endedRefusal(pipeline)) ?? e;
        });
        if (run.status.name === 'RUNNING') {
          // The pipeline checks the checkpoint is its job's and records the pin in the shared
          // protection records before it answers: no cleanup that starts afterwards can miss it.
          const answer = await sendUpdate(pipeline, pinUpdate, { checkpointId });
          if (opts.json) return out(answer);
          return out(pinLine(id, checkpointId, answer));
        }
        // An ended pipeline takes no updates: refuse what it knows is wrong, record the rest directly.
        const status = await pipeline.query(statusQuery);
        if (!status.jobId) throw new OperatorRefusal(`pipeline ${id} ended without a training job`);
        const result =
          run.status.name === 'COMPLETED' ? ((await pipeline.result()) as PipelineResult) : undefined;
        if (result?.deletedCheckpoints.some((d) => d.checkpointId === checkpointId))
          throw new OperatorRefusal(
            `checkpoint ${checkpointId} was deleted by the cleanup of pipeline ${id}`,
          );
        const record: ProtectionRecord = {
          checkpointId,
          kind: 'pinned',
          workflowId: id,
          runId: run.runId,
          at: new Date().toISOString(),
        };
        const claim = await protectionRegistry(client, taskQueue).claim([record]);
        const late = claim.beingDeleted.find((d) => d.checkpointId === checkpointId);
        if (late)
          throw new OperatorRefusal(
            `checkpoint ${checkpointId} is being deleted by cleanup ${late.by}: not pinned`,
          );
        if (opts.json) return out({ checkpointId, jobId: status.jobId, result: 'pinned', checkedBy: 'none' });
        out(
          `${id}: pinned ${checkpointId} (the pipeline has ended, ${run.status.name}: not checked against job ${status.jobId})`,
        );
      }),
    );
}
