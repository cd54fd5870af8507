import { bestSeen } from '../../decisions/best-seen';
import { rungVerdict, sweepBudgetReached } from '../../decisions/halving';
import type { StopTrial, SweepStatus, TrialReport } from './contract';
import { decideRungs, type SweepOrder } from './promotions';

/** What the sweep remembers between reports: the values reported at each rung, in the order they came. */
export type RungsSoFar = Map<number, number[]>;

const round = (x: number) => Math.round(x * 100) / 100;

/** Every trial's cost so far, summed. */
export function sweepCost(table: Pick<SweepStatus, 'trials'>): number {
  return round(table.trials.reduce((sum, r) => sum + (r.cost ?? 0), 0));
}

/**
 * Takes in one trial's report: its row in the table, and when it reached a rung, the rung decision
 * (src/decisions/halving.ts) against the trials there before it. Answers the trials to stop, each
 * marked `stopping` at once: the loser of a rung, or every trial still training once the sweep's cost
 * reaches its budget. A trial already told to stop (or ended) is judged at no further rung: the rung it
 * may reach before its stop lands neither stops it again nor counts against the others. No workflow
 * calls: the pipeline's signal handler sends the stops.
 *
 * With `quotas` (how many trials can reach each rung) a trial at a rung is not judged against those
 * before it alone: the rung's verdicts follow src/decisions/rung-promotion.ts (`decideRungs`), pausing
 * a trial until it is sure to be among the best, and the budget stops paused and promoted trials too.
 */
export function takeReport(
  table: SweepStatus,
  rungsSoFar: RungsSoFar,
  r: TrialReport,
  quotas?: readonly number[],
): SweepOrder[] {
  const row = table.trials[r.index];
  if (!row) return [];
  // In line for the fleet budget until its job is created.
  if (r.awaitingBudget !== undefined && row.state === 'training') {
    row.state = 'awaiting-budget';
    row.why = r.awaitingBudget;
  }
  if (r.jobId && row.state === 'awaiting-budget') {
    row.state = 'training';
    row.why = undefined;
  }
  if (r.jobId) row.jobId = r.jobId;
  if (r.epoch !== undefined) row.epoch = r.epoch;
  if (r.totalEpochs !== undefined) row.totalEpochs = r.totalEpochs;
  if (r.metric !== undefined) row.metric = r.metric;
  row.bestSeen = bestSeen(row.bestSeen, r.metric, table.direction);
  row.bestSeen = bestSeen(row.bestSeen, r.rung?.value, table.direction);
  if (r.cost !== undefined) row.cost = r.cost;
  table.cost = sweepCost(table);
  const stops: SweepOrder[] = [];
  const stop = (index: number, order: StopTrial) => {
    const target = table.trials[index];
    const held = quotas !== undefined && (target.state === 'paused' || target.state === 'promoted');
    // One in line for the fleet budget leaves it and creates no job.
    if (target.state !== 'training' && target.state !== 'awaiting-budget' && !held) return;
    target.state = 'stopping';
    target.why = order.reason;
    stops.push({ index, order });
  };
  const rung = r.rung;
  if (
    rung &&
    table.keep !== undefined &&
    row.state === 'training' &&
    !row.rungs.some((g) => g.epoch === rung.epoch)
  ) {
    const value = typeof rung.value === 'number' ? rung.value : Number.NaN;
    if (quotas) {
      row.rungs.push({ epoch: rung.epoch, value, stop: false, of: 0, kept: 0, waiting: true });
      stops.push(...decideRungs(table, quotas));
    } else {
      const earlier = rungsSoFar.get(rung.epoch) ?? [];
      const verdict = rungVerdict(earlier, value, table.keep, table.direction);
      rungsSoFar.set(rung.epoch, [...earlier, value]);
      const { rank, of, kept } = verdict;
      row.rungs.push({ epoch: rung.epoch, value, stop: verdict.stop, rank, of, kept });
      if (verdict.stop)
        stop(row.index, {
          end: 'rung-stopped',
          reason: `at epoch ${rung.epoch} ${table.metric} ${value}: ${verdict.why}`,
        });
    }
  }
  if (
    !table.budgetReached &&
    sweepBudgetReached(
      table.trials.map((t) => t.cost),
      table.maxCost,
    )
  ) {
    table.budgetReached = true;
    for (const t of table.trials)
      stop(t.index, {
        end: 'budget-stopped',
        reason: `the sweep's cost ${table.cost} reached its budget ${table.maxCost}`,
      });
  }
  return stops;
}

/**
 * Why the whole sweep waits for the fleet budget: a trial is in line and none has a job training (or
 * stopping); undefined otherwise. The pipeline then shows phase `awaiting-budget`.
 */
export function sweepAwaitingBudget(table: Pick<SweepStatus, 'trials'>): string | undefined {
  if (table.trials.some((t) => t.state === 'training' || t.state === 'stopping')) return undefined;
  return table.trials.find((t) => t.state === 'awaiting-budget')?.why;
}
