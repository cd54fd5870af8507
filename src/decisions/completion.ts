/**
 * When a provider's "completed" can be believed. A pipeline deploys and cleans up after a completion,
 * so a completion that may be a lie (a stale cache, a provider glitch) must never be acted on: no
 * pipeline or supervision ends completed while its job may still train.
 */
import type { JobStatus, TrainingJob } from '../domain/types';

/** A figure that can be compared: a finite number (not missing, not NaN). */
function known(n: number | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

/** What else is known of the job besides its look. */
export interface CompletionEvidence {
  /**
   * TensorOne documents a `final` checkpoint, "created when training completes": listed (true), not
   * among a listing that shows every checkpoint (false), or not looked for / not knowable (undefined).
   */
  finalCheckpoint?: boolean;
}

/** `done of total` below its total, or undefined when the pair cannot tell (either figure unknown). */
function shortOf(done: number | undefined, total: number | undefined, unit: string): string | undefined {
  if (!known(done) || !known(total) || total <= 0) return undefined;
  return done < total ? `${unit} ${done} of ${total}` : undefined;
}

/**
 * Why a look that says "completed" is doubtful, or undefined when it is believable (or says anything
 * else). Doubtful: the step counter or the epoch counter (Marqtune: checkpoints made, one per epoch,
 * against the epochs asked for) is below its total, or TensorOne's final checkpoint is known to be
 * missing. A counter whose total or current figure is unknown tells nothing either way.
 */
export function completionDoubt(
  job: Pick<TrainingJob, 'status' | 'progress'>,
  evidence: CompletionEvidence = {},
): string | undefined {
  if (job.status !== 'completed') return undefined;
  const p = job.progress;
  const short = [
    shortOf(p.currentStep, p.totalSteps, 'step'),
    shortOf(p.currentEpoch, p.totalEpochs, 'epoch'),
  ]
    .filter((s): s is string => s !== undefined)
    .join(', ');
  if (short) return `answered "completed" at ${short}`;
  if (evidence.finalCheckpoint === false) return 'answered "completed" without a final checkpoint';
  return undefined;
}

/** Statuses of a job that may still train (and bill), or whose state cannot be told. */
const MAY_TRAIN: readonly JobStatus[] = ['queued', 'pending', 'running', 'unknown'];

/**
 * Why the pipeline must not deploy after its supervision ended, judged on a look taken right before
 * the deploy, or undefined when it may: the job must not be queued, running or in an unknown status,
 * and a completion must be believable (`completionDoubt`).
 */
export function deployDoubt(
  job: Pick<TrainingJob, 'id' | 'status' | 'rawStatus' | 'progress'>,
  evidence: CompletionEvidence = {},
): string | undefined {
  if (MAY_TRAIN.includes(job.status))
    return `training job ${job.id} answers "${job.rawStatus}" right before the deploy: it may still be training`;
  const doubt = completionDoubt(job, evidence);
  return doubt ? `training job ${job.id} ${doubt}` : undefined;
}

/**
 * Whether a listing tells that the job has a final checkpoint: true when one is listed, false when
 * none is and the listing holds every checkpoint the provider counts, else undefined.
 */
export function finalCheckpointListed(page: {
  checkpoints: readonly { type: string }[];
  totalCount: number;
}): boolean | undefined {
  if (page.checkpoints.some((c) => c.type === 'final')) return true;
  return known(page.totalCount) && page.checkpoints.length >= page.totalCount ? false : undefined;
}
