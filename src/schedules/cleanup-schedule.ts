import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import {
  durationText,
  mergeCleanupInput,
  type CleanupScheduleChanges,
  type ScheduleTiming as TimingChoice,
} from '../decisions/cleanup-schedule';
import { parseDuration } from '../domain/duration';
import { checkpointCleanup } from '../workflows/cleanup';
import type { CleanupInput } from '../workflows/cleanup/contract';
import {
  InvalidScheduleInput,
  listWorkflowSchedules,
  upsertWorkflowSchedule,
  type ScheduleTiming,
  type WorkflowScheduleSummary,
} from './workflow-schedule';

export { InvalidScheduleInput } from './workflow-schedule';

/** Creates the checkpoint-cleanup schedule, or updates it in place when it exists. */
export async function upsertCleanupSchedule(
  client: Client,
  spec: ScheduleTiming & { taskQueue: string; input: CleanupInput },
): Promise<{ created: boolean }> {
  return upsertWorkflowSchedule(
    client,
    {
      ...spec,
      note: spec.note ?? scheduleNote(spec.cron ? { cron: spec.cron } : undefined),
      what: 'cleanup',
      defaultNote: NOTE,
    },
    {
      workflow: checkpointCleanup,
      taskQueue: spec.taskQueue,
      args: [spec.input],
      summary: cleanupSummary(spec.input),
    },
  );
}

const cleanupSummary = (input: CleanupInput) =>
  `scheduled cleanup: keep the newest ${input.retention.keepLastN ?? 3} automatic checkpoints of ${input.jobFilter?.status ?? 'every'} jobs`;

/**
 * The schedule's note; it carries a cron expression as written, which Temporal describes back only as
 * calendars (an interval it describes as given).
 */
const NOTE = 'checkpoint cleanup (finetune-pipelines)';
const scheduleNote = (timing?: TimingChoice) =>
  timing && 'cron' in timing ? `${NOTE}: cron "${timing.cron}"` : NOTE;

function timingOf(description: Pick<ScheduleDescription, 'spec' | 'state'>): TimingChoice | undefined {
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
): Promise<{ timing?: TimingChoice; input: CleanupInput }> {
  const every = changes.timing && 'every' in changes.timing ? parseDuration(changes.timing.every) : undefined;
  if (changes.timing && 'every' in changes.timing && every === undefined)
    throw new InvalidScheduleInput(`every: "${changes.timing.every}" is not a duration such as "6h" or "1d"`);
  let settings: { timing?: TimingChoice; input: CleanupInput } | undefined;
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

export function listCleanupSchedules(client: Client): Promise<WorkflowScheduleSummary[]> {
  return listWorkflowSchedules(client, checkpointCleanup.name);
}
