import type { Command } from 'commander';
import { decisionLine } from '../answer-lines';
import { idFlag, pipelineIdArgument, textFlag } from '../flags';
import { err, out } from '../io';
import { withPipeline } from '../with-client';

/** `starter approve|reject <workflowId>`: the operator's decision on the candidate awaiting approval. */
export function addDecisionCommands(program: Command): void {
  for (const name of ['approve', 'reject'] as const) {
    program
      .command(name)
      .description(
        `${name} the candidate a pipeline awaits approval of (refused unless it awaits approval of that candidate)`,
      )
      .addArgument(pipelineIdArgument())
      .option(
        '--checkpoint <checkpointId>',
        'the candidate you saw in `status` (default: the one the pipeline shows now, printed first)',
        idFlag('checkpointId'),
      )
      .option('--reason <text>', 'why, kept in the pipeline result', textFlag('--reason', 500))
      .option('--by <name>', 'who decides', textFlag('--by', 100), process.env.USER)
      .option('--json', 'print the answer as JSON')
      .action(
        async (given: string, opts: { checkpoint?: string; reason?: string; by?: string; json?: boolean }) =>
          withPipeline(given, async ({ id, client }) => {
            const [
              { approveUpdate, rejectUpdate, statusQuery },
              { endedRefusal, requireRunWorker, sendUpdate },
            ] = await Promise.all([import('../../workflows/pipeline/contract'), import('../operator')]);
            const update = name === 'approve' ? approveUpdate : rejectUpdate;
            const handle = client.workflow.getHandle(id);
            let checkpointId = opts.checkpoint;
            if (!checkpointId) {
              await requireRunWorker(handle, `read the candidate of ${id}`);
              const status = await handle.query(statusQuery).catch(async (e: unknown) => {
                throw (await endedRefusal(handle)) ?? e;
              });
              const c = status.candidate;
              checkpointId = c?.checkpointId;
              if (c) err(`candidate: ${c.checkpointId} (epoch ${c.epoch ?? '-'}, ${c.metric} ${c.value})`);
            }
            const answer = await sendUpdate(handle, update, {
              checkpointId,
              by: opts.by,
              reason: opts.reason,
            });
            if (opts.json) return out(answer);
            out(decisionLine(id, answer));
          }),
      );
  }
}
