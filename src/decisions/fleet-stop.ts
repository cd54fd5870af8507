import {
  fleetUsage,
  money,
  windowWords,
  type BudgetHolder,
  type FleetLedger,
  type FleetReservation,
} from './fleet-budget';
import { jobsToStop, type RunningHold } from './fleet-overrun';

/**
 * When the fleet's spend passes its budget: which of its running jobs the `fleetBudget` workflow stops
 * (the newest first, `jobsToStop`), from the costs their pipelines reported from their own looks. Also
 * when a pipeline reports its cost: only when it moved by a step worth telling. Pure: tested at its
 * boundaries.
 */

/**
 * What a pipeline tells its fleet budget: that it can stop its job when asked (its first report, sent as
 * its job's supervision starts), and what the job has cost by its last look, once known.
 */
export interface CostReport extends BudgetHolder {
  cost?: number;
}

/** A pipeline reports again once its job's cost moved by this share of its reservation. */
export const COST_REPORT_STEP = 0.1;

const known = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;

/**
 * Whether a pipeline holding `amount` tells the fleet budget its job's cost now: the first known cost,
 * a move of at least a tenth of the reservation since the last report, or the first passing of the
 * reservation. Never on a cost that is not known.
 */
export function costReportDue(
  lastReported: number | undefined,
  cost: number | undefined,
  amount: number,
): boolean {
  if (!known(cost)) return false;
  if (!known(lastReported)) return true;
  if (cost > amount && lastReported <= amount) return true;
  const step = known(amount) && amount > 0 ? amount * COST_REPORT_STEP : 0;
  return Math.abs(cost - lastReported) >= step && cost !== lastReported;
}

/** A cost the provider answered for the job itself, and the job's progress at that look. */
export interface CostReading {
  cost: number;
  percentage?: number;
}

/**
 * The reading after a look: a cost that differs from the last reading is a new one, taken at this look's
 * progress. A listed look carries the last reading on (the documented job list has no cost), so the
 * same cost again is no new reading.
 */
export function readingAfterLook(
  reading: CostReading | undefined,
  look: { cost?: number; percentage?: number } | undefined,
): CostReading | undefined {
  if (!look || !known(look.cost)) return reading;
  if (reading && reading.cost === look.cost) return reading;
  return { cost: look.cost, ...(look.percentage !== undefined ? { percentage: look.percentage } : {}) };
}

/**
 * What the job has cost by now, from its last reading and its progress since (cost grows with progress,
 * at the cost per percent of the reading): no extra request. Unknown (undefined) without a pace: no
 * reading, a reading at 0 % or without a percentage, no percentage now, or progress that went back.
 */
export function costByNow(
  reading: CostReading | undefined,
  percentageNow: number | undefined,
): number | undefined {
  if (!reading) return undefined;
  const at = reading.percentage;
  if (typeof at !== 'number' || !(at > 0) || typeof percentageNow !== 'number' || !(percentageNow >= at))
    return undefined;
  return (reading.cost * percentageNow) / at;
}

/**
 * The progress (percent) at which a supervision hands its job back so its pipeline can report the cost
 * again: where the cost estimated at the reading's pace (`costByNow`) has moved by `step` from the
 * estimate now. Its looks in between add no history, so without it a pipeline would see its job's cost
 * only at the first look and near its own `budget.maxCost`. Without a pace yet (no reading, or one at
 * 0 %) while no progress was seen: the first progress above 0 (its look reads the cost, which gives the
 * pace). None without a step above 0, when progress was seen and still gives no pace (a reading of $0:
 * asking again would hand the job back at every look), or at or past the end of training (reported).
 */
export function nextCostReportPercentage(
  reading: CostReading | undefined,
  percentageNow: number | undefined,
  step: number,
): number | undefined {
  if (!(step > 0) || !Number.isFinite(step)) return undefined;
  const at = reading?.percentage;
  if (!reading || typeof at !== 'number' || !(at > 0))
    return percentageNow === undefined || !(percentageNow > 0) ? Number.MIN_VALUE : undefined;
  if (!known(reading.cost) || !(reading.cost > 0)) return undefined;
  const perPercent = reading.cost / at;
  const costNow = costByNow(reading, percentageNow) ?? reading.cost;
  const target = (costNow + step) / perPercent;
  return target < 100 ? target : undefined;
}

/**
 * Takes a report into the reservation of exactly that run, while it is held: the run can be stopped, and
 * what its job cost when the report says (an unknown cost keeps the last). Anything else is ignored.
 */
export function recordCost(ledger: FleetLedger, report: CostReport): FleetLedger {
  let changed = false;
  const reservations = ledger.reservations.map((r) => {
    if (r.workflowId !== report.workflowId || r.runId !== report.runId || r.spent !== undefined) return r;
    changed = true;
    return { ...r, stoppable: true, ...(known(report.cost) ? { reported: report.cost } : {}) };
  });
  return changed ? { ...ledger, reservations } : ledger;
}

export interface FleetStops {
  /** This fleet's reservations whose jobs to stop, newest first; none when the fleet fits its budget. */
  stop: FleetReservation[];
  /** Why, for the pipelines' results and the operator. */
  reason: string;
}

/**
 * The running jobs of this window to stop so that spent + what the rest may still cost fits the limit
 * (exactly at it stops none). A job already told to stop counts what it reported, or its reservation
 * when it reported nothing; no stops without a limit or with a lost record (cannot know: wait). Only a
 * run that said it can stop is chosen: one that cannot (a run of code before the stop, a job not yet
 * created) would keep its job billing while the ledger called it stopped, so it counts as kept.
 */
export function fleetStops(ledger: FleetLedger, nowMs: number): FleetStops {
  const usage = fleetUsage(ledger, nowMs);
  if (!usage || ledger.lost || !Number.isFinite(usage.limit)) return { stop: [], reason: '' };
  const running = ledger.reservations.filter(
    (r) => r.spent === undefined && r.windowStartMs === usage.windowStartMs,
  );
  const stopping = running.filter((r) => r.stopped !== undefined);
  const unstoppable = running.filter((r) => r.stopped === undefined && !r.stoppable);
  const spent =
    usage.spent + stopping.reduce((sum, r) => sum + (known(r.reported) ? r.reported : r.amount), 0);
  const keptAnyway = unstoppable.reduce(
    (sum, r) => sum + Math.max(r.amount, known(r.reported) ? r.reported : 0),
    0,
  );
  const held: RunningHold[] = running
    .filter((r) => r.stopped === undefined && r.stoppable)
    .map((r) => ({
      workflowId: r.workflowId,
      runId: r.runId,
      amount: r.amount,
      at: r.at,
      ...(known(r.reported) ? { cost: r.reported } : {}),
    }));
  const chosen = jobsToStop(usage.limit, spent + keptAnyway, held);
  if (chosen.length === 0) return { stop: [], reason: '' };
  const stop = chosen.map((h) => running.find((r) => r.workflowId === h.workflowId && r.runId === h.runId)!);
  const mayCost = keptAnyway + held.reduce((sum, h) => sum + Math.max(h.amount, h.cost ?? 0), 0);
  const reason = `the fleet budget of ${money(usage.limit)} ${windowWords(usage.windowMs)} is passed: spent ${money(spent)} and its running jobs may cost ${money(mayCost)} more; the newest ${stop.length === 1 ? 'job is' : `${stop.length} jobs are`} stopped with a saved checkpoint`;
  return { stop, reason };
}

/** The reservations chosen to stop whose runs have not been told yet (the run before ended meanwhile). */
export function stopsUndelivered(ledger: FleetLedger): FleetReservation[] {
  return ledger.reservations.filter((r) => r.stopped && !r.stopped.delivered && r.spent === undefined);
}

/** Marks a chosen reservation's run as told. */
export function markDelivered(ledger: FleetLedger, holder: BudgetHolder): FleetLedger {
  return {
    ...ledger,
    reservations: ledger.reservations.map((r) =>
      r.workflowId === holder.workflowId && r.runId === holder.runId && r.stopped
        ? { ...r, stopped: { ...r.stopped, delivered: true } }
        : r,
    ),
  };
}

/** Marks the reservations chosen to stop, so they are not chosen again and count what they reported. */
export function markStopped(
  ledger: FleetLedger,
  stop: readonly BudgetHolder[],
  reason: string,
  nowMs: number,
): FleetLedger {
  const at = new Date(nowMs).toISOString();
  const chosen = (r: FleetReservation) =>
    stop.some((s) => s.workflowId === r.workflowId && s.runId === r.runId);
  return {
    ...ledger,
    reservations: ledger.reservations.map((r) =>
      chosen(r) && r.stopped === undefined ? { ...r, stopped: { at, reason } } : r,
    ),
  };
}

/** The operator's notice: who was stopped, and why. */
export function stopNotice(stop: readonly FleetReservation[], reason: string): string {
  const who = stop.map(
    (r) =>
      `${r.workflowId} (${known(r.reported) ? `cost so far ${money(r.reported)}` : 'no cost reported yet'} of ${money(r.amount)})`,
  );
  return `${reason}: ${who.join(', ')}`;
}

/** What a job told to stop counts once its pipeline has ended without settling: the most it may have cost. */
export const settledWhenGone = (r: FleetReservation): number =>
  Math.max(r.amount, known(r.reported) ? r.reported : 0);
