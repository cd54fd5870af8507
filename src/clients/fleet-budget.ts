import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ReserveAnswer, ReserveRequest } from '../decisions/fleet-budget';
import {
  FLEET_BUDGET_WORKFLOW_TYPE,
  fleetBudgetId,
  fleetBudgetStateQuery,
  reserveFleetBudgetUpdate,
  setFleetBudgetUpdate,
  settleFleetBudgetUpdate,
  type FleetBudgetState,
  type SetFleetBudgetRequest,
  type SettleRequest,
} from '../workflows/fleet-budget/contract';
import { predecessorInput, withRunningWorkflow, workflowExists } from './long-lived';

/**
 * The client side of the `fleetBudget` workflow (one per task queue), shared by the activities and the
 * CLI. A queue whose budget was never set has no such workflow: reservations are then `unlimited`. One
 * that ended (terminated) is started again with its run before, whose ledger it reads first: a lost
 * budget workflow never means "no budget".
 */
export function fleetBudgets(client: Client, taskQueue: string) {
  const workflowId = fleetBudgetId(taskQueue);
  const handle = () => client.workflow.getHandle(workflowId);
  const start = {
    workflowType: FLEET_BUDGET_WORKFLOW_TYPE,
    workflowId,
    taskQueue,
    input: () => predecessorInput(client, workflowId),
  };

  /** Runs an Update on a budget that was set once; undefined when none ever was. */
  async function onceSet<Ret>(run: () => Promise<Ret>): Promise<Ret | undefined> {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      if (!(await workflowExists(client, workflowId))) return undefined;
      return withRunningWorkflow(client, start, run);
    }
  }

  return {
    workflowId,
    reserve: async (request: ReserveRequest): Promise<ReserveAnswer> =>
      (await onceSet(() => handle().executeUpdate(reserveFleetBudgetUpdate, { args: [request] }))) ?? {
        outcome: 'unlimited',
        text: 'no fleet budget is set',
      },
    /** Nothing to settle when no budget was ever set. */
    settle: (request: SettleRequest): Promise<FleetBudgetState | undefined> =>
      onceSet(() => handle().executeUpdate(settleFleetBudgetUpdate, { args: [request] })),
    /** The first `set` of an installation starts the budget. */
    set: (request: SetFleetBudgetRequest): Promise<FleetBudgetState> =>
      withRunningWorkflow(client, start, () =>
        handle().executeUpdate(setFleetBudgetUpdate, { args: [request] }),
      ),
    /** The ledger and this window's figures; undefined when no budget was ever set. */
    async state(): Promise<FleetBudgetState | undefined> {
      try {
        return await handle().query(fleetBudgetStateQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    },
  };
}
