import type { SelectionPolicy } from './candidate';

/**
 * ASHA's promotion with pauses: a trial that reaches a rung trains on only once it is sure to rank
 * within the best `keep` fraction of every trial that will reach that rung; until then it waits,
 * its job stopped with a saved checkpoint (and resumed from it when promoted). A trial sure to rank
 * outside that fraction is stopped for good. The trials a rung promotes are thus exactly those
 * synchronous successive halving would promote, without waiting for all trials to reach the rung
 * before the clear winners go on. Pure: the pipeline's sweep (src/workflows/sweep) carries it out.
 */

/**
 * How many trials can reach each rung: all of them at the first; at each next one, the best `keep`
 * fraction of the one before (at least one). The small allowance keeps 0.3 × 10 at 3.
 */
export function rungQuotas(trials: number, rungCount: number, keep: number): number[] {
  const quotas: number[] = [];
  let reaching = Math.max(0, Math.floor(trials));
  for (let i = 0; i < rungCount; i++) {
    quotas.push(reaching);
    reaching = reaching === 0 ? 0 : Math.max(1, Math.floor(keep * reaching + 1e-9));
  }
  return quotas;
}

/**
 * Trials still to come to a rung: its quota less those already there, and never more than the
 * trials that are still alive below it (not started, training, or waiting at a lower rung) — a trial
 * that failed or was stopped below the rung will not come.
 */
export function pendingAtRung(quota: number, arrived: number, aliveBelow: number): number {
  return Math.max(0, Math.min(quota - arrived, aliveBelow));
}

/** A trial at a rung: its value there (NaN: no checkpoint carries the metric) and its verdict so far. */
export interface RungArrival {
  index: number;
  value: number;
  decided?: 'promoted' | 'stopped';
}

export interface PromotionVerdict {
  index: number;
  verdict: 'promote' | 'stop' | 'wait';
  /** 1-based among the trials with a value at the rung so far (ties share the better rank). */
  rank?: number;
  /** Trials with a value at the rung so far, plus those still to come. */
  of: number;
  /** How many of those `of` train on. */
  kept: number;
  why: string;
}

/**
 * The verdicts for a rung's undecided trials, given those already there and how many are still to
 * come (`pending`). With `n` the trials with a value there plus those to come, the best
 * `max(1, ⌊keep × n⌋)` train on: a trial is promoted once even every trial still to come doing better
 * would leave it among them, stopped once that many already do better, and waits otherwise. Ties share
 * the better rank. A trial without a value is unsure: promoted at once and not counted against the
 * others.
 */
export function rungPromotions(
  arrived: readonly RungArrival[],
  pending: number,
  keep: number,
  direction: SelectionPolicy['direction'],
): PromotionVerdict[] {
  const valued = arrived.filter((a) => Number.isFinite(a.value));
  const of = valued.length + Math.max(0, pending);
  const kept = Math.max(1, Math.floor(keep * of + 1e-9));
  const better = (v: number, than: number) => (direction === 'minimize' ? v < than : v > than);
  return arrived
    .filter((a) => a.decided === undefined)
    .map((a): PromotionVerdict => {
      if (!Number.isFinite(a.value))
        return {
          index: a.index,
          verdict: 'promote',
          of,
          kept,
          why: 'no metric at this rung: unsure, trains on',
        };
      const rank = 1 + valued.filter((o) => better(o.value, a.value)).length;
      const place = `rank ${rank} of ${valued.length} at this rung${pending > 0 ? ` with ${pending} to come` : ''}, the best ${kept} of ${of} train on`;
      if (rank > kept) return { index: a.index, verdict: 'stop', rank, of, kept, why: place };
      if (rank + Math.max(0, pending) <= kept)
        return { index: a.index, verdict: 'promote', rank, of, kept, why: place };
      return { index: a.index, verdict: 'wait', rank, of, kept, why: `${place}: waits, paused` };
    });
}
