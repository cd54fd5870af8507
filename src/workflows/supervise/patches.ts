import { releasedPatch } from '../released-patch';

// What changed in the supervision since its first release. Each history recorded before a change
// replays on the path it was recorded on (test/histories/supervise-*.json).

/**
 * Released after v1: between reports the job is watched by one activity retried by the server, instead
 * of a timer and a poll activity per look (a workflow task per look). Histories recorded before it
 * replay on the timer path.
 */
export const watchesBetweenReports = () => releasedPatch('supervise-watches-job-between-reports');

/**
 * Released after v3: stall detection counts only progress past the furthest step (and epoch) seen, and
 * a supervision that fails stops the job it supervised, keeping a checkpoint. (The watch's second look
 * at a terminal status is activity code: no patch.) Histories recorded before it replay without both.
 */
export const doubtsOddAnswers = () => releasedPatch('supervise-doubts-odd-answers');

/** Cancelling a supervision whose job ended meanwhile (the stop answers 409) ends it cancelled, not failed. */
export const cancelOfEndedJobEndsCancelled = () => releasedPatch('supervise-cancel-ended-job');

/** A stall's or budget's stop answered "not running" (the job ended since the look): look again. */
export const stopOfEndedJobLooksAgain = () => releasedPatch('supervise-stop-of-ended-job');

/** Durations held to the bounds of src/decisions/duration.ts, however the supervision was started. */
export const boundsInput = () => releasedPatch('supervise-input-bounds');

/**
 * A "completed" whose counters fall short of their totals is not believed: it is looked at again like
 * an unknown status and given up on (the job stopped) past that grace. Runs before it finished on it.
 */
export const doubtsShortCompletion = () => releasedPatch('supervise-doubts-short-completion');

/**
 * A supervision that finishes at a look hands that look's progress back in its result instead of
 * signalling it to the parent first: one signal and two workflow tasks (its own and the parent's) fewer.
 */
export const finalProgressInResult = () => releasedPatch('supervise-final-progress-in-result');

/**
 * With `earlyStop` in its input, a supervision reports each new epoch of a running job, reads its
 * checkpoints' metric and stops it (saving a checkpoint) once they stop improving. Never asked by runs
 * without `earlyStop`, so their histories are unchanged.
 */
export const stopsEarly = () => releasedPatch('supervise-early-stop');

/**
 * A "failed", "cancelled" or "stopped" the supervision did not cause is acted on only once it held over
 * the confirmation window on every look with nothing advancing; contradicted past the unknown-status
 * grace, it is given up on. Runs before it acted on the watch's two agreeing looks.
 */
export const confirmsEnds = () => releasedPatch('supervise-confirms-ends');

/**
 * An early stop is judged on the trend of the newest `2 × patience + 1` checkpoints instead of on each
 * checkpoint against the best (src/decisions/early-stop-trend.ts). Asked once per job, at its first
 * judgement, and carried across continue-as-new: a job keeps the rule it started with.
 */
export const judgesEarlyStopOnTrend = () => releasedPatch('supervise-early-stop-trend');

/**
 * With `costReportStep` in its input, a supervision hands its job back (a report to its pipeline) each
 * time the cost estimated at its last reading's pace moved by the step, so the pipeline can tell its
 * fleet budget. Never asked by runs without it, so their histories are unchanged.
 */
export const reportsCostSteps = () => releasedPatch('supervise-reports-cost-steps');
