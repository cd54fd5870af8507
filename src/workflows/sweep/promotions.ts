import { pendingAtRung, rungPromotions, type RungArrival } from '../../decisions/rung-promotion';
import type { HoldTrial, StopTrial, SweepStatus, TrialRow } from './contract';

/** What the sweep sends a trial: a stop for good, or a pause / resume at a rung. */
export type SweepOrder = { index: number; order: StopTrial } | { index: number; hold: HoldTrial };

/** Trials that will train on or wait at a rung below: not started, in line for the fleet budget, training, paused or promoted. */
const ALIVE = new Set<TrialRow['state']>(['waiting', 'awaiting-budget', 'training', 'paused', 'promoted']);

/** Trials whose job trains (or is being stopped from training, or waits in line for the fleet budget to): what `parallel` bounds. */
export const trainingCount = (table: Pick<SweepStatus, 'trials'>): number =>
  table.trials.filter(
    (r) =>
      r.state === 'training' ||
      r.state === 'awaiting-budget' ||
      (r.state === 'stopping' && r.pausedAt === undefined),
  ).length;

/**
 * The rung verdicts the table now allows (src/decisions/rung-promotion.ts), lowest rung first so that a
 * trial stopped below a rung no longer counts as coming to it. A trial that must wait is paused (its
 * job stopped with a saved checkpoint); a paused trial that is promoted waits for a free slot
 * (`promoted`, see `resumeOrders`); a loser is stopped for good. Marks the table and answers the orders
 * to send. No workflow calls.
 */
export function decideRungs(table: SweepStatus, quotas: readonly number[]): SweepOrder[] {
  const orders: SweepOrder[] = [];
  if (table.keep === undefined) return orders;
  table.rungs.forEach((epoch, i) => {
    const arrived: RungArrival[] = [];
    let aliveBelow = 0;
    for (const row of table.trials) {
      const at = row.rungs.find((g) => g.epoch === epoch);
      if (at) arrived.push({ index: row.index, value: at.value, ...decidedOf(at) });
      // A trial already judged at a later rung is past this one, with or without a value here (a report
      // made while it was being paused is not taken): it is not still to come.
      else if (ALIVE.has(row.state) && !row.rungs.some((g) => g.epoch > epoch)) aliveBelow += 1;
    }
    const pending = pendingAtRung(quotas[i] ?? 0, arrived.length, aliveBelow);
    for (const v of rungPromotions(arrived, pending, table.keep ?? 1, table.direction)) {
      const row = table.trials[v.index];
      const at = row.rungs.find((g) => g.epoch === epoch);
      if (!at) continue;
      Object.assign(at, { rank: v.rank, of: v.of, kept: v.kept });
      // A trial that ended meanwhile (failed, budget) takes no order: its entry only records the verdict.
      const orderable = row.state === 'training' || row.state === 'paused';
      if (v.verdict === 'wait') {
        at.waiting = true;
        if (row.state === 'training') {
          row.state = 'paused';
          row.pausedAt = epoch;
          row.why = `paused at epoch ${epoch}: ${v.why}`;
          orders.push({ index: row.index, hold: { hold: 'pause', epoch, reason: row.why } });
        }
        continue;
      }
      delete at.waiting;
      at.stop = v.verdict === 'stop';
      if (!orderable) continue;
      if (v.verdict === 'promote') {
        if (row.state === 'paused') row.state = 'promoted';
        row.why = `promoted at epoch ${epoch}: ${v.why}`;
      } else {
        row.state = 'stopping';
        row.why = `at epoch ${epoch} ${table.metric} ${at.value}: ${v.why}`;
        orders.push({ index: row.index, order: { end: 'rung-stopped', reason: row.why } });
      }
    }
  });
  return orders;
}

const decidedOf = (at: TrialRow['rungs'][number]): Pick<RungArrival, 'decided'> =>
  at.waiting ? {} : { decided: at.stop ? 'stopped' : 'promoted' };

/**
 * Promoted trials resumed into the free slots (`parallel` less those training), the furthest rung
 * first, then in start order: each marked training again. None once the sweep's budget is reached.
 */
export function resumeOrders(table: SweepStatus, parallel: number): SweepOrder[] {
  if (table.budgetReached) return [];
  const free = parallel - trainingCount(table);
  const promoted = table.trials
    .filter((r) => r.state === 'promoted')
    .sort((a, b) => (b.pausedAt ?? 0) - (a.pausedAt ?? 0) || a.index - b.index)
    .slice(0, Math.max(0, free));
  return promoted.map((row) => {
    const epoch = row.pausedAt ?? 0;
    row.state = 'training';
    delete row.pausedAt;
    return {
      index: row.index,
      hold: { hold: 'resume', epoch, reason: row.why ?? `promoted at epoch ${epoch}` },
    };
  });
}

/** A promoted trial waits for a slot. */
export const hasPromoted = (table: Pick<SweepStatus, 'trials'>): boolean =>
  table.trials.some((r) => r.state === 'promoted');
