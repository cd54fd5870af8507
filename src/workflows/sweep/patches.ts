import { patched } from '@temporalio/workflow';

// What changed in sweeps since their first release. Each history recorded before a change replays on
// the path it was recorded on.

/**
 * Each sweep trial reserves its job's `budget.maxCost` against the fleet budget before its job is
 * created and settles its own job's cost when it ends; the pipeline reserves nothing for itself. Asked
 * by a pipeline with `train.sweep` (which then tells its trials) and by each trial so told.
 */
export const trialsReserveFleetBudget = () => patched('sweep-trials-reserve-fleet-budget');
