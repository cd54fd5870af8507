import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ReserveAnswer, ReserveRequest } from '../decisions/fleet-budget';
import {
  FLEET_BUDGET_WORKFLOW_TYPE,
  fleetBudgetId,
  fleetBudgetStateQuery,
  reserveFleetBudgetUpdate,
  setFleetBudgetUpdate,
  settleFleetBudgetUpdate,
  type FleetBudgetInput,
  type FleetBudgetState,
  type SetFleetBudgetRequest,
  type SettleRequest,
} from '../workflows/fleet-budget/contract';
import { withRunningWorkflow } from './long-lived';

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
    input: () => budgetStartInput(client, workflowId),
  };

  /** Runs an Update on a budget that was set once; undefined when none ever was. */
  async function onceSet<Ret>(run: () => Promise<Ret>): Promise<Ret | undefined> {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      if (!(await everStarted(client, workflowId))) return undefined;
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

async function everStarted(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** The run before when one ended without continuing as new, so the new run reads its ledger. */
async function budgetStartInput(client: Client, workflowId: string): Promise<FleetBudgetInput> {
  try {
    const latest = await client.workflow.getHandle(workflowId).describe();
    return latest.status.name === 'RUNNING' ? {} : { predecessorRunId: latest.runId };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return {};
    throw err;
  }
}
