#!/usr/bin/env node
/**
 * The operator's CLI: start and follow pipelines, answer approvals, cancel, pin, supervise, clean up,
 * manage the cleanup schedule, list pipelines. `--json` on every read command. Exit codes: 0 done,
 * 1 failed (the cause is printed), 2 invalid input or usage (nothing was started).
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import { InvalidPipelineInput } from './domain/pipeline-input';
import { parseDuration } from './decisions/duration';
import {
  cronFlag,
  durationFlag,
  idFlag,
  idListFlag,
  numberFlag,
  textFlag,
  wholeNumberFlag,
  workflowIdFlag,
} from './cli/flags';
import { loadPipelineFile } from './cli/pipeline-file';
import { loadReportData, renderReport } from './cli/report';
import fs from 'node:fs';
import path from 'node:path';
import { followPipeline, failureCause } from './cli/follow';
import { resultLines, statusLines, sparkline } from './cli/render';
import { latestLook, missingKeyMessage, withLatestLook } from './cli/latest-look';
import { defaultReportPath } from './cli/report';
import { startOrAttachPipeline } from './cli/start-pipeline';
import { ConfigError, connectClient, parseEnv, temporalEnvSchema } from './config/temporal-connection';
import { listCleanupSchedules, upsertCleanupSchedule } from './schedules/cleanup-schedule';
import {
  approveUpdate,
  cancelUpdate,
  pinUpdate,
  progressQuery,
  rejectUpdate,
  statusQuery,
  unpinUpdate,
  type CleanupResult,
  type PipelinePhase,
  type PipelineResult,
  type SupervisionResult,
} from './workflows/definitions';
import { endedRefusal, OperatorRefusal, sendUpdate, startSupervision } from './cli/operator';
import type { ProtectionRecord } from './decisions/protection';
import { protectionRegistry } from './clients/protection-registry';
import { addSlotCommands } from './cli/slots';

const out = (value: unknown): void =>
  void process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
const err = (line: string): void => void process.stderr.write(`${line}\n`);

/** Every phase, for `list --phase` (the Record makes the compiler notice a new one). */
const PIPELINE_PHASES = Object.keys({
  starting: 1,
  training: 1,
  comparing: 1,
  gating: 1,
  'awaiting-approval': 1,
  deploying: 1,
  'smoke-testing': 1,
  'cleaning-up': 1,
  completed: 1,
  cancelling: 1,
  cancelled: 1,
  failed: 1,
} satisfies Record<PipelinePhase, 1>);

async function withClient<T>(
  fn: (ctx: Awaited<ReturnType<typeof connectClient>> & { taskQueue: string }) => Promise<T>,
): Promise<T> {
  const env = parseEnv(temporalEnvSchema, process.env);
  const ctx = await connectClient(env);
  try {
    return await fn({ ...ctx, taskQueue: env.TEMPORAL_TASK_QUEUE });
  } finally {
    await ctx.connection.close();
  }
}

export function buildProgram(): Command {
  const program = new Command('starter')
    .description('Start, watch and steer fine-tune → deploy pipelines on Temporal.')
    .showHelpAfterError('(run with --help for usage)')
    // Before any command is added: subcommands inherit it, so their usage errors reach main() (exit 2).
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  $ starter run examples/pipeline.yaml            start (or attach to) a pipeline and follow it
  $ starter status pipeline-support-bot --json    machine-readable status
  $ starter approve pipeline-support-bot --reason "eval looks good"
  $ starter cleanup --job job_123 --keep 3 --dry-run
  $ starter schedule cleanup create --every 1d --keep 5 --status completed
  $ starter list --phase awaiting-approval

Connection: TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE,
TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY or TEMPORAL_API_KEY.`,
    );

  const pipelineId = () => new Argument('<workflowId>', 'the pipeline').argParser(workflowIdFlag());

  program
    .command('run <file>')
    .description('validate a pipeline file (YAML or JSON), start it, and follow it until it serves')
    .option('--new', 'start a fresh run even if one with this name is running')
    .option('--no-follow', 'start and print the workflow id, without waiting')
    .option('--json', 'print the result as JSON')
    .option('--no-search-attributes', 'do not set the custom search attributes (namespace without them)')
    .action(
      async (
        file: string,
        opts: { new?: boolean; follow: boolean; json?: boolean; searchAttributes: boolean },
      ) => {
        const spec = loadPipelineFile(file); // exits 2 before anything starts
        await withClient(async ({ client, taskQueue }) => {
          const { handle, attached } = await startOrAttachPipeline(client, spec, {
            taskQueue,
            forceNew: opts.new,
            searchAttributes: opts.searchAttributes,
          });
          err(`${attached ? 'attached to running' : 'started'} ${handle.workflowId}`);
          if (!opts.follow)
            return opts.json ? out({ workflowId: handle.workflowId, attached }) : out(handle.workflowId);
          const result = await followPipeline(handle, { interactive: !!process.stderr.isTTY && !opts.json });
          if (opts.json) return out({ workflowId: handle.workflowId, ...result });
          for (const line of resultLines(result)) out(line);
          if (result.outcome !== 'deployed') process.exitCode = 1;
        });
      },
    );

  program
    .command('status')
    .description('show where a pipeline is')
    .addArgument(pipelineId())
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

  program
    .command('watch')
    .description('follow a running pipeline with live progress and a loss sparkline')
    .addArgument(pipelineId())
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

  const checkpointArg = () =>
    new Argument('<checkpointId>', 'a checkpoint of the pipeline’s job').argParser(idFlag('checkpointId'));

  for (const [name, update] of [
    ['approve', approveUpdate],
    ['reject', rejectUpdate],
  ] as const) {
    program
      .command(name)
      .description(
        `${name} the candidate a pipeline awaits approval of (refused unless it awaits approval of that candidate)`,
      )
      .addArgument(pipelineId())
      .option(
        '--checkpoint <checkpointId>',
        'the candidate you saw in `status` (default: the one the pipeline shows now, printed first)',
        idFlag('checkpointId'),
      )
      .option('--reason <text>', 'why, kept in the pipeline result', textFlag('--reason', 500))
      .option('--by <name>', 'who decides', textFlag('--by', 100), process.env.USER)
      .option('--json', 'print the answer as JSON')
      .action(
        async (id: string, opts: { checkpoint?: string; reason?: string; by?: string; json?: boolean }) =>
          withClient(async ({ client }) => {
            const handle = client.workflow.getHandle(id);
            let checkpointId = opts.checkpoint;
            if (!checkpointId) {
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
            out(
              `${id}: ${answer.decision} ${answer.checkpointId}${answer.by ? ` by ${answer.by}` : ''}; ${answer.next}`,
            );
          }),
      );
  }

  addSlotCommands(program, { withClient, out });

  program
    .command('cancel')
    .description(
      'cancel a pipeline: training stops with a saved checkpoint, deployments in flight are removed (answers what it stops)',
    )
    .addArgument(pipelineId())
    .option('--reason <text>', 'why', textFlag('--reason', 500))
    .option('--json', 'print the answer as JSON')
    .action(async (id: string, opts: { reason?: string; json?: boolean }) =>
      withClient(async ({ client }) => {
        const answer = await sendUpdate(client.workflow.getHandle(id), cancelUpdate, { reason: opts.reason });
        if (opts.json) return out(answer);
        out(`${id}: cancelling (was ${answer.phase})`);
        for (const e of answer.effects) out(`  ${e}`);
      }),
    );

  program
    .command('pin')
    .description('exempt a checkpoint of the pipeline’s job from every cleanup, for good (until unpinned)')
    .addArgument(pipelineId())
    .addArgument(checkpointArg())
    .option('--json', 'print the answer as JSON')
    .action(async (id: string, checkpointId: string, opts: { json?: boolean }) =>
      withClient(async ({ client, taskQueue }) => {
        const pipeline = client.workflow.getHandle(id);
        const run = await pipeline.describe().catch(async (e: unknown) => {
          throw (await endedRefusal(pipeline)) ?? e;
        });
        if (run.status.name === 'RUNNING') {
          // The pipeline checks the checkpoint is its job's and records the pin in the shared
          // protection records before it answers: no cleanup that starts afterwards can miss it.
          const answer = await sendUpdate(pipeline, pinUpdate, { checkpointId });
          if (opts.json) return out(answer);
          return out(
            `${id}: ${answer.result} ${checkpointId} (job ${answer.jobId}; checked against the ${answer.checkedBy === 'listing' ? "pipeline's listing" : 'provider'})`,
          );
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

  program
    .command('unpin')
    .description('undo a pin of a running pipeline (its own cleanup and every other may delete it again)')
    .addArgument(pipelineId())
    .addArgument(checkpointArg())
    .option('--json', 'print the answer as JSON')
    .action(async (id: string, checkpointId: string, opts: { json?: boolean }) =>
      withClient(async ({ client }) => {
        const answer = await sendUpdate(client.workflow.getHandle(id), unpinUpdate, { checkpointId });
        if (opts.json) return out(answer);
        out(
          `${id}: unpinned ${checkpointId}${answer.pinned.length ? ` (still pinned: ${answer.pinned.join(', ')})` : ''}`,
        );
      }),
    );

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
        },
      ) => {
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
        };
        await withClient(async ({ client, taskQueue }) => {
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
                  `${p.status} epoch ${p.epoch ?? '-'}/${p.totalEpochs ?? '-'} ${p.percentage ?? 0}% loss ${p.metrics.loss ?? '-'} ${sparkline(losses)} cost ${p.cost ?? '-'}`,
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
                : `${jobId}: ${result.outcome === 'budget-reached' ? `cost budget reached (${result.job.cost}); the job was left running (no --may-stop)` : result.outcome} after ${result.polls} polls, ${result.resumes} resumes`,
            );
          } finally {
            clearInterval(ticker);
          }
        });
      },
    );

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
          const result = (await client.workflow.execute('checkpointCleanup', {
            taskQueue,
            workflowId: `cleanup-${opts.job.join('-')}-${Date.now()}`,
            args: [input],
            staticSummary: `${input.dryRun ? 'dry run: which' : 'delete'} old checkpoints of ${opts.job.join(', ')} (keep the newest ${opts.keep})`,
          })) as CleanupResult;
          if (opts.json) return out(result);
          out(
            `${result.dryRun ? 'would delete' : 'deleted'} ${result.deletedCount} of ${result.examined} checkpoints (${(result.bytesReclaimed / 1024 ** 3).toFixed(1)} GiB)${result.truncated ? '; stopped at --max-deletes' : ''}`,
          );
          for (const k of result.keptInDoubt ?? []) out(`  ${k.jobId}: ${k.reason}`);
          for (const d of result.deleted.slice(0, 20))
            out(
              `  ${d.checkpointId}  epoch ${d.epoch ?? '-'}  ${d.alreadyGone ? 'already gone (0 bytes)' : d.reason}`,
            );
          if (result.deletedCount > 20)
            out(
              `  … and ${result.deletedCount - 20} more (--json lists ${result.deleted.length === result.deletedCount ? 'all' : `the first ${result.deleted.length}`})`,
            );
        });
      },
    );

  const schedule = program
    .command('schedule')
    .description('manage Temporal Schedules')
    .command('cleanup')
    .description('the scheduled checkpoint cleanup');
  const scheduleOptions = (cmd: Command) =>
    cmd
      .option('--id <scheduleId>', 'schedule id', workflowIdFlag('--id'), 'checkpoint-cleanup')
      .option('--every <duration>', 'interval, e.g. 1d or 6h', durationFlag('schedule.every'))
      .option('--cron <expr>', 'cron expression instead of --every', cronFlag())
      .option(
        '--keep <n>',
        'newest automatic checkpoints to keep per job',
        numberFlag('cleanup.retention.keepLastN'),
        3,
      )
      .option(
        '--keep-days <n>',
        'also keep checkpoints younger than this',
        numberFlag('cleanup.retention.keepWithinDays'),
      )
      .addOption(
        new Option('--status <status>', 'clean jobs in this status')
          .choices(['completed', 'failed', 'cancelled', 'stopped'])
          .default('completed'),
      )
      .option(
        '--name-prefix <prefix>',
        'only jobs whose name starts with this',
        textFlag('--name-prefix', 128),
      )
      .option('--max-deletes <n>', 'upper bound per run', numberFlag('cleanup.maxDeletes'), 1000);
  const upsert = (opts: {
    id: string;
    every?: string;
    cron?: string;
    keep: number;
    keepDays?: number;
    status: 'completed' | 'failed' | 'cancelled' | 'stopped';
    namePrefix?: string;
    maxDeletes: number;
  }) =>
    withClient(async ({ client, taskQueue }) => {
      if (!opts.every && !opts.cron) opts.every = '1d';
      const { created } = await upsertCleanupSchedule(client, {
        scheduleId: opts.id,
        taskQueue,
        every: opts.every,
        cron: opts.cron,
        input: {
          jobFilter: { status: opts.status, namePrefix: opts.namePrefix },
          retention: { keepLastN: opts.keep, keepWithinDays: opts.keepDays },
          maxDeletes: opts.maxDeletes,
        },
      });
      out(`${created ? 'created' : 'updated'} schedule ${opts.id}`);
    });
  scheduleOptions(schedule.command('create').description('create (or update) the cleanup schedule')).action(
    upsert,
  );
  scheduleOptions(schedule.command('update').description('change the cleanup schedule')).action(upsert);
  schedule
    .command('list')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) =>
      withClient(async ({ client }) => {
        const list = await listCleanupSchedules(client);
        if (opts.json) return out(list);
        if (!list.length)
          return out('no cleanup schedules (create one: starter schedule cleanup create --every 1d)');
        for (const s of list)
          out(
            `${s.scheduleId}  ${s.paused ? 'paused' : 'active'}  next ${s.nextRunAt ?? '-'}  recent runs ${s.recentRuns.length}  ${s.note ?? ''}`,
          );
      }),
    );
  schedule
    .command('trigger')
    .option('--id <scheduleId>', 'schedule id', workflowIdFlag('--id'), 'checkpoint-cleanup')
    .action(async (opts: { id: string }) =>
      withClient(async ({ client }) => {
        await client.schedule.getHandle(opts.id).trigger();
        out(`triggered ${opts.id}`);
      }),
    );
  schedule
    .command('delete')
    .option('--id <scheduleId>', 'schedule id', workflowIdFlag('--id'), 'checkpoint-cleanup')
    .action(async (opts: { id: string }) =>
      withClient(async ({ client }) => {
        await client.schedule.getHandle(opts.id).delete();
        out(`deleted ${opts.id}`);
      }),
    );

  program
    .command('report')
    .description(
      'write one self-contained HTML/SVG file: the metric over checkpoints, chosen, threshold, deleted',
    )
    .addArgument(pipelineId())
    .option('-o, --out <file>', `where to write it (default ${defaultReportPath('<workflowId>')})`, '')
    .option('--json', 'print the report data instead')
    .action(async (id: string, opts: { out: string; json?: boolean }) =>
      withClient(async ({ client }) => {
        const data = await loadReportData(client, id);
        if (opts.json) return out(data);
        const file = opts.out || defaultReportPath(id);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, renderReport(data));
        out(
          `wrote ${file} (${data.totalCheckpoints ?? data.checkpoints.length} checkpoints, chosen ${data.chosenId ?? 'none'})`,
        );
      }),
    );

  program
    .command('list')
    .description('recent pipelines, filtered by the search attributes the workflows keep current')
    .addOption(new Option('--phase <phase>').choices(PIPELINE_PHASES))
    .addOption(new Option('--provider <provider>').choices(['tensorone', 'marqtune']))
    .option('--job <jobId>', 'pipelines of this training job', idFlag('train.jobId'))
    .option('--limit <n>', 'at most this many', wholeNumberFlag(1, 1000), 20)
    .option('--json', 'print as JSON')
    .action(
      async (opts: { phase?: string; provider?: string; job?: string; limit: number; json?: boolean }) =>
        withClient(async ({ client }) => {
          const quote = (v: string) => `'${v.replace(/'/g, '')}'`;
          const clauses = [`WorkflowType = 'fineTuneToDeploy'`];
          if (opts.phase) clauses.push(`FtpPhase = ${quote(opts.phase)}`);
          if (opts.provider) clauses.push(`FtpProvider = ${quote(opts.provider)}`);
          if (opts.job) clauses.push(`FtpJobId = ${quote(opts.job)}`);
          const rows: Record<string, unknown>[] = [];
          const limit = opts.limit;
          for await (const w of client.workflow.list({ query: clauses.join(' AND ') })) {
            const sa = w.searchAttributes as Record<string, unknown[] | undefined>;
            rows.push({
              workflowId: w.workflowId,
              status: w.status.name,
              phase: sa.FtpPhase?.[0],
              provider: sa.FtpProvider?.[0],
              jobId: sa.FtpJobId?.[0] || undefined,
              startTime: w.startTime.toISOString(),
            });
            if (rows.length >= limit) break;
          }
          if (opts.json) return out(rows);
          if (!rows.length) return out('no pipelines match');
          const row = (id: unknown, status: unknown, phase: unknown, provider: unknown, job: unknown) =>
            `${String(id).padEnd(36)} ${String(status).padEnd(10)} ${String(phase).padEnd(18)} ${String(provider).padEnd(9)} ${String(job)}`.trimEnd();
          out(row('WORKFLOW ID', 'STATUS', 'PHASE', 'PROVIDER', 'JOB'));
          for (const r of rows)
            out(row(r.workflowId, r.status, r.phase ?? '-', r.provider ?? '-', r.jobId ?? ''));
        }),
    );
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    const noKey = missingKeyMessage(e);
    if (noKey) {
      err(`error: ${noKey}`);
      return 2;
    }
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof InvalidPipelineInput) {
      err(`error: ${e.message}`);
      return 2;
    }
    if (e instanceof OperatorRefusal) {
      err(`refused: ${e.message}`);
      return 2;
    }
    if (e instanceof ConfigError) {
      err(`error: ${e.message}`);
      return 2;
    }
    err(`error: ${failureCause(e)}`);
    if (process.env.FTP_DEBUG) err(String((e as Error).stack));
    return 1;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => process.exit(code));
}
