/** Pure rules of supervising a training job: how often to look, what counts as stalled or resumable. */

export interface PollTiming {
  /** Since supervision (or the current resume) started. */
  elapsedMs: number;
  /** Until the provider's ETA, when known. */
  remainingMs?: number;
  /** Upper bound: a completion is noticed at most this late. */
  freshnessMs: number;
  /** Lower bound between two looks. */
  minIntervalMs: number;
}

/**
 * Frequent near the start (a job that fails at once is noticed at once) and near the ETA, sparse in
 * between, never above the freshness bound: min(elapsed/4, remaining/2) clamped to [min, freshness].
 */
export function nextPollDelayMs(t: PollTiming): number {
  const nearStart = t.elapsedMs / 4;
  const nearEnd = t.remainingMs !== undefined ? Math.max(0, t.remainingMs) / 2 : Number.POSITIVE_INFINITY;
  const wanted = Math.min(nearStart, nearEnd, t.freshnessMs);
  return Math.round(Math.min(t.freshnessMs, Math.max(t.minIntervalMs, wanted)));
}

/** Provider failure reasons that a resume from the last checkpoint can cure. */
const RESUMABLE =
  /preempt|spot|evict|worker lost|node (failure|lost)|insufficient_resources|capacity|cuda error|nccl|timeout/i;

export function isResumableFailure(reason: string | undefined): boolean {
  return reason !== undefined && RESUMABLE.test(reason);
}

export interface StallState {
  lastProgress?: number;
  lastProgressAtMs: number;
}

/** Updates the stall clock: any change of the progress counter (step, or checkpoints for Marqtune) resets it. */
export function observeProgress(state: StallState, progress: number | undefined, nowMs: number): StallState {
  if (progress === undefined || progress !== state.lastProgress)
    return { lastProgress: progress, lastProgressAtMs: nowMs };
  return state;
}

export function isStalled(state: StallState, nowMs: number, stallAfterMs: number): boolean {
  return nowMs - state.lastProgressAtMs >= stallAfterMs;
}

/** The next GPU type to try after INSUFFICIENT_RESOURCES: the user's order, limited to what the provider has. */
export function nextGpuType(
  preferences: string[],
  tried: string[],
  available?: string[],
): string | undefined {
  return preferences.find((g) => !tried.includes(g) && (!available || available.includes(g)));
}
