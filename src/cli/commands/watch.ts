import type { Command } from 'commander';
import { pipelineIdArgument } from '../flags';
import { out } from '../io';
import { resultLines } from '../render';
import { withPipeline } from '../with-client';

/** `starter watch <workflowId>`: follow a running pipeline until it ends. */
export function addWatchCommand(program: Command): void {
  program
    .command('watch')
    .description('follow a running pipeline with live progress and a loss sparkline')
    .addArgument(pipelineIdArgument())
    .option('--json', 'print the result as JSON when it ends')
    .action(async (given: string, opts: { json?: boolean }) =>
      withPipeline(given, async ({ id, client }) => {
        const [{ followPipeline }, { noWorkerMessage }] = await Promise.all([
          import('../follow'),
          import('../workers'),
        ]);
        const handle = client.workflow.getHandle(id);
        const result = await followPipeline(handle, {
          interactive: !!process.stderr.isTTY && !opts.json,
          noWorker: async () => noWorkerMessage(client, (await handle.describe()).taskQueue),
        });
        if (opts.json) return out(result);
        out(`${id}: ${result.outcome}`);
        for (const line of resultLines(result)) out(`  ${line}`);
      }),
    );
}
