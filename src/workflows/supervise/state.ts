import {
  ApplicationFailure,
  workflowInfo,
  type CancellationScope,
  type ParentWorkflowInfo,
} from '@temporalio/workflow';
import { parseDuration } from '../../domain/duration';
import { supervisionDurationProblem, type SupervisionDurationField } from '../../decisions/supervision';
import { defaultTerminalWindowMs } from '../../decisions/terminal-status';
import type { TrainingJob } from '../../domain/types';
import type { SuperviseInput, SupervisionState } from './contract';
import { boundsInput, stopsEarly } from './patches';

const DEFAULT_REPORT_EVERY = '30m';

/** The input's durations, in milliseconds. */
export interface SupervisionTimings {
  freshnessMs: number;
  minIntervalMs: number;
  stallAfterMs: number;
  unknownGraceMs: number;
  /** Never below the freshness. */
  reportEveryMs: number;
  /** How long a "failed", "cancelled" or "stopped" must hold before it is acted on. */
  terminalWindowMs: number;
}

/** One run of a supervision: its input, the state it carries across continue-as-new, and this run's own. */
export interface Supervision {
  readonly input: SuperviseInput;
  readonly jobId: string;
  /** TensorOne jobs can be stopped and resumed; a Marqtune model is only followed. */
  readonly tensorone: boolean;
  /** Absent in inputs before it (and in the pipeline's child): the supervisor owns the job. */
  readonly mayStop: boolean;
  readonly timings: SupervisionTimings;
  /** Carried across continue-as-new; the progress query answers its `latest`. */
  readonly st: SupervisionState;
  /** The pipeline this supervision is the child of, told of progress. */
  readonly parent?: ParentWorkflowInfo;
  stopRequested?: { reason?: string };
  /** The watch in flight, cancelled by a stop so the stop does not wait for the next report. */
  watchScope?: CancellationScope;
  /** The progress last signalled to the parent (`progressKey`). */
  lastSignalled?: string;
  /** This workflow stopped the job and has not resumed it since: nothing left training to stop. */
  stoppedByUs: boolean;
  /** The job at this run's last look: the watch reports a change of its status (none yet: the first look reports). */
  lastLook?: TrainingJob;
  nextLookAtMs: number;
  /** The last look's end ("completed", "failed", ...) was not believed (yet): the job may still be training. */
  completionDoubted?: boolean;
}

/** Reads the input (refusing a bad duration, naming its field) and takes over the carried state, if any. */
export function beginSupervision(input: SuperviseInput): Supervision {
  const bounded = boundsInput();
  const freshnessMs = requireDuration(input.freshness, 'freshness', bounded);
  const minIntervalMs = requireDuration(input.minInterval, 'minInterval', bounded);
  const stallAfterMs = requireDuration(input.stallAfter, 'stallAfter', bounded);
  const unknownGraceMs = requireDuration(input.unknownStatusGrace, 'unknownStatusGrace', bounded);
  const reportEveryMs = Math.max(
    freshnessMs,
    requireDuration(input.reportEvery ?? DEFAULT_REPORT_EVERY, 'reportEvery', bounded),
  );
  const terminalWindowMs =
    input.terminalStatusWindow !== undefined
      ? requireDuration(input.terminalStatusWindow, 'terminalStatusWindow', bounded)
      : defaultTerminalWindowMs(freshnessMs, minIntervalMs);
  const now = Date.now(); // workflow time: deterministic
  const st: SupervisionState = input.carried
    ? { ...input.carried, runs: input.carried.runs + 1 }
    : {
        startedAtMs: now,
        segmentStartedAtMs: now,
        stall: { lastProgressAtMs: now },
        resumes: 0,
        polls: 0,
        runs: 1,
        checkpointIds: [],
      };
  return {
    input,
    jobId: input.jobId,
    tensorone: input.provider === 'tensorone',
    mayStop: input.mayStopJob !== false,
    timings: { freshnessMs, minIntervalMs, stallAfterMs, unknownGraceMs, reportEveryMs, terminalWindowMs },
    st,
    parent: workflowInfo().parent,
    stoppedByUs: false,
    nextLookAtMs: now,
  };
}

/** The duration of one input field, or a non-retryable INVALID_INPUT naming the field. */
function requireDuration(value: string, field: SupervisionDurationField, bounded: boolean): number {
  const ms = parseDuration(value);
  const problem = supervisionDurationProblem(value, field, bounded);
  if (problem !== undefined || ms === undefined)
    throw ApplicationFailure.nonRetryable(`${field} ${problem}`, 'INVALID_INPUT');
  return ms;
}

/** This supervision stops its job early when the checkpoints stop improving: asked to, and it may stop a TensorOne job. */
export function earlyStopping(sup: Supervision): boolean {
  return sup.input.earlyStop !== undefined && sup.tensorone && sup.mayStop && stopsEarly();
}

/** The epoch whose start the watch reports at, so the early stop judges the checkpoint before it. */
export function epochToReportAt(sup: Supervision): number {
  return (sup.lastLook?.progress.currentEpoch ?? 0) + 1;
}
