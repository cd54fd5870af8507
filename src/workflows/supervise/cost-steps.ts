import { nextCostReportPercentage, readingAfterLook } from '../../decisions/fleet-stop';
import type { TrainingJob } from '../../domain/types';
import { reportsCostSteps } from './patches';
import type { Supervision } from './state';

/**
 * A supervision whose pipeline tells a fleet budget its job's cost: the reading the estimates go by, and
 * the progress at which the next watch hands the job back for the next report.
 */

const asked = (sup: Supervision) => sup.input.costReportStep !== undefined && reportsCostSteps();

/** Takes in a look's cost: a cost that differs from the last reading is a new reading. */
export function recordCostReading(sup: Supervision, job: TrainingJob): void {
  if (!asked(sup)) return;
  const reading = readingAfterLook(sup.st.costReading, {
    cost: job.cost,
    percentage: job.progress.percentage,
  });
  if (reading) sup.st.costReading = reading;
}

/** The percentage at which the next watch reports, or none (no step asked, no pace yet). */
export function costReportAtPercentage(sup: Supervision): number | undefined {
  if (!asked(sup)) return undefined;
  return nextCostReportPercentage(
    sup.st.costReading,
    sup.lastLook?.progress.percentage,
    sup.input.costReportStep!,
  );
}
