import { spreadFraction, sweepSpreadMs, sweepWindowMs } from './supervision';

/** What a watch's look saw, as far as the time of its next look depends on it. */
export interface LookForCadence {
  /** The verdict's own delay (the job's cadence: `nextPollDelayMs`, or the minimum interval to confirm an end). */
  lookAgainInMs: number;
  /** The look saw a terminal status for the first time: the confirming look keeps the verdict's delay. */
  confirming: boolean;
  /** The sweep of the job list the look consulted (none: it read the job by itself only). */
  sweep?: { takenAtMs: number; otherJobs?: number };
  jobId: string;
  freshnessMs: number;
  nowMs: number;
}

/**
 * How long until a watch's next look. A look that consulted a sweep of the job list comes back when
 * the sweep grows too old (`sweepWindowMs`) plus its job's share of the spread: every watch of the
 * process then reads the next sweep soon after it is made, one sweep for all of them. A sweep that
 * showed no job but this one batches nothing: its job comes back at its own cadence, at the latest
 * when that sweep is as old as the freshness (then the look makes a new one), as a job read by itself
 * would — one request per freshness for a job watched alone, not one per seven tenths of it.
 */
export function nextLookInMs(look: LookForCadence): number {
  const { sweep, freshnessMs, nowMs } = look;
  if (!sweep || look.confirming) return look.lookAgainInMs;
  const alone = sweep.otherJobs === 0;
  const staleAtMs = alone
    ? sweep.takenAtMs + freshnessMs
    : sweep.takenAtMs +
      sweepWindowMs(freshnessMs) +
      Math.floor(spreadFraction(look.jobId) * sweepSpreadMs(freshnessMs));
  return Math.min(look.lookAgainInMs, Math.max(1, staleAtMs - nowMs));
}
