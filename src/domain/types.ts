/**
 * The normalized types the rest of the code sees. Provider clients turn every documented response
 * shape into these; nothing here holds a secret or a signed URL, so they may enter workflow history.
 */
export type ProviderName = 'tensorone' | 'tensormesh' | 'marqtune';

export const JOB_STATUSES = [
  'queued',
  'pending',
  'running',
  'completed',
  'failed',
  'cancelled',
  'stopped',
] as const;
type KnownJobStatus = (typeof JOB_STATUSES)[number];
/** `unknown` keeps a status the documents never named; `rawStatus` says what it was. */
export type JobStatus = KnownJobStatus | 'unknown';

interface TrainingProgress {
  currentEpoch?: number;
  totalEpochs?: number;
  currentStep?: number;
  totalSteps?: number;
  percentage?: number;
  elapsedSeconds?: number;
  remainingSeconds?: number;
}

export interface TrainingJob {
  provider: ProviderName;
  id: string;
  name?: string;
  status: JobStatus;
  rawStatus: string;
  progress: TrainingProgress;
  /** Latest metrics, camelCase, numbers only. */
  metrics: Record<string, number>;
  /** `resourceUsage.cost` so far, in the provider's currency. */
  cost?: number;
  gpuHours?: number;
  failureReason?: string;
  createdAt?: string;
  startedAt?: string;
  estimatedCompletion?: string;
  /** Checkpoint ids the job object itself lists (TensorOne `checkpoints[].id`, Marqtune `checkpoints[]`). */
  checkpointIds: string[];
}

export const CHECKPOINT_TYPES = ['automatic', 'best', 'manual', 'final'] as const;
export type CheckpointType = (typeof CHECKPOINT_TYPES)[number] | 'unknown';

export interface Checkpoint {
  id: string;
  jobId?: string;
  name?: string;
  epoch?: number;
  step?: number;
  type: CheckpointType;
  /** camelCase metric names (`validation_loss` → `validationLoss`), numbers only. */
  metrics: Record<string, number>;
  sizeBytes?: number;
  deployable: boolean;
  createdAt?: string;
}

export interface CheckpointPage {
  checkpoints: Checkpoint[];
  totalCount: number;
  bestCheckpointId?: string;
  latestCheckpointId?: string;
  totalSizeBytes?: number;
}

export interface RegisteredModel {
  id: string;
  name?: string;
  status: string;
  type?: string;
  version?: string;
  baseModel?: string;
  trainingJobId?: string;
  /** Flattened, camelCase: `metrics.validation.loss` → `validationLoss`, `finalLoss`, `accuracy` … */
  metrics: Record<string, number>;
  sizeBytes?: number;
  endpointIds: string[];
  /** The model's deployments with their status, when the provider lists them (the documented "get"). */
  deployments?: Deployment[];
  tags: string[];
  metadata: Record<string, string>;
  createdAt?: string;
  updatedAt?: string;
}

export type DeploymentStatus = 'deploying' | 'active' | 'failed' | 'deleted' | 'unknown';

/** A serving deployment: a TensorOne endpoint or registry deployment, or a TensorMesh served model. */
export interface Deployment {
  provider: ProviderName;
  id: string;
  name?: string;
  status: DeploymentStatus;
  rawStatus: string;
  /** Invocation URL without any query string. */
  url?: string;
  modelId?: string;
  checkpointId?: string;
  createdAt?: string;
  /** Latest provider events (TensorMesh), newest last. */
  events: { at?: string; type: string; log: string }[];
}

export interface ModelComparison {
  models: { id: string; name?: string; version?: string; metrics: Record<string, number> }[];
  bestPerforming: Record<string, string>;
  recommendations: string[];
}

export interface ModelDownload {
  /** The signed URL itself is never returned: it would be stored in workflow history. */
  expiresAt?: string;
  sizeBytes?: number;
  files: { name: string; sizeBytes?: number; checksum?: string }[];
}
