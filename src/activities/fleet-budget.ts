import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { fleetBudgets } from '../clients/fleet-budget';
import type { FleetLedger, ReserveAnswer, SettledSpend, WhenFleetFull } from '../decisions/fleet-budget';
import {
  fleetBudgetAdmittedSignal,
  fleetBudgetStateQuery,
  fleetBudgetStopSignal,
} from '../workflows/fleet-budget/contract';

/** Signals exactly that run of a reservation holder; `gone` when it has ended (no such run any more). */
async function signalRun<Args extends unknown[]>(
  run: { workflowId: string; runId: string },
  signal: SignalDefinition<Args>,
  ...args: Args
): Promise<'delivered' | 'gone'> {
  const { client } = Context.current();
  try {
    await client.workflow.getHandle(run.workflowId, run.runId).signal(signal, ...args);
    return 'delivered';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'gone';
    throw err;
  }
}

/** Runs started anew one after the other, each ended before it read its run before: beyond this, something else is wrong. */
const MAX_RUNS_BACK = 50;

/**
 * A pipeline's side of the fleet budget, through the worker's own Temporal client: the calling run
 * (from the activity's info) reserves its job's expected cost and settles it when the job ends.
 */
export function fleetBudgetActivities() {
  return {
    /** Admitted, in line (the budget signals the run when admitted), or unlimited; a refusal does not retry. */
    async reserveFleetBudget(input: { amount?: number; whenFull?: WhenFleetFull }): Promise<ReserveAnswer> {
      const { info, client } = Context.current();
      try {
        return await fleetBudgets(client, info.taskQueue).reserve({ ...callingRun(), ...input });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError)
          throw ApplicationFailure.nonRetryable(err.cause?.message ?? err.message, 'FLEET_BUDGET_REFUSED');
        throw err;
      }
    },

    /** The job ended, or none was created (0): the reservation counts what it spent. */
    async settleFleetBudget(input: { spent: SettledSpend }): Promise<void> {
      const { info, client } = Context.current();
      await fleetBudgets(client, info.taskQueue).settle({ ...callingRun(), spent: input.spent });
    },

    /** Tells a pipeline in line it is admitted; `gone` when that run has ended (it gives its reservation back). */
    async signalFleetBudgetAdmitted(input: {
      workflowId: string;
      runId: string;
      answer: ReserveAnswer;
    }): Promise<'delivered' | 'gone'> {
      return signalRun(input, fleetBudgetAdmittedSignal, input.answer);
    },

    /**
     * Tells a pipeline (or sweep trial) holding a reservation to stop its job with a saved checkpoint;
     * `gone` when that run has ended.
     */
    async signalFleetBudgetStop(input: {
      workflowId: string;
      runId: string;
      reason: string;
    }): Promise<'delivered' | 'gone'> {
      return signalRun(input, fleetBudgetStopSignal, { reason: input.reason });
    },

    /**
     * The ledger of the run before a budget run started anew (a closed run still answers queries, from
     * its history), following runs that ended while themselves reading. None, with why, when it is gone.
     */
    async readFleetBudgetBefore(input: {
      workflowId: string;
      runId: string;
      predecessorRunId?: string;
    }): Promise<{ ledger?: FleetLedger; reason: string }> {
      const { client } = Context.current();
      const seen = new Set([input.runId]);
      for (let runId = input.predecessorRunId; runId && !seen.has(runId);) {
        if (seen.size > MAX_RUNS_BACK)
          throw new Error(
            `more than ${MAX_RUNS_BACK} runs of ${input.workflowId} ended while reading the run before`,
          );
        seen.add(runId);
        try {
          const state = await client.workflow.getHandle(input.workflowId, runId).query(fleetBudgetStateQuery);
          if (!state.rebuilding) return { ledger: state.ledger, reason: `the ledger of run ${runId}` };
          runId = state.rebuilding.predecessorRunId;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          return { reason: `the history of run ${runId} is gone` };
        }
      }
      return { reason: 'no run before this one could be read' };
    },
  };
}

function callingRun(): { workflowId: string; runId: string } {
  const run = Context.current().info.workflowExecution;
  if (!run) throw new Error('a fleet budget reservation is made inside a workflow run: it names it');
  return { workflowId: run.workflowId, runId: run.runId };
}
