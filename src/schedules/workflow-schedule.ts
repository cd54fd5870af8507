import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { durationText, type ScheduleTiming as TimingChoice } from '../decisions/cleanup-schedule';
import { parseDuration } from '../domain/duration';

/** A schedule the input cannot make (the CLI exits 2): nothing was created or changed. */
export class InvalidScheduleInput extends Error {
  override name = 'InvalidScheduleInput';
}

/** No schedule under that id (the CLI exits 3 and says how to create one). */
export class WorkflowScheduleNotFound extends Error {
  override name = 'WorkflowScheduleNotFound';
  constructor(
    readonly scheduleId: string,
    createCommand: string,
  ) {
    super(`no schedule ${scheduleId} (create it: ${createCommand})`);
  }
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
): Promise<{ created: boolean; before?: ScheduleSettings<Parameters<W>[0]> }> {
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
    state: {
      note: timing.note ?? scheduleNote(timing.defaultNote, timing.cron ? { cron: timing.cron } : undefined),
    },
  };
  try {
    try {
      await client.schedule.create(options);
      return { created: true };
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      // What the replaced schedule held, so that the answer can say what changed (e.g. a dry run no more).
      let before: ScheduleSettings<Parameters<W>[0]> | undefined;
      await client.schedule.getHandle(timing.scheduleId).update((previous: ScheduleDescription) => {
        const previousAction = previous.action;
        if (previousAction.type === 'startWorkflow' && previousAction.args?.[0] !== undefined)
          before = { timing: timingOf(previous), input: previousAction.args[0] as Parameters<W>[0] };
        return {
          ...previous,
          spec: options.spec,
          action: options.action,
          policies: { ...previous.policies, ...options.policies },
          // The note carries the cron as written: a replaced one must not describe the old.
          state: { ...previous.state, note: options.state?.note },
        };
      });
      return { created: false, before };
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

/**
 * The schedule's note; it carries a cron expression as written, which Temporal describes back only as
 * calendars (an interval it describes as given).
 */
const scheduleNote = (defaultNote: string, timing?: TimingChoice) =>
  timing && 'cron' in timing ? `${defaultNote}: cron "${timing.cron}"` : defaultNote;

/** When a schedule runs, as written: its interval, or the cron its note carries. */
function timingOf(description: Pick<ScheduleDescription, 'spec' | 'state'>): TimingChoice | undefined {
  const every = description.spec.intervals?.[0]?.every;
  if (every !== undefined) return { every: durationText(Number(every)) };
  const cron = /cron "([^"]+)"/.exec(description.state.note ?? '')?.[1];
  return cron ? { cron } : undefined;
}

/** A schedule's settings: when it runs (undefined for a calendar this CLI did not write) and its workflow's input. */
export interface ScheduleSettings<I> {
  timing?: TimingChoice;
  input: I;
}

/**
 * Changes only the settings given and keeps every other one (`merge` lays the changes over the
 * schedule's input; no `timing` keeps when it runs); answers the settings before and after. The update
 * is read-modify-write in one call, so a concurrent change is not overwritten blindly.
 */
export async function updateWorkflowSchedule<I>(
  client: Client,
  scheduleId: string,
  update: {
    workflowType: string;
    /** What the schedule runs, as the refusals name it: "the checkpoint cleanup". */
    what: string;
    defaultNote: string;
    createCommand: string;
    timing?: TimingChoice;
    merge: (previous: I) => I;
    summary: (input: I) => string;
  },
): Promise<{ before: ScheduleSettings<I>; after: ScheduleSettings<I> }> {
  const { timing: newTiming } = update;
  const every = newTiming && 'every' in newTiming ? parseDuration(newTiming.every) : undefined;
  if (newTiming && 'every' in newTiming && every === undefined)
    throw new InvalidScheduleInput(`every: "${newTiming.every}" is not a duration such as "6h" or "1d"`);
  let result: { before: ScheduleSettings<I>; after: ScheduleSettings<I> } | undefined;
  try {
    await client.schedule.getHandle(scheduleId).update((previous: ScheduleDescription) => {
      const action = previous.action;
      if (action.type !== 'startWorkflow' || action.workflowType !== update.workflowType)
        throw new InvalidScheduleInput(`schedule ${scheduleId} does not run ${update.what}`);
      const before = action.args?.[0] as I | undefined;
      if (!before) throw new InvalidScheduleInput(`schedule ${scheduleId} has no input to change`);
      const input = update.merge(before);
      const timingBefore = timingOf(previous);
      result = {
        before: { timing: timingBefore, input: before },
        after: { timing: newTiming ?? timingBefore, input },
      };
      return {
        ...previous,
        spec: !newTiming
          ? previous.spec
          : 'cron' in newTiming
            ? { cronExpressions: [newTiming.cron] }
            : { intervals: [{ every: every! }] },
        action: { ...action, args: [input], staticSummary: update.summary(input) },
        state: {
          ...previous.state,
          note: newTiming ? scheduleNote(update.defaultNote, newTiming) : previous.state.note,
        },
      };
    });
  } catch (err) {
    if (err instanceof ScheduleNotFoundError)
      throw new WorkflowScheduleNotFound(scheduleId, update.createCommand);
    if (err instanceof TypeError)
      throw new InvalidScheduleInput(`invalid schedule (${JSON.stringify(newTiming)}): ${err.message}`);
    throw err;
  }
  return result!;
}

export interface WorkflowScheduleSummary<I = unknown> {
  scheduleId: string;
  paused: boolean;
  note?: string;
  nextRunAt?: string;
  recentRuns: { at: string; workflowId: string }[];
  /** What each run is given and when it runs (one describe per schedule: a listing carries no input). */
  settings?: ScheduleSettings<I>;
}

/** The schedules that start workflows of this type, each with its settings. */
export async function listWorkflowSchedules<I>(
  client: Client,
  workflowType: string,
): Promise<WorkflowScheduleSummary<I>[]> {
  const out: WorkflowScheduleSummary<I>[] = [];
  for await (const s of client.schedule.list()) {
    if (s.action?.type !== 'startWorkflow' || s.action.workflowType !== workflowType) continue;
    const described = await client.schedule
      .getHandle(s.scheduleId)
      .describe()
      .catch((err: unknown) => {
        if (err instanceof ScheduleNotFoundError) return undefined;
        throw err;
      });
    // Deleted between the listing and its describe (the listing is read from visibility, which lags).
    if (!described) continue;
    const input = described.action.type === 'startWorkflow' ? described.action.args?.[0] : undefined;
    out.push({
      scheduleId: s.scheduleId,
      paused: s.state.paused,
      note: s.state.note,
      nextRunAt: s.info.nextActionTimes[0]?.toISOString(),
      recentRuns: s.info.recentActions.map((a) => ({
        at: a.takenAt.toISOString(),
        workflowId: a.action.workflow.workflowId,
      })),
      ...(input !== undefined ? { settings: { timing: timingOf(described), input: input as I } } : {}),
    });
  }
  return out;
}
