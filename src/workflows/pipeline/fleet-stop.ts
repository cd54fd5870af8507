import {
  condition,
  getExternalWorkflowHandle,
  setHandler,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import {
  COST_REPORT_STEP,
  costByNow,
  costReportDue,
  readingAfterLook,
  type CostReading,
} from '../../decisions/fleet-stop';
import { fleetBudgetStands } from '../../decisions/pipeline-status';
import { provider } from '../activity-stubs';
import { applicationCause } from '../failure-cause';
import { fleetBudgetCostSignal, fleetBudgetId, fleetBudgetStopSignal } from '../fleet-budget/contract';
import { stopSupervisedJobSignal, type superviseTrainingJob } from '../supervise';
import type { SupervisionResult } from '../supervise/contract';
import type { PipelineStatus } from './contract';
import type { FleetBudgetHold } from './fleet-budget';
import { asksCostSteps, stopsOnFleetOverrun } from './patches';
import { moveTo } from './status';

type Supervisor = ChildWorkflowHandle<typeof superviseTrainingJob>;

/**
 * A pipeline holding a fleet budget reservation while its job trains: it tells the budget what the job
 * has cost by the looks its supervision made (a signal only when the cost moved by a step), and when
 * the budget tells it to stop, it stops the job through its supervisor's stop, saving a checkpoint,
 * and goes on as when its own `budget.maxCost` stopped training.
 */
export interface FleetStopWatch {
  /** Runs the supervision; a stop the fleet budget asked for ends it as a cost budget's stop. */
  supervise(
    jobId: string,
    run: (onStarted: (child: Supervisor) => void, costReportStep?: number) => Promise<SupervisionResult>,
  ): Promise<SupervisionResult>;
  /** Why the fleet budget stopped the job, once it did. */
  stoppedBy(): string | undefined;
}

/**
 * None unless the pipeline holds a reservation (a queue with no budget holds none: no signal, no
 * marker, nothing more in its history).
 */
export function watchFleetStops(
  status: PipelineStatus,
  hold: FleetBudgetHold,
  amount: number | undefined,
): FleetStopWatch | undefined {
  if (!hold.held() || amount === undefined || !stopsOnFleetOverrun()) return undefined;
  let asked: string | undefined;
  let stopped: string | undefined;
  setHandler(fleetBudgetStopSignal, ({ reason }) => void (asked ??= reason));
  return {
    stoppedBy: () => stopped,
    async supervise(jobId, run) {
      let child: Supervisor | undefined;
      let sent = false;
      let done = false;
      let reported: number | undefined;
      /** The first report says the run can stop its job: the budget asks only runs that said so. */
      let announced = false;
      let reading: CostReading | undefined;
      /** The job's cost by now, from the looks its supervision reported. */
      const estimate = () => {
        reading = readingAfterLook(reading, status.training);
        return costByNow(reading, status.training?.percentage);
      };
      const { workflowId, runId, taskQueue } = workflowInfo();
      const budget = getExternalWorkflowHandle(fleetBudgetId(taskQueue));
      const stopDue = () => asked !== undefined && child !== undefined && !sent;
      const reportDue = () => !announced || costReportDue(reported, estimate(), amount);
      void (async () => {
        for (;;) {
          await condition(() => done || stopDue() || reportDue());
          if (done) return;
          if (stopDue()) {
            sent = true;
            moveTo(status, fleetBudgetStands(status, `stopped by the fleet budget: ${asked}`));
            // A supervision that has ended meanwhile has nothing left to stop.
            await child!
              .signal(stopSupervisedJobSignal, { reason: `fleet budget: ${asked}` })
              .catch(() => undefined);
            continue;
          }
          const cost = estimate();
          announced = true;
          if (cost !== undefined) reported = cost;
          // No budget workflow to tell (unset and gone): nothing to report to.
          await budget
            .signal(fleetBudgetCostSignal, { workflowId, runId, ...(cost !== undefined ? { cost } : {}) })
            .catch(() => undefined);
        }
      })().catch(() => undefined);
      try {
        const step = asksCostSteps() ? amount * COST_REPORT_STEP : undefined;
        return await run((started) => void (child = started), step);
      } catch (err) {
        const type = applicationCause(err)?.type;
        if (!sent || (type !== 'TRAINING_STOPPED_BY_OPERATOR' && type !== 'JOB_NOT_RUNNING')) throw err;
        // As the supervision's own cost-budget stop ends: the job as looked at after the stop.
        const job = await provider.getTrainingJob(jobId);
        // The job ended on its own before the stop reached it: completed, it goes on as completed.
        const outcome =
          type === 'TRAINING_STOPPED_BY_OPERATOR' || job.status === 'stopped'
            ? 'budget-stopped'
            : job.status === 'completed'
              ? 'completed'
              : undefined;
        if (!outcome) throw err;
        if (outcome === 'budget-stopped') stopped = asked;
        const progress = status.training;
        return {
          jobId,
          provider: 'tensorone',
          outcome,
          job,
          resumes: progress?.resumes ?? 0,
          polls: progress?.polls ?? 0,
          runs: progress?.runs ?? 1,
          ...(progress ? { progress } : {}),
        };
      } finally {
        done = true;
      }
    },
  };
}
