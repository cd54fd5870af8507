/**
 * The freshness window a look at `nowMs` falls in, for windows `windowMs` long aligned to the epoch:
 * every worker process that asks within one window names the same window (its start), whatever its
 * own sweeps were, so one sweep of the job list serves them all. A start is never after `nowMs` and
 * less than `windowMs` before it.
 */
export function sweepWindowStartMs(nowMs: number, windowMs: number): number {
  if (!Number.isFinite(nowMs)) throw new RangeError(`a sweep window needs a time, got ${nowMs}`);
  if (!Number.isInteger(windowMs) || windowMs < 1)
    throw new RangeError(`a sweep window is a whole number of milliseconds of at least 1, got ${windowMs}`);
  return Math.floor(nowMs / windowMs) * windowMs;
}

/**
 * Whether a sweep begun at `takenAtMs` still serves a look at `nowMs` (both on the watches' clock):
 * younger than `maxAgeMs`. One begun after the look (another process's clock ahead) serves it too.
 */
export function sweepServes(takenAtMs: number, nowMs: number, maxAgeMs: number): boolean {
  return nowMs - takenAtMs < maxAgeMs;
}
