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
} from './workflows/pipeline/contract';
export type { DeletedCheckpoint, CleanupInput, CleanupResult } from './workflows/cleanup/contract';
export type { SuperviseInput, SupervisionResult, SupervisionProgress } from './workflows/supervise/contract';
export {
  statusQuery,
  approveSignal,
  rejectSignal,
  cancelSignal,
  pinSignal,
} from './workflows/pipeline/contract';
export { progressQuery } from './workflows/supervise/contract';
export { startOrAttachPipeline } from './cli/start-pipeline';
export { upsertCleanupSchedule, listCleanupSchedules } from './schedules/cleanup-schedule';
export { createActivities, createActivitiesFromEnv } from './activities';
export type { TrainingJob, Checkpoint, RegisteredModel, Deployment } from './domain/types';
