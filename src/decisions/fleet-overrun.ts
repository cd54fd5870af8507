import type { BudgetHolder } from './fleet-budget';

/**
 * Which running jobs to stop when the fleet's spend would pass its budget: the newest first, until what
 * the rest may still cost fits. A job kept counts its reservation (it may spend up to it; more when its
 * looks already reported more); a job stopped counts what its looks reported, or its reservation when
 * none did (cannot know: assume the most). Pure: tested at its boundaries.
 */

export interface RunningHold extends BudgetHolder {
  /** Its reservation: the most its job may cost. */
  amount: number;
  /** When it was admitted (ISO): the newest is stopped first; among equal times, the later in the list. */
  at: string;
  /** What its job cost by its last look, when one reported it. */
  cost?: number;
}

const known = (x: number | undefined): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;

/** What a job counts for when kept: its reservation, or more when its looks already reported more. */
const keptCost = (h: RunningHold) => Math.max(h.amount, known(h.cost) ? h.cost : 0);
/** What a job counts for once stopped: what it has cost, or its reservation when no look said. */
const stoppedCost = (h: RunningHold) => (known(h.cost) ? h.cost : h.amount);

/**
 * The holders to stop, newest first, so that spent + what the rest may cost stays within `limit`
 * (exactly at it stops none). None when it already fits or when the limit or the spend is not a number.
 */
export function jobsToStop(limit: number, spent: number, held: readonly RunningHold[]): RunningHold[] {
  if (!Number.isFinite(limit) || !known(spent)) return [];
  const newestFirst = held
    .map((h, index) => ({ h, index }))
    .sort((a, b) => (a.h.at === b.h.at ? b.index - a.index : a.h.at < b.h.at ? 1 : -1))
    .map(({ h }) => h);
  let projected = spent + held.reduce((sum, h) => sum + keptCost(h), 0);
  const stop: RunningHold[] = [];
  for (const h of newestFirst) {
    if (projected <= limit) break;
    stop.push(h);
    projected += stoppedCost(h) - keptCost(h);
  }
  return stop;
}
