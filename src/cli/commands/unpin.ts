import type { Command } from 'commander';
import { unpinLine } from '../answer-lines';
import { checkpointArgument, pipelineIdArgument } from '../flags';
import { out } from '../io';
import { withPipeline } from '../with-client';

/** `starter unpin <workflowId> <checkpointId>`: undo a pin of a running pipeline. */
export function addUnpinCommand(program: Command): void {
  program
    .command('unpin')
    .description('undo a pin of a running pipeline (its own cleanup and every other may delete it again)')
    .addArgument(pipelineIdArgument())
    .addArgument(checkpointArgument())
    .option('--json', 'print the answer as JSON')
    .action(async (given: string, checkpointId: string, opts: { json?: boolean }) =>
      withPipeline(given, async ({ id, client }) => {
        const [{ unpinUpdate }, { sendUpdate }] = await Promise.all([
          import('../../workflows/pipeline/contract'),
          import('../operator'),
        ]);
        const answer = await sendUpdate(client.workflow.getHandle(id), unpinUpdate, { checkpointId });
        if (opts.json) return out(answer);
        out(unpinLine(id, checkpointId, answer));
      }),
    );
}
