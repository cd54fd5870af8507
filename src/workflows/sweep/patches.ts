import { releasedPatch } from '../released-patch';

// What changed in sweeps since their first release. Each history recorded before a change replays on
// the path it was recorded on.

/**
 * Each sweep trial reserves its job's `budget.maxCost` against the fleet budget before its job is
 * created and settles its own job's cost when it ends; the pipeline reserves nothing for itself. Asked
 * by a pipeline with `train.sweep` (which then tells its trials) and by each trial so told.
 */
export const trialsReserveFleetBudget = () => releasedPatch('sweep-trials-reserve-fleet-budget');

/**
 * A trial holding a fleet budget reservation tells the budget its job's cost from the looks it makes
 * (when it moved by a step) and, told by the budget to stop, stops its job with a saved checkpoint as a
 * budget stop: it still competes with the best checkpoint it trained. Asked only by a trial that holds one.
 */
export const trialStopsOnFleetOverrun = () => releasedPatch('sweep-trial-fleet-budget-stops');
