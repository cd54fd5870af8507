import type { PipelinePhase } from '../workflows/pipeline/contract';

/** Every phase a pipeline shows, in the order it passes them (the Record makes the compiler notice a new one). */
export const PIPELINE_PHASES = Object.keys({
  starting: 1,
  training: 1,
  comparing: 1,
  gating: 1,
  'awaiting-approval': 1,
  deploying: 1,
  'smoke-testing': 1,
  probing: 1,
  'cleaning-up': 1,
  completed: 1,
  cancelled: 1,
  failed: 1,
} satisfies Record<PipelinePhase, 1>) as PipelinePhase[];
