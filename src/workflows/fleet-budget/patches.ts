import { patched } from '@temporalio/workflow';

// What changed in the fleet budget since its first release. Each history recorded before a change
// replays on the path it was recorded on.

/**
 * A reservation that asks to fail when the fleet is full (`budget.whenFleetFull: fail`) is refused,
 * recording nothing, where it would have waited in line. Asked only for such a request.
 */
export const refusesWhenFullPatch = () => patched('fleet-budget-refuses-when-full');

/**
 * When spent + what the running jobs may still cost passes the limit (a lower limit, or a job's reported
 * cost past its reservation), the newest jobs are told to stop with a saved checkpoint and the operator
 * is notified. Asked only when there is a job to stop.
 */
export const stopsNewestPatch = () => patched('fleet-budget-stops-newest');
