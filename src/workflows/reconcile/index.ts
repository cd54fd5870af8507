import { ApplicationFailure } from '@temporalio/workflow';
import { reconcileInputProblem, type ReconcileAction } from '../../decisions/reconcile';
import type { ReconcileInput, ReconcileResult } from './contract';
import { carryOut } from './act';
import { decide } from './decide';
import { listRunOwned } from './list';
import { ownersOf, slotServed } from './owners';

/**
 * The orphan reconciler: finds the provider resources named after a pipeline run, asks Temporal about
 * each one's owning run, and stops (with a checkpoint) or removes what a run closed or absent past the
 * grace left behind. What it cannot see, or whose owner it cannot determine, it keeps and reports.
 */
export async function reconcileOrphans(input: ReconcileInput): Promise<ReconcileResult> {
  const problem = reconcileInputProblem(input);
  if (problem) throw ApplicationFailure.nonRetryable(problem, 'INVALID_INPUT');
  const listing = await listRunOwned();
  const owners = await ownersOf(listing.resources);
  const slots = await slotServed(listing.resources);
  let entries = decide(listing.resources, owners, slots, input.graceMs, Date.now());
  if (!input.dryRun) entries = await carryOut(entries);
  const counts: Record<ReconcileAction, number> = { stop: 0, remove: 0, 'remove-by-hand': 0, keep: 0 };
  for (const e of entries) counts[e.action] += 1;
  return {
    dryRun: input.dryRun,
    graceMs: input.graceMs,
    resources: entries,
    notOurs: listing.notOurs,
    unseen: listing.unseen,
    counts,
  };
}
