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
 * Whether a sweep begun at `takenAtMs` serves a look at `nowMs` (both on the watches' clock): it was
 * begun in the look's own window or later, never in an earlier one. The first look of a window whose
 * process holds only an earlier window's sweep therefore starts or joins the window's own sweep, whichever
 * process it runs in: every window with a look has its sweep, and a look's data is younger than the
 * time since its window began (less than `windowMs`). A sweep of a later window (a process whose clock
 * runs ahead, or a look whose time lags behind its process's newest) is newer data and serves too; an
 * unknown time (NaN) serves nothing.
 */
export function sweepServes(takenAtMs: number, nowMs: number, windowMs: number): boolean {
  return takenAtMs >= sweepWindowStartMs(nowMs, windowMs);
}
