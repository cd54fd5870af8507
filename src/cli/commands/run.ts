import type { Command } from 'commander';
import { err, out } from '../io';
import { resultLines } from '../render';
import { withClient } from '../with-client';
import { printValidation } from './validate';

/** `starter run <file>`: validate a pipeline file, start (or attach to) it, follow it until it serves. */
export function addRunCommand(program: Command): void {
  program
    .command('run <file>')
    .description('validate a pipeline file (YAML or JSON), start it, and follow it until it serves')
    .option('--new', 'start a fresh run even if one with this name is running')
    .option('--no-follow', 'start and print the workflow id, without waiting')
    .option('--json', 'print the result as JSON')
    .option('--dry-run', 'validate and print what it would do (as `starter validate`), starting nothing')
    .option('--no-search-attributes', 'do not set the custom search attributes (namespace without them)')
    .action(
      async (
        file: string,
        opts: { new?: boolean; follow: boolean; json?: boolean; searchAttributes: boolean; dryRun?: boolean },
      ) => {
        if (opts.dryRun) return printValidation(file, opts);
        const { loadPipelineFile } = await import('../pipeline-file');
        const spec = loadPipelineFile(file); // exits 2 before anything starts
        await withClient(async ({ client, taskQueue }) => {
          const [{ startOrAttachPipeline }, { followPipeline }, { noWorkerMessage }] = await Promise.all([
            import('../start-pipeline'),
            import('../follow'),
            import('../workers'),
          ]);
          const { handle, attached } = await startOrAttachPipeline(client, spec, {
            taskQueue,
            forceNew: opts.new,
            searchAttributes: opts.searchAttributes,
          });
          err(`${attached ? 'attached to running' : 'started'} ${handle.workflowId}`);
          if (!opts.follow)
            return opts.json ? out({ workflowId: handle.workflowId, attached }) : out(handle.workflowId);
          const result = await followPipeline(handle, {
            interactive: !!process.stderr.isTTY && !opts.json,
            noWorker: () => noWorkerMessage(client, taskQueue),
          });
          if (opts.json) return out({ workflowId: handle.workflowId, ...result });
          for (const line of resultLines(result)) out(line);
          if (result.outcome !== 'deployed') process.exitCode = 1;
        });
      },
    );
}
