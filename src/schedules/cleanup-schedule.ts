import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
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
      staticSummary: `scheduled cleanup: keep the newest ${spec.input.retention.keepLastN ?? 3} automatic checkpoints of ${spec.input.jobFilter?.status ?? 'every'} jobs`,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: catchupMs, pauseOnFailure: false },
    state: { note: spec.note ?? 'checkpoint cleanup (finetune-pipelines)' },
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
