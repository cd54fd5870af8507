import { releasedPatch } from '../released-patch';

// What changed in the fleet budget since its first release. Each history recorded before a change
// replays on the path it was recorded on.

/**
 * A reservation that asks to fail when the fleet is full (`budget.whenFleetFull: fail`) is refused,
 * recording nothing, where it would have waited in line. Asked only for such a request.
 */
export const refusesWhenFullPatch = () => releasedPatch('fleet-budget-refuses-when-full');

/**
 * When spent + what the running jobs may still cost passes the limit (a lower limit, or a job's reported
 * cost past its reservation), the newest jobs are told to stop with a saved checkpoint and the operator
 * is notified. Asked only when there is a job to stop.
 */
export const stopsNewestPatch = () => releasedPatch('fleet-budget-stops-newest');

/**
 * A pipeline's cost report is taken into the ledger. A report handled by a worker of the code before it
 * was ignored there (no handler), so a replay of that history ignores it too. Asked at each report.
 */
export const takesCostReportsPatch = () => releasedPatch('fleet-budget-takes-cost-reports');

/**
 * A set that changes the window's length counts each reservation in the window of the new length its
 * admission falls in; the code before left it in its old window, where it counted in none (a switch
 * from per day to per 30 days forgot the day's spend). Asked only when the new length moves one.
 */
export const rewindowsOnSetPatch = () => releasedPatch('fleet-budget-rewindows-on-set');

/**
 * A waiter whose amount is more than the whole limit in force leaves the line (its next ask is refused
 * naming budget.maxCost); the code before kept it first in line, where it held everyone behind it for
 * good. Asked only when there is such a waiter.
 */
export const dropsNeverAdmittedPatch = () => releasedPatch('fleet-budget-drops-never-admitted');

/**
 * A waiter whose run has not asked for three ask intervals leaves the line (a run terminated while it
 * waited); the code before kept it, holding everyone behind it until it fitted. Asked only when there
 * is such a waiter.
 */
export const dropsSilentWaitersPatch = () => releasedPatch('fleet-budget-drops-silent-waiters');
