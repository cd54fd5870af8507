import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import {
  durationText,
  mergeCleanupInput,
  type CleanupScheduleChanges,
  type ScheduleTiming,
} from '../decisions/cleanup-schedule';
import { parseDuration } from '../domain/duration';
import { checkpointCleanup } from '../workflows/cleanup';
import type { CleanupInput } from '../workflows/definitions';

/** A schedule the input cannot make (the CLI exits 2): nothing was created or changed. */
export class InvalidScheduleInput extends Error {
  override name = 'InvalidScheduleInput';
}

interface CleanupScheduleSpec {
  scheduleId: string;
  taskQueue: string;
  input: CleanupInput;
  /** Interval such as "1d" or "6h" (Temporal duration strings)… */
  every?: string;
  /** …or a cron expression, e.g. "0 3 * * *". */
  cron?: string;
  /** Runs missed while the cluster was down are caught up within this window, else skipped. */
  catchupWindow?: string;
  note?: string;
}

/**
 * Creates the checkpoint-cleanup schedule, or updates it in place when it exists. A run that would
 * overlap one still going is skipped: cleanup of the same jobs twice at once gains nothing.
 */
export async function upsertCleanupSchedule(
  client: Client,
  spec: CleanupScheduleSpec,
): Promise<{ created: boolean }> {
  if (!spec.every === !spec.cron)
    throw new InvalidScheduleInput('a cleanup schedule needs exactly one of `every` or `cron`');
  const everyMs = spec.every ? parseDuration(spec.every) : undefined;
  if (spec.every && everyMs === undefined)
    throw new InvalidScheduleInput(`every: "${spec.every}" is not a duration such as "6h" or "1d"`);
  const catchupMs = parseDuration(spec.catchupWindow ?? '1h');
  if (catchupMs === undefined)
    throw new InvalidScheduleInput(`catchupWindow: "${spec.catchupWindow}" is not a duration`);
  const options: ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof checkpointCleanup>> = {
    scheduleId: spec.scheduleId,
    spec: spec.cron ? { cronExpressions: [spec.cron] } : { intervals: [{ every: everyMs! }] },
    action: {
      type: 'startWorkflow',
      workflowType: checkpointCleanup,
      taskQueue: spec.taskQueue,
      args: [spec.input],
      workflowId: `${spec.scheduleId}-run`,
      staticSummary: cleanupSummary(spec.input),
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: catchupMs, pauseOnFailure: false },
    state: { note: spec.note ?? scheduleNote(spec.cron ? { cron: spec.cron } : undefined) },
  };
  try {
    try {
      await client.schedule.create(options);
      return { created: true };
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(spec.scheduleId).update((previous: ScheduleDescription) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: { ...previous.policies, ...options.policies },
      }));
      return { created: false };
    }
  } catch (err) {
    // The client turns the server's "Invalid schedule spec" (a cron it cannot read) into a TypeError.
    if (err instanceof TypeError)
      throw new InvalidScheduleInput(
        `invalid schedule (${spec.cron ? `cron "${spec.cron}"` : `every ${spec.every}`}): ${err.message}`,
      );
    throw err;
  }
}

const cleanupSummary = (input: CleanupInput) =>
  `scheduled cleanup: keep the newest ${input.retention.keepLastN} automatic checkpoints of ${input.jobFilter?.status ?? 'every'} jobs`;

/**
 * The schedule's note; it carries a cron expression as written, which Temporal describes back only as
 * calendars (an interval it describes as given).
 */
const NOTE = 'checkpoint cleanup (finetune-pipelines)';
const scheduleNote = (timing?: ScheduleTiming) =>
  timing && 'cron' in timing ? `${NOTE}: cron "${timing.cron}"` : NOTE;

function timingOf(description: Pick<ScheduleDescription, 'spec' | 'state'>): ScheduleTiming | undefined {
  const every = description.spec.intervals?.[0]?.every;
  if (every !== undefined) return { every: durationText(Number(every)) };
  const cron = /cron "([^"]+)"/.exec(description.state.note ?? '')?.[1];
  return cron ? { cron } : undefined;
}

/** No schedule under that id (the CLI exits 3 and says how to create one). */
export class CleanupScheduleNotFound extends Error {
  override name = 'CleanupScheduleNotFound';
  constructor(readonly scheduleId: string) {
    super(
      `no schedule ${scheduleId} (create it: starter schedule cleanup create --id ${scheduleId} --every 1d)`,
    );
  }
}

/**
 * Changes only the settings given and keeps every other one; answers the settings it now has. The
 * update is read-modify-write in one call, so a concurrent change is not overwritten blindly.
 */
export async function updateCleanupSchedule(
  client: Client,
  scheduleId: string,
  changes: CleanupScheduleChanges,
): Promise<{ timing?: ScheduleTiming; input: CleanupInput }> {
  const every = changes.timing && 'every' in changes.timing ? parseDuration(changes.timing.every) : undefined;
  if (changes.timing && 'every' in changes.timing && every === undefined)
    throw new InvalidScheduleInput(`every: "${changes.timing.every}" is not a duration such as "6h" or "1d"`);
  let settings: { timing?: ScheduleTiming; input: CleanupInput } | undefined;
  try {
    await client.schedule.getHandle(scheduleId).update((previous: ScheduleDescription) => {
      const action = previous.action;
      if (action.type !== 'startWorkflow' || action.workflowType !== checkpointCleanup.name)
        throw new InvalidScheduleInput(`schedule ${scheduleId} does not run the checkpoint cleanup`);
      const before = action.args?.[0] as CleanupInput | undefined;
      if (!before) throw new InvalidScheduleInput(`schedule ${scheduleId} has no cleanup input to change`);
      const input = mergeCleanupInput(before, changes);
      const timing = changes.timing ?? timingOf(previous);
      settings = { timing, input };
      return {
        ...previous,
        spec: !changes.timing
          ? previous.spec
          : 'cron' in changes.timing
            ? { cronExpressions: [changes.timing.cron] }
            : { intervals: [{ every: every! }] },
        action: { ...action, args: [input], staticSummary: cleanupSummary(input) },
        state: {
          ...previous.state,
          note: changes.timing ? scheduleNote(changes.timing) : previous.state.note,
        },
      };
    });
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new CleanupScheduleNotFound(scheduleId);
    if (err instanceof TypeError)
      throw new InvalidScheduleInput(`invalid schedule (${JSON.stringify(changes.timing)}): ${err.message}`);
    throw err;
  }
  return settings!;
}

interface CleanupScheduleSummary {
  scheduleId: string;
  paused: boolean;
  note?: string;
  nextRunAt?: string;
  recentRuns: { at: string; workflowId: string }[];
}

export async function listCleanupSchedules(client: Client): Promise<CleanupScheduleSummary[]> {
  const out: CleanupScheduleSummary[] = [];
  for await (const s of client.schedule.list()) {
    if (s.action?.type !== 'startWorkflow' || s.action.workflowType !== checkpointCleanup.name) continue;
    out.push({
      scheduleId: s.scheduleId,
      paused: s.state.paused,
      note: s.state.note,
      nextRunAt: s.info.nextActionTimes[0]?.toISOString(),
      recentRuns: s.info.recentActions.map((a) => ({
        at: a.takenAt.toISOString(),
        workflowId: a.action.workflow.workflowId,
      })),
    });
  }
  return out;
}
