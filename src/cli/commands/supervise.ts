import { Argument, Option, type Command } from 'commander';
import { parseDuration } from '../../domain/duration';
import type { SupervisionResult } from '../../workflows/supervise/contract';
import { earlyStopLine } from '../../decisions/early-stop';
import { earlyStopFromFlags, type EarlyStopFlags } from '../early-stop-flags';
import { durationFlag, idFlag, numberFlag } from '../flags';
import { err, out } from '../io';
import { costText, sparkline } from '../render';
import { withClient } from '../with-client';

/** `starter supervise <jobId>`: supervise an existing training job, printing its progress. */
export function addSuperviseCommand(program: Command): void {
  program
    .command('supervise')
    .description('supervise an existing TensorOne training job (stall detection, resume, cost budget)')
    .addArgument(new Argument('<jobId>', 'the training job').argParser(idFlag('train.jobId')))
    .addOption(
      new Option('--provider <name>', 'who runs the job')
        .choices(['tensorone', 'marqtune'])
        .default('tensorone'),
    )
    .option(
      '--freshness <duration>',
      'notice completion at most this late',
      durationFlag('supervision.freshness'),
      '5m',
    )
    .option(
      '--stall-after <duration>',
      'no progress for this long is a stall',
      durationFlag('supervision.stallAfter'),
      '30m',
    )
    .option('--resume-budget <n>', 'stop-and-resume attempts', numberFlag('supervision.resumeBudget'), 2)
    .option(
      '--report-every <duration>',
      'longest gap between progress updates while training runs',
      durationFlag('supervision.reportEvery'),
      '30m',
    )
    .option(
      '--max-cost <n>',
      'cost budget: stop training at this cost (with --may-stop), else end supervision and report',
      numberFlag('budget.maxCost'),
    )
    .option(
      '--may-stop',
      'this supervision owns the job: it may stop it (cost budget, cancel, giving up) and stop-and-resume it (stalls, resumable failures)',
    )
    .option(
      '--early-stop-patience <n>',
      'with --may-stop: stop the job (saving a checkpoint) after this many checkpoints without an improvement',
    )
    .option('--early-stop-min-delta <x>', 'an improvement must be larger than this (default 0)')
    .option('--early-stop-metric <name>', 'the checkpoint metric judged (default validationLoss)')
    .option('--early-stop-min-epochs <n>', 'never stop early before a checkpoint of this epoch')
    .option('--maximize', 'the early-stop metric is better when higher (default: lower is better)')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        jobId: string,
        opts: {
          provider: 'tensorone' | 'marqtune';
          freshness: string;
          stallAfter: string;
          resumeBudget: number;
          reportEvery: string;
          maxCost?: number;
          mayStop?: boolean;
          json?: boolean;
        } & EarlyStopFlags,
      ) => {
        const earlyStop = earlyStopFromFlags(opts, !!opts.mayStop, opts.provider);
        const input = {
          provider: opts.provider,
          jobId,
          freshness: opts.freshness,
          // Looks no closer than 30 s apart, unless completion must be noticed sooner than that.
          minInterval: parseDuration(opts.freshness)! < 30_000 ? opts.freshness : '30s',
          stallAfter: opts.stallAfter,
          resumeBudget: opts.resumeBudget,
          unknownStatusGrace: '30m',
          reportEvery: opts.reportEvery,
          maxCost: opts.maxCost,
          mayStopJob: !!opts.mayStop,
          ...(earlyStop ? { earlyStop } : {}),
        };
        await withClient(async ({ client, taskQueue }) => {
          const [{ progressQuery }, { latestLook, withLatestLook }, { startSupervision }] = await Promise.all(
            [import('../../workflows/supervise/contract'), import('../latest-look'), import('../operator')],
          );
          const { requireWorker } = await import('../workers');
          await requireWorker(client, taskQueue, `supervise ${jobId}`);
          const handle = await startSupervision(client, taskQueue, input);
          err(
            `supervising ${jobId} as ${handle.workflowId}${opts.mayStop ? ' (may stop and resume it)' : ' (watching only: it never stops or resumes the job)'}`,
          );
          const losses: number[] = [];
          const ticker = setInterval(() => {
            Promise.all([handle.query(progressQuery), latestLook(client.workflow, handle.workflowId)]).then(
              ([queried, look]) => {
                const p = withLatestLook(queried, look);
                if (!p) return;
                if (p.metrics.loss !== undefined) losses.push(p.metrics.loss);
                err(
                  `${p.status} epoch ${p.epoch ?? '-'}/${p.totalEpochs ?? '-'} ${p.percentage ?? 0}% loss ${p.metrics.loss ?? '-'} ${sparkline(losses)} cost ${costText(p)}`,
                );
              },
              () => undefined,
            );
          }, 2000);
          try {
            const result = (await handle.result()) as SupervisionResult;
            out(
              opts.json
                ? result
                : `${jobId}: ${result.outcome === 'budget-reached' ? `cost budget reached (${result.job.cost}); the job was left running (no --may-stop)` : result.earlyStop ? earlyStopLine(result.earlyStop) : result.outcome} after ${result.polls} polls, ${result.resumes} resumes`,
            );
          } finally {
            clearInterval(ticker);
          }
        });
      },
    );
}
