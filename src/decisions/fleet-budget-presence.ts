/**
 * Whether a task queue has a fleet budget, as its worker last learned it. A queue whose budget was never
 * set has no budget workflow: its pipelines need not reserve. Only that clean answer lets a pipeline
 * skip the reservation; an answer that could not be had keeps it reserving, as it would without asking.
 */

/** `set`: the budget workflow exists (it may have run before); `none`: the server knows no such workflow. */
export type FleetBudgetPresence = 'set' | 'none';

/**
 * How long a worker trusts what it learned before asking again. It bounds how late `starter budget set`
 * takes effect: a pipeline that reaches its reservation this long after the set completed reserves.
 */
export const FLEET_BUDGET_PRESENCE_FRESH_MS = 5_000;

export interface LearnedPresence {
  presence: FleetBudgetPresence;
  learnedAtMs: number;
}

/** What was learned, while it is younger than `freshMs`; undefined when stale or the clock is unsure. */
export function freshPresence(
  learned: LearnedPresence | undefined,
  nowMs: number,
  freshMs: number = FLEET_BUDGET_PRESENCE_FRESH_MS,
): FleetBudgetPresence | undefined {
  if (!learned) return undefined;
  const age = nowMs - learned.learnedAtMs;
  // A clock that went back (negative age) or an unusable number: ask again.
  if (!Number.isFinite(age) || age < 0 || age >= freshMs) return undefined;
  return learned.presence;
}

/** Skip the reservation only on a clean "no budget"; a failed or missing answer reserves as before. */
export const skipsFleetBudget = (presence: FleetBudgetPresence | 'unknown'): boolean => presence === 'none';
