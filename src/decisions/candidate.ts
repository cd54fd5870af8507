import type { Checkpoint } from '../domain/types';

export interface SelectionPolicy {
  /** camelCase metric name, e.g. `validationLoss`. */
  metric: string;
  direction: 'minimize' | 'maximize';
  /** Among equal metric values: the later epoch (more training) or the earlier one (cheaper, less overfit). */
  tieBreak: 'latest-epoch' | 'earliest-epoch';
}

interface CandidateChoice {
  checkpoint: Checkpoint;
  value: number;
  considered: number;
  /** The provider's own `summary.bestCheckpoint` agreed with the choice (undefined when it had none). */
  agreesWithProviderBest?: boolean;
}

/**
 * The checkpoint to deploy: deployable, carrying the policy's metric, best by the metric, ties broken
 * by epoch as declared, then by id so the choice never depends on list order. A `best` checkpoint is a
 * copy of an automatic one, so for equal values the automatic original is preferred.
 */
export function chooseCandidate(
  checkpoints: Checkpoint[],
  policy: SelectionPolicy,
  providerBestId?: string,
): CandidateChoice | undefined {
  const eligible = checkpoints.filter(
    (c) =>
      c.deployable &&
      typeof c.metrics[policy.metric] === 'number' &&
      Number.isFinite(c.metrics[policy.metric]),
  );
  if (eligible.length === 0) return undefined;
  const sign = policy.direction === 'minimize' ? 1 : -1;
  const epochSign = policy.tieBreak === 'latest-epoch' ? -1 : 1;
  const typeRank = (c: Checkpoint) => (c.type === 'best' ? 1 : 0);
  const sorted = [...eligible].sort(
    (a, b) =>
      sign * (a.metrics[policy.metric] - b.metrics[policy.metric]) ||
      epochSign * ((a.epoch ?? 0) - (b.epoch ?? 0)) ||
      typeRank(a) - typeRank(b) ||
      a.id.localeCompare(b.id),
  );
  const checkpoint = sorted[0];
  const value = checkpoint.metrics[policy.metric];
  let agreesWithProviderBest: boolean | undefined;
  if (providerBestId) {
    const providerBest = checkpoints.find((c) => c.id === providerBestId);
    agreesWithProviderBest = providerBest ? providerBest.metrics[policy.metric] === value : undefined;
  }
  return { checkpoint, value, considered: eligible.length, agreesWithProviderBest };
}

/** The documented `sortBy` values of the checkpoint list. */
type DocumentedSort = 'createdAt' | 'epoch' | 'step' | 'loss' | 'accuracy';

/**
 * Extra list queries (documented sorts only, 100 each) for when the list cannot show every checkpoint:
 * the newest, and the best by the documented sort closest to the policy's metric (`loss` for any loss,
 * `accuracy` for any accuracy) in the policy's direction. With metric `loss` or `accuracy` the best
 * checkpoint is among them; for validation metrics the provider's own best (read by id) covers it.
 */
export function candidateQueries(
  policy: SelectionPolicy,
): { sortBy: DocumentedSort; sortOrder: 'asc' | 'desc' }[] {
  const queries: { sortBy: DocumentedSort; sortOrder: 'asc' | 'desc' }[] = [
    { sortBy: 'createdAt', sortOrder: 'desc' },
  ];
  const metric = policy.metric.toLowerCase();
  const sortBy: DocumentedSort | undefined = metric.endsWith('loss')
    ? 'loss'
    : metric.endsWith('accuracy')
      ? 'accuracy'
      : undefined;
  if (sortBy) queries.push({ sortBy, sortOrder: policy.direction === 'minimize' ? 'asc' : 'desc' });
  return queries;
}
