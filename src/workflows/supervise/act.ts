import { ApplicationFailure, log } from '@temporalio/workflow';
import { completionDoubt } from '../../decisions/completion';
import { judgeEnd, type EndVerdict } from '../../decisions/terminal-status';
import { nextSupervisionStep, unknownSinceMs, type SupervisionStep } from '../../decisions/supervision';
import type { TrainingJob } from '../../domain/types';
import { provider } from '../activity-stubs';
import type { SupervisionResult } from './contract';
import { summarized } from '../summaries';
import { fetchJob } from './look';
import { confirmsEnds, doubtsShortCompletion } from './patches';
import type { Supervision } from './state';
import { stopUnlessEnded } from './stop';

/**
 * What to do after this look (src/decisions/supervision.ts), keeping the time an unknown status (or a
 * doubtful completion, held like one) began.
 */
export function decide(sup: Supervision, job: TrainingJob, quiet = false): SupervisionStep {
  const { input, st, timings } = sup;
  const nowMs = Date.now();
  const doubt = job.status === 'completed' && doubtsShortCompletion() ? completionDoubt(job) : undefined;
  sup.completionDoubted = doubt !== undefined;
  st.firstUnknownAtMs = unknownSinceMs(doubt ? 'unknown' : job.status, st.firstUnknownAtMs, nowMs);
  const end = judgeEndOnLook(sup, job, nowMs, quiet);
  if (end.kind === 'wait') {
    sup.completionDoubted = true;
    return { kind: 'look-again' };
  }
  if (end.kind === 'give-up') {
    sup.completionDoubted = true;
    return { kind: 'give-up', type: 'END_DOUBTED', message: end.message };
  }
  return nextSupervisionStep(
    job,
    {
      jobId: sup.jobId,
      provider: input.provider,
      mayStop: sup.mayStop,
      resumes: st.resumes,
      resumeBudget: input.resumeBudget,
      maxCost: input.maxCost,
      stall: st.stall,
      stallAfterMs: timings.stallAfterMs,
      stallAfter: input.stallAfter,
      unknownSinceMs: st.firstUnknownAtMs,
      unknownGraceMs: timings.unknownGraceMs,
      unknownStatusGrace: input.unknownStatusGrace,
      completionDoubt: doubt,
    },
    nowMs,
  );
}

/**
 * Whether a "failed", "cancelled" or "stopped" on this look is believed yet (`judgeEnd`), keeping the
 * sighting in the carried state. An end this supervision caused (its own stop) is not held.
 */
function judgeEndOnLook(sup: Supervision, job: TrainingJob, nowMs: number, quiet: boolean): EndVerdict {
  const { st } = sup;
  if (!confirmsEnds() || sup.stoppedByUs) {
    st.endSighting = undefined;
    return { kind: 'not-held' };
  }
  const judged = judgeEnd(
    st.endSighting,
    {
      status: job.status,
      step: job.progress.currentStep,
      epoch: job.progress.currentEpoch,
      checkpointsSeen: st.latest?.checkpointsSeen ?? 0,
      polls: st.polls,
      nowMs,
    },
    {
      windowMs: sup.timings.terminalWindowMs,
      graceMs: sup.timings.unknownGraceMs,
      grace: sup.input.unknownStatusGrace,
      jobId: sup.jobId,
    },
  );
  st.endSighting = judged.sighting;
  if (!quiet && judged.verdict.kind === 'wait' && judged.sighting?.sinceMs === nowMs)
    log.warn(`job ${sup.jobId} answered "${job.status}": not acted on until it holds`, { jobId: sup.jobId });
  return judged.verdict;
}

/** This look ends the supervision (`decide` would finish), asked without keeping anything `decide` notes. */
export function finishesNow(sup: Supervision, job: TrainingJob): boolean {
  const { firstUnknownAtMs, endSighting } = sup.st;
  const finishing = decide(sup, job, true).kind === 'finish';
  sup.st.firstUnknownAtMs = firstUnknownAtMs;
  sup.st.endSighting = endSighting;
  return finishing;
}

/** Carries out a step: the supervision's result when it ends, undefined to look again. */
export async function act(
  sup: Supervision,
  step: SupervisionStep,
  job: TrainingJob,
): Promise<SupervisionResult | undefined> {
  switch (step.kind) {
    case 'finish':
      return result(sup, step.outcome, job);
    case 'give-up':
      throw ApplicationFailure.nonRetryable(step.message, step.type);
    case 'stop-and-finish':
      // A job that ended since the look is looked at again.
      if (!(await stopUnlessEnded(sup, step.stopReason))) return undefined;
      return result(sup, 'budget-stopped', await fetchJob(sup));
    case 'resume':
      if (step.stopFirst !== undefined && !(await stopUnlessEnded(sup, step.stopFirst))) return undefined;
      await resume(sup, step.reason);
      return undefined;
    case 'look-again':
      return undefined;
  }
}

/** Resumes the job from its last checkpoint; the stall clock and the segment start again. */
async function resume(sup: Supervision, reason: string): Promise<void> {
  const { st } = sup;
  st.resumes += 1;
  await summarized(provider.resumeTrainingJob, `resume job ${sup.jobId}: ${reason}`, { jobId: sup.jobId });
  sup.stoppedByUs = false;
  st.segmentStartedAtMs = Date.now();
  st.stall = { lastProgressAtMs: Date.now() };
}

function result(
  sup: Supervision,
  outcome: SupervisionResult['outcome'],
  job: TrainingJob,
): SupervisionResult {
  const { st } = sup;
  return {
    jobId: sup.jobId,
    provider: sup.input.provider,
    outcome,
    job,
    resumes: st.resumes,
    polls: st.polls,
    runs: st.runs,
    ...(st.latest ? { progress: st.latest } : {}),
  };
}
