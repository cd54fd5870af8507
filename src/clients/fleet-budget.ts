import type { Client } from '@temporalio/client';
import type { ReserveAnswer, ReserveRequest } from '../decisions/fleet-budget';
import {
  FLEET_BUDGET_WORKFLOW_TYPE,
  fleetBudgetId,
  fleetBudgetStateQuery,
  reserveFleetBudgetUpdate,
  setFleetBudgetUpdate,
  settleFleetBudgetUpdate,
  unsetFleetBudgetUpdate,
  type FleetBudgetState,
  type SetFleetBudgetRequest,
  type SettleRequest,
} from '../workflows/fleet-budget/contract';
import { longLivedWorkflow, unlessNotFound } from './long-lived';

/**
 * The client side of the `fleetBudget` workflow (one per task queue), shared by the activities and the
 * CLI. A queue whose budget was never set has no such workflow: reservations are then `unlimited`. One
 * that ended (terminated) is started again with its run before, whose ledger it reads first: a lost
 * budget workflow never means "no budget".
 */
export function fleetBudgets(client: Client, taskQueue: string) {
  const budget = longLivedWorkflow(client, FLEET_BUDGET_WORKFLOW_TYPE, fleetBudgetId(taskQueue), taskQueue);
  const { handle } = budget;
  return {
    workflowId: budget.workflowId,
    reserve: async (request: ReserveRequest): Promise<ReserveAnswer> =>
      (await budget.onceStarted(() =>
        handle().executeUpdate(reserveFleetBudgetUpdate, { args: [request] }),
      )) ?? {
        outcome: 'unlimited',
        text: 'no fleet budget is set',
      },
    /** Nothing to settle when no budget was ever set. */
    settle: (request: SettleRequest): Promise<FleetBudgetState | undefined> =>
      budget.onceStarted(() => handle().executeUpdate(settleFleetBudgetUpdate, { args: [request] })),
    /** The first `set` of an installation starts the budget. */
    set: (request: SetFleetBudgetRequest): Promise<FleetBudgetState> =>
      budget.whenRunning(() => handle().executeUpdate(setFleetBudgetUpdate, { args: [request] })),
    /** No budget from now on; undefined (nothing started) when none was ever set. */
    unset: (): Promise<FleetBudgetState | undefined> =>
      budget.onceStarted(() => handle().executeUpdate(unsetFleetBudgetUpdate)),
    /** The ledger and this window's figures; undefined when no budget was ever set. */
    state: (): Promise<FleetBudgetState | undefined> =>
      unlessNotFound(() => handle().query(fleetBudgetStateQuery)),
  };
}
