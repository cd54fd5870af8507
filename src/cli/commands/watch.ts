import type { Command } from 'commander';
import { followPipeline } from '../follow';
import { pipelineIdArgument } from '../flags';
import { out } from '../io';
import { resultLines } from '../render';
import { withClient } from '../with-client';

/** `starter watch <workflowId>`: follow a running pipeline until it ends. */
export function addWatchCommand(program: Command): void {
  program
    .command('watch')
    .description('follow a running pipeline with live progress and a loss sparkline')
    .addArgument(pipelineIdArgument())
    .option('--json', 'print the result as JSON when it ends')
    .action(async (id: string, opts: { json?: boolean }) =>
      withClient(async ({ client }) => {
        const result = await followPipeline(client.workflow.getHandle(id), {
          interactive: !!process.stderr.isTTY && !opts.json,
        });
        if (opts.json) return out(result);
        out(`${id}: ${result.outcome}`);
        for (const line of resultLines(result)) out(`  ${line}`);
      }),
    );
}
