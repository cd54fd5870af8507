import { Option, type Command } from 'commander';
import { reconcileCreateCommand, reconcileSettingsLines } from '../../decisions/reconcile-schedule';
import {
  cleanupCreateCommand,
  cleanupSettingsLines,
  type JobStatusFilter,
  type ScheduleTiming,
} from '../../decisions/cleanup-schedule';
import type { Client } from '@temporalio/client';
import type { ScheduleSettings, WorkflowScheduleSummary } from '../../schedules/workflow-schedule';
import { parseDuration } from '../../domain/duration';
import { cronFlag, durationFlag, numberFlag, textFlag, workflowIdFlag } from '../flags';
import { out } from '../io';
import { withClient } from '../with-client';

/** The options every schedule's create and update take: its id and when it runs. */
const timingOptions = (cmd: Command, defaultId: string, defaultEvery?: string) =>
  cmd
    .option('--id <scheduleId>', 'schedule id', workflowIdFlag('--id'), defaultId)
    .option(
      '--every <duration>',
      `interval, e.g. 1d or 6h${defaultEvery ? ` (default ${defaultEvery})` : ''}`,
      durationFlag('schedule.every'),
    )
    .addOption(
      new Option('--cron <expr>', 'cron expression instead of --every')
        .argParser(cronFlag())
        .conflicts('every'),
    );

/** `list`, `trigger` and `delete`, the same for every schedule kind. */
function addScheduleLifecycle<I>(
  schedule: Command,
  kind: {
    what: string;
    defaultId: string;
    example: string;
    /** What creates the schedule `id`, for a refusal that finds none. */
    createCommand: (id: string) => string;
    list: (client: Client) => Promise<WorkflowScheduleSummary<I>[]>;
    /** The settings as `create` prints them. */
    settingsLines: (settings: ScheduleSettings<I>) => string[];
  },
): void {
  schedule
    .command('list')
    .description(`list the ${kind.what} schedules: state, next run, recent runs and their settings`)
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) =>
      withClient(async ({ client }) => {
        const list = await kind.list(client);
        if (opts.json) return out(list);
        if (!list.length) return out(`no ${kind.what} schedules (create one: ${kind.example})`);
        for (const s of list)
          out(
            [
              `${s.scheduleId}  ${s.paused ? 'paused' : 'active'}  next ${s.nextRunAt ?? '-'}  recent runs ${s.recentRuns.length}  ${s.note ?? ''}`,
              ...(s.settings ? kind.settingsLines(s.settings) : []),
            ].join('\n'),
          );
      }),
    );
  schedule
    .command('trigger')
    .description(
      `start one ${kind.what} run now with the schedule's settings (its next runs stay as planned)`,
    )
    .option('--id <scheduleId>', 'schedule id', workflowIdFlag('--id'), kind.defaultId)
    .action(async (opts: { id: string }) =>
      withClient(async ({ client }) => {
        await named(opts.id, () => client.schedule.getHandle(opts.id).trigger());
        out(`triggered ${opts.id}`);
      }),
    );
  schedule
    .command('delete')
    .description(`delete the ${kind.what} schedule (runs already started finish)`)
    .option('--id <scheduleId>', 'schedule id', workflowIdFlag('--id'), kind.defaultId)
    .action(async (opts: { id: string }) =>
      withClient(async ({ client }) => {
        await named(opts.id, () => client.schedule.getHandle(opts.id).delete());
        out(`deleted ${opts.id}`);
      }),
    );
  /** A schedule that is not there is named with the command that creates it, as `update` names it. */
  async function named(id: string, act: () => Promise<void>): Promise<void> {
    const { ScheduleNotFoundError } = await import('@temporalio/client');
    const { WorkflowScheduleNotFound } = await import('../../schedules/workflow-schedule');
    await act().catch((e: unknown) => {
      throw e instanceof ScheduleNotFoundError ? new WorkflowScheduleNotFound(id, kind.createCommand(id)) : e;
    });
  }
}

/** `starter schedule cleanup|reconcile create|update|list|trigger|delete`: the Temporal Schedules. */
export function addScheduleCommand(program: Command): void {
  const parent = program.command('schedule').description('manage Temporal Schedules');
  addCleanupSchedule(parent);
  addReconcileSchedule(parent);
}

/** An `update` given no setting would change nothing and say "updated": refused, naming what it takes. */
async function refuseEmptyUpdate<T extends object>(opts: T, settings: (keyof T & string)[]): Promise<void> {
  if (settings.some((k) => opts[k] !== undefined)) return;
  const { InvalidScheduleInput } = await import('../../schedules/workflow-schedule');
  const flags = settings.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  throw new InvalidScheduleInput(`nothing to change: give at least one of ${flags.join(', ')}`);
}

/** The schedule's timing from `--cron` or `--every`; none when neither was given. */
const timingOf = (opts: { cron?: string; every?: string }): ScheduleTiming | undefined =>
  opts.cron ? { cron: opts.cron } : opts.every ? { every: opts.every } : undefined;

/** What `create` prints: whether the schedule was created or replaced, then each setting it now has. */
const upsertedLines = (id: string, created: boolean, settings: string[]) =>
  [`${created ? 'created' : 'updated'} schedule ${id}:`, ...settings].join('\n');

function addCleanupSchedule(parent: Command): void {
  const schedule = parent.command('cleanup').description('the scheduled checkpoint cleanup');
  /** The settings' flags; `create` fills the ones not given with defaults, `update` leaves them as they are. */
  const scheduleOptions = (cmd: Command, defaults: boolean) =>
    timingOptions(cmd, 'checkpoint-cleanup', defaults ? '1d' : undefined)
      .option(
        '--keep <n>',
        'newest automatic checkpoints to keep per job',
        numberFlag('cleanup.retention.keepLastN'),
        defaults ? 3 : undefined,
      )
      .option(
        '--keep-days <n>',
        'also keep checkpoints younger than this',
        numberFlag('cleanup.retention.keepWithinDays'),
      )
      .addOption(
        new Option('--status <status>', 'clean jobs in this status')
          .choices(['completed', 'failed', 'cancelled', 'stopped'])
          .default(defaults ? 'completed' : undefined),
      )
      .option(
        '--name-prefix <prefix>',
        'only jobs whose name starts with this',
        textFlag('--name-prefix', 128),
      )
      .option(
        '--max-deletes <n>',
        'upper bound per run',
        numberFlag('cleanup.maxDeletes'),
        defaults ? 1000 : undefined,
      );
  /** `update` only: flags that remove an optional setting (`false` in the options when given). */
  const removalOptions = (cmd: Command) =>
    cmd
      .option('--no-keep-days', 'remove the --keep-days rule (keep by count only)')
      .option('--no-name-prefix', 'remove the --name-prefix filter (jobs of any name)');
  interface SettingsFlags {
    id: string;
    every?: string;
    cron?: string;
    keep?: number;
    keepDays?: number | false;
    status?: JobStatusFilter;
    namePrefix?: string | false;
    maxDeletes?: number;
  }
  /** A flag's value as a change: `false` (its --no- flag) removes the setting. */
  const change = <T>(value: T | false | undefined): T | null | undefined => (value === false ? null : value);
  const create = (opts: SettingsFlags) =>
    withClient(async ({ client, taskQueue }) => {
      const { upsertCleanupSchedule } = await import('../../schedules/cleanup-schedule');
      const timing = timingOf(opts) ?? { every: '1d' };
      const input = {
        jobFilter: { status: opts.status, namePrefix: change(opts.namePrefix) ?? undefined },
        retention: { keepLastN: opts.keep ?? 3, keepWithinDays: change(opts.keepDays) ?? undefined },
        maxDeletes: opts.maxDeletes,
      };
      const { created, before } = await upsertCleanupSchedule(client, {
        scheduleId: opts.id,
        taskQueue,
        ...timing,
        input,
      });
      out(upsertedLines(opts.id, created, cleanupSettingsLines({ timing, input }, before)));
    });
  const update = (opts: SettingsFlags) =>
    withClient(async ({ client }) => {
      await refuseEmptyUpdate(opts, [
        'every',
        'cron',
        'keep',
        'keepDays',
        'status',
        'namePrefix',
        'maxDeletes',
      ]);
      const { updateCleanupSchedule } = await import('../../schedules/cleanup-schedule');
      const { before, after } = await updateCleanupSchedule(client, opts.id, {
        timing: timingOf(opts),
        keepLastN: opts.keep,
        keepWithinDays: change(opts.keepDays),
        status: opts.status,
        namePrefix: change(opts.namePrefix),
        maxDeletes: opts.maxDeletes,
      });
      out([`updated schedule ${opts.id}:`, ...cleanupSettingsLines(after, before)].join('\n'));
    });
  scheduleOptions(
    schedule
      .command('create')
      .description('create the cleanup schedule (an existing one is replaced: every setting is set)'),
    true,
  ).action(create);
  removalOptions(
    scheduleOptions(
      schedule
        .command('update')
        .description(
          'change the settings given (--no-keep-days removes one); every other one stays as it is',
        ),
      false,
    ),
  ).action(update);
  addScheduleLifecycle(schedule, {
    what: 'cleanup',
    defaultId: 'checkpoint-cleanup',
    example: 'starter schedule cleanup create --every 1d',
    createCommand: cleanupCreateCommand,
    list: async (client) => (await import('../../schedules/cleanup-schedule')).listCleanupSchedules(client),
    settingsLines: (settings) => cleanupSettingsLines(settings),
  });
}

function addReconcileSchedule(parent: Command): void {
  const schedule = parent.command('reconcile').description('the scheduled orphan reconciler');
  /** The settings' flags; `create` fills the ones not given with defaults, `update` leaves them as they are. */
  const scheduleOptions = (cmd: Command, defaults: boolean) =>
    timingOptions(cmd, 'orphan-reconcile', defaults ? '1h' : undefined)
      .option(
        '--grace <duration>',
        `how long an owning run must have been closed${defaults ? '' : ' (default: as it is)'}`,
        durationFlag('reconcile.grace'),
        defaults ? '1h' : undefined,
      )
      .option('--dry-run', 'each run only reports what it would do');
  interface SettingsFlags {
    id: string;
    every?: string;
    cron?: string;
    grace?: string;
    dryRun?: boolean;
  }
  const create = (opts: SettingsFlags) =>
    withClient(async ({ client, taskQueue }) => {
      const { upsertReconcileSchedule } = await import('../../schedules/reconcile-schedule');
      const timing = timingOf(opts) ?? { every: '1h' };
      const input = { dryRun: !!opts.dryRun, graceMs: parseDuration(opts.grace ?? '1h')! };
      const { created, before } = await upsertReconcileSchedule(client, {
        scheduleId: opts.id,
        taskQueue,
        ...timing,
        input,
      });
      out(upsertedLines(opts.id, created, reconcileSettingsLines({ timing, input }, before)));
    });
  const update = (opts: SettingsFlags) =>
    withClient(async ({ client }) => {
      await refuseEmptyUpdate(opts, ['every', 'cron', 'grace', 'dryRun']);
      const { updateReconcileSchedule } = await import('../../schedules/reconcile-schedule');
      const { before, after } = await updateReconcileSchedule(client, opts.id, {
        timing: timingOf(opts),
        graceMs: opts.grace === undefined ? undefined : parseDuration(opts.grace)!,
        dryRun: opts.dryRun,
      });
      out([`updated schedule ${opts.id}:`, ...reconcileSettingsLines(after, before)].join('\n'));
    });
  scheduleOptions(
    schedule
      .command('create')
      .description('create the reconcile schedule (an existing one is replaced: every setting is set)'),
    true,
  ).action(create);
  scheduleOptions(
    schedule
      .command('update')
      .description('change the settings given (--no-dry-run makes it act); every other one stays as it is'),
    false,
  )
    .option('--no-dry-run', 'each run stops and removes what it finds')
    .action(update);
  addScheduleLifecycle(schedule, {
    what: 'reconcile',
    defaultId: 'orphan-reconcile',
    example: 'starter schedule reconcile create --every 1h',
    createCommand: reconcileCreateCommand,
    list: async (client) =>
      (await import('../../schedules/reconcile-schedule')).listReconcileSchedules(client),
    settingsLines: (settings) => reconcileSettingsLines(settings),
  });
}
