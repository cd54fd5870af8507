import type { Command } from 'commander';
import { cancelLines } from '../answer-lines';
import { pipelineIdArgument, textFlag } from '../flags';
import { out } from '../io';
import { withPipeline } from '../with-client';

/** `starter cancel <workflowId>`: cancel a pipeline; answers what it stops. */
export function addCancelCommand(program: Command): void {
  program
    .command('cancel')
    .description(
      'cancel a pipeline: training stops with a saved checkpoint, deployments in flight are removed (answers what it stops)',
    )
    .addArgument(pipelineIdArgument())
    .option('--reason <text>', 'why', textFlag('--reason', 500))
    .option('--json', 'print the answer as JSON')
    .action(async (given: string, opts: { reason?: string; json?: boolean }) =>
      withPipeline(given, async ({ id, client }) => {
        const [{ cancelUpdate }, { sendUpdate }] = await Promise.all([
          import('../../workflows/pipeline/contract'),
          import('../operator'),
        ]);
        const answer = await sendUpdate(client.workflow.getHandle(id), cancelUpdate, { reason: opts.reason });
        if (opts.json) return out(answer);
        for (const line of cancelLines(id, answer)) out(line);
      }),
    );
}
