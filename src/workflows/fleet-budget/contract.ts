import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  BudgetHolder,
  FleetLedger,
  FleetUsage,
  ReserveAnswer,
  ReserveRequest,
  SettledSpend,
} from '../../decisions/fleet-budget';
import type { CostReport } from '../../decisions/fleet-stop';
import { perTaskQueueId, type LongLivedInput, type Rebuilding } from '../long-lived';

// The contract of `fleetBudget`, what a task queue's training jobs may spend in a window: its id, input,
// state and the messages pipelines and the CLI send it.

export const FLEET_BUDGET_WORKFLOW_TYPE = 'fleetBudget';

/** One budget per task queue (one team's fleet of pipelines). */
export const fleetBudgetId = perTaskQueueId('fleet-budget');

/** A run started anew (`predecessorRunId`) takes its ledger from the run before. */
export interface FleetBudgetInput extends LongLivedInput {
  /** Carried across continue-as-new. */
  ledger?: FleetLedger;
}

export interface FleetBudgetState {
  ledger: FleetLedger;
  usage?: FleetUsage;
  /** Nothing is admitted until the run before is read. */
  rebuilding?: Rebuilding;
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
/** `starter budget unset`: no budget from now on; refused when none is set. */
export const unsetFleetBudgetUpdate = defineUpdate<FleetBudgetState, []>('unsetFleetBudget');
export const fleetBudgetStateQuery = defineQuery<FleetBudgetState>('fleetBudgetState');

/** Sent to a pipeline in line when its reservation is admitted. */
export const fleetBudgetAdmittedSignal = defineSignal<[ReserveAnswer]>('fleetBudgetAdmitted');

/** A pipeline holding a reservation tells what its job has cost by its looks, when it moved by a step. */
export const fleetBudgetCostSignal = defineSignal<[CostReport]>('fleetBudgetCost');

/** Sent to a pipeline whose job the fleet budget stops: stop it with a saved checkpoint and go on. */
export interface FleetBudgetStop {
  reason: string;
}
export const fleetBudgetStopSignal = defineSignal<[FleetBudgetStop]>('fleetBudgetStop');
