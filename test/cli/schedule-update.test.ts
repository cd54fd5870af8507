import { Client } from '@temporalio/client';
import { useCliBed } from '../harness/cli-bed';
import type { CleanupInput } from '../../src/workflows/cleanup/contract';
import { listReconcileSchedules } from '../../src/schedules/reconcile-schedule';
import { eventually } from '../harness/sandbox';

/** `schedule cleanup update` changes only the flags given and prints the settings it leaves. */

const bed = useCliBed({ name: 'schedule-update' });
const { taskQueue } = bed;
const cli = (args: string[]) => bed.inProcess(args);

const described = async (id: string) => {
  const d = await bed.dev.client.schedule.getHandle(id).describe();
  if (d.action.type !== 'startWorkflow') throw new Error('not a workflow schedule');
  return {
    every: d.spec.intervals?.[0]?.every,
    calendars: d.spec.calendars,
    input: d.action.args?.[0] as CleanupInput,
  };
};

it('update --keep/--keep-days keeps the interval; update --every keeps the retention; both print the result', async () => {
  const id = `merge-${taskQueue}`;
  const created = await cli([
    'schedule',
    'cleanup',
    'create',
    '--id',
    id,
    '--every',
    '12h',
    '--keep',
    '3',
    '--name-prefix',
    'nightly-',
  ]);
  expect(created.code).toBe(0);
  expect(created.stdout).toContain('  runs: every 12h');

  const keep = await cli(['schedule', 'cleanup', 'update', '--id', id, '--keep', '4', '--keep-days', '7']);
  expect(keep.code).toBe(0);
  expect(keep.stdout).toBe(
    [
      `updated schedule ${id}:`,
      '  runs: every 12h',
      '  jobs: completed, named "nightly-…"',
      '  keeps: the newest 4 automatic checkpoints of each job, those younger than 7 days, and every manual checkpoint (was the newest 3 automatic checkpoints of each job, and every manual checkpoint)',
      '  deletes at most: 1000 per run',
      '',
    ].join('\n'),
  );
  expect(await described(id)).toMatchObject({
    every: 12 * 3_600_000,
    input: {
      retention: { keepLastN: 4, keepWithinDays: 7 },
      jobFilter: { status: 'completed', namePrefix: 'nightly-' },
    },
  });

  const every = await cli(['schedule', 'cleanup', 'update', '--id', id, '--every', '1d']);
  expect(every.stdout).toContain('  runs: every 1d (was every 12h)');
  expect(every.stdout).toContain('the newest 4 automatic checkpoints of each job, those younger than 7 days');
  expect(await described(id)).toMatchObject({
    every: 86_400_000,
    input: { retention: { keepLastN: 4, keepWithinDays: 7 }, maxDeletes: 1000 },
  });
  // create over the existing schedule sets every setting, and says what each it changed was.
  const again = await cli(['schedule', 'cleanup', 'create', '--id', id, '--every', '1d', '--keep', '2']);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain(
    '  keeps: the newest 2 automatic checkpoints of each job, and every manual checkpoint (was the newest 4 automatic checkpoints of each job, those younger than 7 days, and every manual checkpoint)\n',
  );
  expect(again.stdout).toContain('  runs: every 1d\n');
  await bed.dev.client.schedule.getHandle(id).delete();
});

it('update --no-keep-days removes the days rule (and --no-name-prefix the filter), keeping the rest', async () => {
  const id = `drop-${taskQueue}`;
  const create = ['schedule', 'cleanup', 'create', '--id', id, '--every', '12h', '--keep', '3'];
  expect((await cli([...create, '--keep-days', '7', '--name-prefix', 'nightly-'])).code).toBe(0);

  const dropped = await cli(['schedule', 'cleanup', 'update', '--id', id, '--no-keep-days']);
  expect(dropped.code).toBe(0);
  expect(dropped.stdout).toContain(
    '  keeps: the newest 3 automatic checkpoints of each job, and every manual checkpoint (was the newest 3 automatic checkpoints of each job, those younger than 7 days, and every manual checkpoint)\n',
  );
  expect(dropped.stdout).toContain('  jobs: completed, named "nightly-…"');
  const after = await described(id);
  expect(after.input.retention).toEqual({ keepLastN: 3 });
  expect(after.every).toBe(12 * 3_600_000);

  const anyName = await cli(['schedule', 'cleanup', 'update', '--id', id, '--no-name-prefix']);
  expect(anyName.stdout).toContain('  jobs: completed (was completed, named "nightly-…")\n');
  expect((await described(id)).input.jobFilter).toEqual({ status: 'completed' });
  await bed.dev.client.schedule.getHandle(id).delete();
});

it('a cron schedule keeps its cron through an update of the retention', async () => {
  const id = `merge-cron-${taskQueue}`;
  expect((await cli(['schedule', 'cleanup', 'create', '--id', id, '--cron', '0 3 * * *'])).code).toBe(0);
  const calendars = (await described(id)).calendars;
  const r = await cli(['schedule', 'cleanup', 'update', '--id', id, '--keep', '5']);
  expect(r.stdout).toContain('  runs: cron "0 3 * * *"');
  expect(r.stdout).toContain('the newest 5 automatic');
  expect((await described(id)).calendars).toEqual(calendars);
  await bed.dev.client.schedule.getHandle(id).delete();
});

it('update of a schedule that does not exist: exit 3 and the command that creates it', async () => {
  const r = await cli(['schedule', 'cleanup', 'update', '--id', `absent-${taskQueue}`, '--keep', '2']);
  expect(r.code).toBe(3);
  expect(r.stderr).toContain(
    `no schedule absent-${taskQueue} (create it: starter schedule cleanup create --id absent-${taskQueue} --every 1d)`,
  );
});

it.each([
  ['cleanup', 'trigger', '--every 1d'],
  ['cleanup', 'delete', '--every 1d'],
  ['reconcile', 'trigger', '--every 1h'],
  ['reconcile', 'delete', '--every 1h'],
])(
  'schedule %s %s of a schedule that does not exist: exit 3 and the command that creates it, as update says',
  async (kind, verb, every) => {
    const id = `absent-${verb}-${taskQueue}`;
    const r = await cli(['schedule', kind, verb, '--id', id]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `not found: no schedule ${id} (create it: starter schedule ${kind} create --id ${id} ${every})\n`,
    );
  },
);

it('schedule reconcile update --every keeps the grace and the dry run, and prints what changed', async () => {
  const id = `reconcile-merge-${taskQueue}`;
  const create = ['schedule', 'reconcile', 'create', '--id', id, '--every', '2h'];
  const created = await cli([...create, '--grace', '3h', '--dry-run']);
  expect(created.code).toBe(0);
  expect(created.stdout).toContain('  grace: 3h\n  mode: dry run (reports only)');
  const action = async () => {
    const d = await bed.dev.client.schedule.getHandle(id).describe();
    return { every: d.spec.intervals?.[0]?.every, action: d.action };
  };

  // The list shows each schedule's settings as create printed them: mode and grace included.
  const listed = await cli(['schedule', 'reconcile', 'list']);
  expect(listed.code).toBe(0);
  const mine = listed.stdout.slice(listed.stdout.indexOf(`${id}  active`));
  expect(mine).toMatch(
    /^\S+ {2}active .*\n {2}runs: every 2h\n {2}grace: 3h\n {2}mode: dry run \(reports only\)\n/,
  );

  const every = await cli(['schedule', 'reconcile', 'update', '--id', id, '--every', '30m']);
  expect(every.code).toBe(0);
  expect(every.stdout).toBe(
    [
      `updated schedule ${id}:`,
      '  runs: every 30m (was every 2h)',
      '  grace: 3h',
      '  mode: dry run (reports only)',
      '',
    ].join('\n'),
  );
  expect(await action()).toMatchObject({
    every: 30 * 60_000,
    action: { workflowType: 'reconcileOrphans', args: [{ dryRun: true, graceMs: 3 * 3_600_000 }] },
  });

  const acting = await cli(['schedule', 'reconcile', 'update', '--id', id, '--no-dry-run', '--grace', '2h']);
  expect(acting.stdout).toContain(
    '  grace: 2h (was 3h)\n  mode: stops and removes (was dry run (reports only))',
  );
  expect(await action()).toMatchObject({
    every: 30 * 60_000,
    action: { args: [{ dryRun: false, graceMs: 2 * 3_600_000 }] },
  });
  await bed.dev.client.schedule.getHandle(id).delete();
});

it('schedule reconcile update of a schedule that does not exist: exit 3 and the command that creates it', async () => {
  const r = await cli(['schedule', 'reconcile', 'update', '--id', `absent-r-${taskQueue}`, '--grace', '2h']);
  expect(r.code).toBe(3);
  expect(r.stderr).toContain(
    `no schedule absent-r-${taskQueue} (create it: starter schedule reconcile create --id absent-r-${taskQueue} --every 1h)`,
  );
});

it('schedule reconcile create over a dry-run schedule says it now acts: every setting that changed says what it was', async () => {
  const id = `reconcile-replace-${taskQueue}`;
  const create = ['schedule', 'reconcile', 'create', '--id', id, '--every', '2h'];
  expect((await cli([...create, '--dry-run'])).code).toBe(0);
  const replaced = await cli(create);
  expect(replaced.code).toBe(0);
  expect(replaced.stdout).toBe(
    [
      `updated schedule ${id}:`,
      '  runs: every 2h',
      '  grace: 1h',
      '  mode: stops and removes (was dry run (reports only))',
      '',
    ].join('\n'),
  );
  await bed.dev.client.schedule.getHandle(id).delete();
});

it('an update given no setting is refused (exit 2) naming the settings it takes; the schedule is untouched', async () => {
  const id = `reconcile-empty-${taskQueue}`;
  expect(
    (await cli(['schedule', 'reconcile', 'create', '--id', id, '--every', '2h', '--dry-run'])).code,
  ).toBe(0);
  const empty = await cli(['schedule', 'reconcile', 'update', '--id', id]);
  expect(empty.code).toBe(2);
  expect(empty.stderr).toContain(
    'nothing to change: give at least one of --every, --cron, --grace, --dry-run',
  );
  expect(empty.stdout).toBe('');
  const cleanup = await cli(['schedule', 'cleanup', 'update', '--id', id]);
  expect(cleanup.code).toBe(2);
  expect(cleanup.stderr).toContain('--keep, --keep-days, --status, --name-prefix, --max-deletes');
  await bed.dev.client.schedule.getHandle(id).delete();
});

it('a schedule deleted between the listing and its describe is left out of the list, not a failure of it', async () => {
  const kept = `list-kept-${taskQueue}`;
  const deleted = `list-deleted-${taskQueue}`;
  for (const id of [kept, deleted])
    expect((await cli(['schedule', 'reconcile', 'create', '--id', id, '--every', '2h'])).code).toBe(0);
  const listedIds = async () => (await listReconcileSchedules(bed.dev.client)).map((s) => s.scheduleId);
  // The listing is read from visibility, which lags behind a create.
  await eventually(async () => {
    const ids = await listedIds();
    return ids.includes(kept) && ids.includes(deleted);
  }, 30_000);

  // A client of its own whose listing deletes `deleted` for real just as the listing yields it.
  const client = new Client({ connection: bed.dev.client.connection });
  const list = client.schedule.list.bind(client.schedule);
  client.schedule.list = async function* (options) {
    for await (const s of list(options)) {
      if (s.scheduleId === deleted) await client.schedule.getHandle(deleted).delete();
      yield s;
    }
  };
  const ids = (await listReconcileSchedules(client)).map((s) => s.scheduleId);
  expect(ids).toContain(kept);
  expect(ids).not.toContain(deleted);
  await bed.dev.client.schedule.getHandle(kept).delete();
});
