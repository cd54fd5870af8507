import type { CheckpointType } from '../domain/types';

/** What cleanup needs to know of a checkpoint: small, so thousands fit in workflow state. */
export interface CheckpointSummary {
  id: string;
  jobId: string;
  type: CheckpointType;
  epoch?: number;
  createdAt?: string;
  sizeBytes?: number;
}

export interface RetentionPolicy {
  /** Keep the newest N automatic checkpoints. */
  keepLastN: number;
  /** Also keep automatic checkpoints younger than this many days. */
  keepWithinDays?: number;
  /** After the rules above, delete the oldest deletable checkpoints until the job's total is at most this. */
  maxTotalBytes?: number;
  /** Manual checkpoints are deleted only when this is true (they were made on purpose). */
  includeManual?: boolean;
}

export type DeleteReason = 'beyond-keep-last-n' | 'older-than-keep-window' | 'over-size-budget';

interface CleanupPlan {
  delete: (CheckpointSummary & { reason: DeleteReason })[];
  keep: (CheckpointSummary & { reason: string })[];
  bytesReclaimed: number;
}

/**
 * The documents' recipe, generalised: never touch `best`, `final`, deployed or pinned checkpoints;
 * keep the newest N automatic ones and any within the keep window; then trim by total size, oldest
 * first. Manual checkpoints are kept unless `includeManual`. Deterministic for the same input.
 */
export function planCleanup(
  checkpoints: CheckpointSummary[],
  policy: RetentionPolicy,
  protectedIds: Iterable<string>,
  nowMs: number,
): CleanupPlan {
  const protectedSet = new Set(protectedIds);
  const newestFirst = [...checkpoints].sort(
    (a, b) => time(b) - time(a) || (b.epoch ?? 0) - (a.epoch ?? 0) || b.id.localeCompare(a.id),
  );
  const keep: CleanupPlan['keep'] = [];
  const candidates: CheckpointSummary[] = [];
  let automaticSeen = 0;
  const windowStart =
    policy.keepWithinDays !== undefined ? nowMs - policy.keepWithinDays * 86_400_000 : undefined;

  for (const c of newestFirst) {
    if (protectedSet.has(c.id)) keep.push({ ...c, reason: 'protected (deployed or pinned)' });
    else if (c.type === 'best' || c.type === 'final') keep.push({ ...c, reason: `type ${c.type}` });
    else if (c.type === 'manual' && !policy.includeManual) keep.push({ ...c, reason: 'manual checkpoint' });
    else if (c.type === 'unknown') keep.push({ ...c, reason: 'unknown type' });
    else if (c.type === 'automatic' && ++automaticSeen <= policy.keepLastN)
      keep.push({ ...c, reason: `newest ${policy.keepLastN}` });
    else if (windowStart !== undefined && time(c) >= windowStart)
      keep.push({ ...c, reason: `within ${policy.keepWithinDays} days` });
    else candidates.push(c);
  }

  const toDelete: CleanupPlan['delete'] = candidates.map((c) => ({
    ...c,
    reason: windowStart !== undefined ? 'older-than-keep-window' : 'beyond-keep-last-n',
  }));

  if (policy.maxTotalBytes !== undefined) {
    let total = keep.reduce((s, c) => s + (c.sizeBytes ?? 0), 0);
    // Oldest deletable kept checkpoints go first while the job is over its size budget.
    const trimmable = keep
      .filter((c) => c.type === 'automatic' && !protectedSet.has(c.id) && c.reason.startsWith('within'))
      .reverse();
    for (const c of trimmable) {
      if (total <= policy.maxTotalBytes) break;
      keep.splice(keep.indexOf(c), 1);
      toDelete.push({
        id: c.id,
        jobId: c.jobId,
        type: c.type,
        epoch: c.epoch,
        createdAt: c.createdAt,
        sizeBytes: c.sizeBytes,
        reason: 'over-size-budget',
      });
      total -= c.sizeBytes ?? 0;
    }
  }
  return { delete: toDelete, keep, bytesReclaimed: toDelete.reduce((s, c) => s + (c.sizeBytes ?? 0), 0) };
}

function time(c: CheckpointSummary): number {
  const t = c.createdAt ? Date.parse(c.createdAt) : NaN;
  return Number.isNaN(t) ? (c.epoch ?? 0) : t;
}
