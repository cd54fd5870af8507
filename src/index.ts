// The library surface for scripts that start pipelines programmatically.
export {
  parsePipelineInput,
  pipelineInputSchema,
  pipelineWorkflowId,
  InvalidPipelineInput,
} from './domain/pipeline-input';
export type { PipelineInput, PipelineSpec } from './domain/pipeline-input';
export type {
  PipelineResult,
  PipelineStatus,
  PipelinePhase,
  CandidateSummary,
  DeploymentSummary,
  DeletedCheckpoint,
  SuperviseInput,
  SupervisionResult,
  SupervisionProgress,
  CleanupInput,
  CleanupResult,
} from './workflows/definitions';
export {
  statusQuery,
  approveSignal,
  rejectSignal,
  cancelSignal,
  pinSignal,
  progressQuery,
} from './workflows/definitions';
export { startOrAttachPipeline } from './cli/start-pipeline';
export { upsertCleanupSchedule, listCleanupSchedules } from './schedules/cleanup-schedule';
export { createActivities, createActivitiesFromEnv } from './activities';
export type { TrainingJob, Checkpoint, RegisteredModel, Deployment } from './domain/types';
