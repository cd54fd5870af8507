import { Option, type Command } from 'commander';
import {
  cleanupSettingsLines,
  type JobStatusFilter,
  type ScheduleTiming,
} from '../../decisions/cleanup-schedule';
import {
  listCleanupSchedules,
  updateCleanupSchedule,
  upsertCleanupSchedule,
} from '../../schedules/cleanup-schedule';
import { cronFlag, durationFlag, numberFlag, textFlag, workflowIdFlag } from '../flags';
import { out } from '../io';
import { withClient } from '../with-client';

/** `starter schedule cleanup create|update|list|trigger|delete`: the cleanup Temporal Schedule. */
export function addScheduleCommand(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('manage Temporal Schedules')
    .command('cleanup')
    .description('the scheduled checkpoint cleanup');
  /** The settings' flags; `create` fills the ones not given with defaults, `update` leaves them as they are. */
  const scheduleOptions = (cmd: Command, defaults: boolean) =>
    cmd
      .option('--id <scheduleId>', 'schedule id', workflowIdFlag('--id'), 'checkpoint-cleanup')
      .option(
        '--every <duration>',
        `interval, e.g. 1d or 6h${defaults ? ' (default 1d)' : ''}`,
        durationFlag('schedule.every'),
      )
      .addOption(
        new Option('--cron <expr>', 'cron expression instead of --every')
          .argParser(cronFlag())
          .conflicts('every'),
      )
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
  interface SettingsFlags {
    id: string;
    every?: string;
    cron?: string;
    keep?: number;
    keepDays?: number;
    status?: JobStatusFilter;
    namePrefix?: string;
    maxDeletes?: number;
  }
  const timingOf = (opts: SettingsFlags): ScheduleTiming | undefined =>
    opts.cron ? { cron: opts.cron } : opts.every ? { every: opts.every } : undefined;
  const create = (opts: SettingsFlags) =>
    withClient(async ({ client, taskQueue }) => {
      const timing = timingOf(opts) ?? { every: '1d' };
      const input = {
        jobFilter: { status: opts.status, namePrefix: opts.namePrefix },
        retention: { keepLastN: opts.keep ?? 3, keepWithinDays: opts.keepDays },
        maxDeletes: opts.maxDeletes,
      };
      const { created } = await upsertCleanupSchedule(client, {
        scheduleId: opts.id,
        taskQueue,
        ...timing,
        input,
      });
      out(
        [
          `${created ? 'created' : 'updated'} schedule ${opts.id}:`,
          ...cleanupSettingsLines(timing, input),
        ].join('\n'),
      );
    });
  const update = (opts: SettingsFlags) =>
    withClient(async ({ client }) => {
      const { timing, input } = await updateCleanupSchedule(client, opts.id, {
        timing: timingOf(opts),
        keepLastN: opts.keep,
        keepWithinDays: opts.keepDays,
        status: opts.status,
        namePrefix: opts.namePrefix,
        maxDeletes: opts.maxDeletes,
      });
      out([`updated schedule ${opts.id}:`, ...cleanupSettingsLines(timing, input)].join('\n'));
    });
  scheduleOptions(
    schedule
      .command('create')
      .description('create the cleanup schedule (an existing one is replaced: every setting is set)'),
    true,
  ).action(create);
  scheduleOptions(
    schedule.command('update').description('change the settings given; every other one stays as it is'),
    false,
  ).action(update);
  schedule
    .command('list')
    .description('list the cleanup schedules: state, next run, recent runs')
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
    .description("start one cleanup run now with the schedule's settings (its next runs stay as planned)")
    .option('--id <scheduleId>', 'schedule id', workflowIdFlag('--id'), 'checkpoint-cleanup')
    .action(async (opts: { id: string }) =>
      withClient(async ({ client }) => {
        await client.schedule.getHandle(opts.id).trigger();
        out(`triggered ${opts.id}`);
      }),
    );
  schedule
    .command('delete')
    .description('delete the cleanup schedule (runs already started finish)')
    .option('--id <scheduleId>', 'schedule id', workflowIdFlag('--id'), 'checkpoint-cleanup')
    .action(async (opts: { id: string }) =>
      withClient(async ({ client }) => {
        await client.schedule.getHandle(opts.id).delete();
        out(`deleted ${opts.id}`);
      }),
    );
}
