import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  BudgetHolder,
  FleetLedger,
  FleetUsage,
  ReserveAnswer,
  ReserveRequest,
  SettledSpend,
} from '../../decisions/fleet-budget';

// The contract of `fleetBudget`, what a task queue's training jobs may spend in a window: its id, input,
// state and the messages pipelines and the CLI send it.

export const FLEET_BUDGET_WORKFLOW_TYPE = 'fleetBudget';

/** One budget per task queue (one team's fleet of pipelines). */
export const fleetBudgetId = (taskQueue: string) => `fleet-budget--${taskQueue}`;

export interface FleetBudgetInput {
  /** Carried across continue-as-new. */
  ledger?: FleetLedger;
  historyEventLimit?: number;
  /**
   * The run of this budget that ended before this one started, not by continuing as new (terminated,
   * failed, timed out): this run takes its ledger from it. Set by whoever starts the budget.
   */
  predecessorRunId?: string;
}

export interface FleetBudgetState {
  ledger: FleetLedger;
  usage?: FleetUsage;
  /** Set while a run started anew reads the run before it: nothing is admitted until it has. */
  rebuilding?: { since: string; predecessorRunId?: string };
}

export interface SetFleetBudgetRequest {
  amount: number;
  windowMs: number;
  by?: string;
}

export interface SettleRequest extends BudgetHolder {
  /** What the job cost by the looks made; 0 when no job was created; `unknown` keeps the whole reservation. */
  spent: SettledSpend;
}

/** A pipeline reserves its job's expected cost before creating it: admitted, or put in line. */
export const reserveFleetBudgetUpdate = defineUpdate<ReserveAnswer, [ReserveRequest]>('reserveFleetBudget');
/** A pipeline's job ended (or none was created): its reservation counts what it spent. */
export const settleFleetBudgetUpdate = defineUpdate<FleetBudgetState, [SettleRequest]>('settleFleetBudget');
/** `starter budget set`: the limit and its window, for every reservation from now on. */
export const setFleetBudgetUpdate = defineUpdate<FleetBudgetState, [SetFleetBudgetRequest]>('setFleetBudget');
export const fleetBudgetStateQuery = defineQuery<FleetBudgetState>('fleetBudgetState');

/** Sent to a pipeline in line when its reservation is admitted. */
export const fleetBudgetAdmittedSignal = defineSignal<[ReserveAnswer]>('fleetBudgetAdmitted');
