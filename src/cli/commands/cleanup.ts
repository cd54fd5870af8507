import type { Command } from 'commander';
import { idListFlag, numberFlag } from '../flags';
import { out } from '../io';
import { withClient } from '../with-client';

/** `starter cleanup --job …`: delete old checkpoints of jobs now (or only say which, `--dry-run`). */
export function addCleanupCommand(program: Command): void {
  program
    .command('cleanup')
    .description(
      'delete old checkpoints of a job now (best, final and protected — candidates in flight, pinned, deployed — are always kept)',
    )
    .requiredOption('--job <jobId...>', 'training job id(s)', idListFlag('train.jobId'))
    .option(
      '--keep <n>',
      'newest automatic checkpoints to keep',
      numberFlag('cleanup.retention.keepLastN'),
      3,
    )
    .option(
      '--keep-days <n>',
      'also keep checkpoints younger than this',
      numberFlag('cleanup.retention.keepWithinDays'),
    )
    .option('--max-deletes <n>', 'upper bound for this run', numberFlag('cleanup.maxDeletes'), 1000)
    .option('--dry-run', 'report what would be deleted, delete nothing')
    .option('--json', 'print the result as JSON')
    .action(
      async (opts: {
        job: string[];
        keep: number;
        keepDays?: number;
        maxDeletes: number;
        dryRun?: boolean;
        json?: boolean;
      }) => {
        const input = {
          jobIds: opts.job,
          retention: { keepLastN: opts.keep, keepWithinDays: opts.keepDays },
          maxDeletes: opts.maxDeletes,
          dryRun: !!opts.dryRun,
        };
        await withClient(async ({ client, taskQueue }) => {
          const { checkpointCleanup } = await import('../../workflows/cleanup');
          const { requireWorker } = await import('../workers');
          await requireWorker(client, taskQueue, 'clean up checkpoints');
          const result = await client.workflow.execute(checkpointCleanup, {
            taskQueue,
            workflowId: `cleanup-${opts.job.join('-')}-${Date.now()}`,
            args: [input],
            staticSummary: `${input.dryRun ? 'dry run: which' : 'delete'} old checkpoints of ${opts.job.join(', ')} (keep the newest ${opts.keep})`,
          });
          if (opts.json) return out(result);
          out(
            `${result.dryRun ? 'would delete' : 'deleted'} ${result.deletedCount} of ${result.examined} checkpoints (${(result.bytesReclaimed / 1024 ** 3).toFixed(1)} GiB)${result.truncated ? '; stopped at --max-deletes' : ''}`,
          );
          for (const k of result.keptInDoubt ?? []) out(`  ${k.jobId}: ${k.reason}`);
          for (const d of result.deleted.slice(0, 20))
            out(
              `  ${d.checkpointId}  epoch ${d.epoch ?? '-'}  ${d.alreadyGone ? 'already gone (0 bytes)' : d.answerLost ? `${d.reason}, answer lost (a retry found it gone)` : d.reason}`,
            );
          if (result.deletedCount > 20)
            out(
              `  … and ${result.deletedCount - 20} more (--json lists ${result.deleted.length === result.deletedCount ? 'all' : `the first ${result.deleted.length}`})`,
            );
        });
      },
    );
}
