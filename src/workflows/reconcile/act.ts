import { ActivityFailure } from '@temporalio/workflow';
import { isAbsent } from '../../domain/capability';
import type { ReconcileEntry } from '../../decisions/reconcile';
import { provider } from '../activity-stubs';

/**
 * Carries out each verdict, one resource at a time: a job is stopped saving a checkpoint, a deployment
 * removed where a route exists (an absent route makes it "remove by hand"). A failure is reported on
 * its resource and the others go on.
 */
export async function carryOut(entries: ReconcileEntry[]): Promise<ReconcileEntry[]> {
  const done: ReconcileEntry[] = [];
  for (const entry of entries) done.push(await carryOutOne(entry));
  return done;
}

async function carryOutOne(entry: ReconcileEntry): Promise<ReconcileEntry> {
  try {
    if (entry.action === 'stop') {
      const { stopped } = await provider.stopTrainingJobIfRunning({
        jobId: entry.id,
        reason: `orphan reconciler: ${entry.reason}`,
      });
      return { ...entry, outcome: stopped ? 'stopped' : 'already ended' };
    }
    if (entry.action === 'remove') {
      const answer =
        entry.kind === 'served-model'
          ? await provider.deleteServedModel(entry.id)
          : await provider.deleteEndpoint(entry.id);
      if (isAbsent(answer))
        return {
          ...entry,
          action: 'remove-by-hand',
          reason: `${entry.reason}; the provider has no route to remove it (${answer.route})`,
          outcome: 'remove by hand',
        };
      return { ...entry, outcome: answer.alreadyGone ? 'already gone' : 'removed' };
    }
    if (entry.action === 'remove-by-hand') return { ...entry, outcome: 'remove by hand' };
    return entry;
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return { ...entry, outcome: 'failed', failure: err.cause?.message ?? err.message };
  }
}
