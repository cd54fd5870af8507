import type { Command } from 'commander';
import { statusQuery } from '../../workflows/definitions';
import { pipelineIdArgument } from '../flags';
import { out } from '../io';
import { latestLook, withLatestLook } from '../latest-look';
import { statusLines } from '../render';
import { withClient } from '../with-client';

/** `starter status <workflowId>`: where a pipeline is, with the watch's latest look while it trains. */
export function addStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show where a pipeline is')
    .addArgument(pipelineIdArgument())
    .option('--json', 'print the status object')
    .action(async (id: string, opts: { json?: boolean }) =>
      withClient(async ({ client }) => {
        const handle = client.workflow.getHandle(id);
        const [queried, description, look] = await Promise.all([
          handle.query(statusQuery),
          handle.describe(),
          // A look that cannot be read (no watch pending, a describe refused) leaves the query's figures.
          latestLook(client.workflow, id).catch(() => undefined),
        ]);
        // Between the workflow's reports, the watch's latest look is the fresher figure.
        const status =
          queried.phase === 'training'
            ? { ...queried, training: withLatestLook(queried.training, look) }
            : queried;
        if (opts.json) return out({ workflowId: id, runStatus: description.status.name, ...status });
        out([...statusLines(id, status), `  workflow: ${description.status.name}`].join('\n'));
      }),
    );
}
