// The workflows this worker runs. Deterministic code only: activities arrive through `import type`.
export { fineTuneToDeploy } from './pipeline';
export { superviseTrainingJob, stopSupervisedJobSignal } from './supervise';
export { sweepTrial } from './sweep';
export { checkpointCleanup } from './cleanup';
export { deleteCheckpointsAtProviderRate } from './cleanup/checkpoint-deletions';
export {
  getMarqtuneModelAtProviderRate,
  getTrainingJobAtProviderRate,
  listEndpointsAtProviderRate,
  listRegisteredModelsAtProviderRate,
  listTrainingJobsAtProviderRate,
} from './provider-reads';
export { checkpointProtection } from './protection';
export { fleetBudget } from './fleet-budget';
export { servingSlot } from './serving-slot';
export { reconcileOrphans } from './reconcile';
export { jobListSweep } from './job-list-sweep';
