import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { parseDuration } from '../domain/duration';

/** A schedule the input cannot make (the CLI exits 2): nothing was created or changed. */
export class InvalidScheduleInput extends Error {
  override name = 'InvalidScheduleInput';
}

export interface ScheduleTiming {
  scheduleId: string;
  /** Interval such as "1d" or "6h" (Temporal duration strings)… */
  every?: string;
  /** …or a cron expression, e.g. "0 3 * * *". */
  cron?: string;
  /** Runs missed while the cluster was down are caught up within this window, else skipped. */
  catchupWindow?: string;
  note?: string;
}

/**
 * Creates a schedule that starts `workflow` on each tick, or updates it in place when it exists. A run
 * that would overlap one still going is skipped: the same work twice at once gains nothing.
 */
export async function upsertWorkflowSchedule<W extends Workflow>(
  client: Client,
  timing: ScheduleTiming & { what: string; defaultNote: string },
  action: { workflow: W; taskQueue: string; args: Parameters<W>; summary: string },
): Promise<{ created: boolean }> {
  if (!timing.every === !timing.cron)
    throw new InvalidScheduleInput(`a ${timing.what} schedule needs exactly one of \`every\` or \`cron\``);
  const everyMs = timing.every ? parseDuration(timing.every) : undefined;
  if (timing.every && everyMs === undefined)
    throw new InvalidScheduleInput(`every: "${timing.every}" is not a duration such as "6h" or "1d"`);
  const catchupMs = parseDuration(timing.catchupWindow ?? '1h');
  if (catchupMs === undefined)
    throw new InvalidScheduleInput(`catchupWindow: "${timing.catchupWindow}" is not a duration`);
  const options: ScheduleOptions<ScheduleOptionsStartWorkflowAction<W>> = {
    scheduleId: timing.scheduleId,
    spec: timing.cron ? { cronExpressions: [timing.cron] } : { intervals: [{ every: everyMs! }] },
    action: {
      type: 'startWorkflow',
      workflowType: action.workflow,
      taskQueue: action.taskQueue,
      args: action.args,
      workflowId: `${timing.scheduleId}-run`,
      staticSummary: action.summary,
    } as ScheduleOptionsStartWorkflowAction<W>,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: catchupMs, pauseOnFailure: false },
    state: { note: timing.note ?? timing.defaultNote },
  };
  try {
    try {
      await client.schedule.create(options);
      return { created: true };
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(timing.scheduleId).update((previous: ScheduleDescription) => ({
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
        `invalid schedule (${timing.cron ? `cron "${timing.cron}"` : `every ${timing.every}`}): ${err.message}`,
      );
    throw err;
  }
}

export interface WorkflowScheduleSummary {
  scheduleId: string;
  paused: boolean;
  note?: string;
  nextRunAt?: string;
  recentRuns: { at: string; workflowId: string }[];
}

/** The schedules that start workflows of this type. */
export async function listWorkflowSchedules(
  client: Client,
  workflowType: string,
): Promise<WorkflowScheduleSummary[]> {
  const out: WorkflowScheduleSummary[] = [];
  for await (const s of client.schedule.list()) {
    if (s.action?.type !== 'startWorkflow' || s.action.workflowType !== workflowType) continue;
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
