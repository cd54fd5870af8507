import { getExternalWorkflowHandle, setHandler, workflowInfo } from '@temporalio/workflow';
import { costByNow, costReportDue, readingAfterLook, type CostReading } from '../../decisions/fleet-stop';
import { fleetBudgetCostSignal, fleetBudgetId, fleetBudgetStopSignal } from '../fleet-budget/contract';
import type { StopTrial } from './contract';

/**
 * A sweep trial holding a fleet budget reservation: the fleet budget's stop becomes the trial's budget
 * stop (its job stopped with a saved checkpoint, its best checkpoint still in the running), and the
 * returned reporter tells the budget its job's cost by now, estimated from the trial's and its
 * supervision's looks (no extra request), when it moved by a step.
 */
export function trialFleetStops(
  amount: number | undefined,
  stopTrial: (stop: StopTrial) => void,
): (look: { cost?: number; percentage?: number }) => Promise<void> {
  setHandler(fleetBudgetStopSignal, ({ reason }) =>
    stopTrial({ end: 'budget-stopped', reason: `stopped by the fleet budget: ${reason}` }),
  );
  const { workflowId, runId, taskQueue } = workflowInfo();
  const budget = getExternalWorkflowHandle(fleetBudgetId(taskQueue));
  let reported: number | undefined;
  let reading: CostReading | undefined;
  return async (look) => {
    reading = readingAfterLook(reading, look);
    const cost = costByNow(reading, look.percentage);
    if (amount === undefined || cost === undefined || !costReportDue(reported, cost, amount)) return;
    reported = cost;
    // No budget workflow to tell (unset and gone): nothing to report to.
    await budget.signal(fleetBudgetCostSignal, { workflowId, runId, cost: reported }).catch(() => undefined);
  };
}
