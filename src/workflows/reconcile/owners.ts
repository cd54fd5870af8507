import { ActivityFailure } from '@temporalio/workflow';
import { parseRunOwnedName, type OwnedResource, type OwnerState } from '../../decisions/reconcile';
import { protection } from '../activity-stubs';

/** Owners asked at once: bounded, so a fleet of thousands does not schedule thousands of activities together. */
const OWNERS_AT_ONCE = 20;

export const ownerKey = (workflowId: string, runPrefix: string) => `${workflowId}--r${runPrefix}`;

/**
 * What Temporal says of each resource's owning run, by `ownerKey`. An owner that cannot be asked (the
 * retries spent) is `unknown`, never absent: its resources are kept.
 */
export async function ownersOf(resources: OwnedResource[]): Promise<Map<string, OwnerState>> {
  const wanted = new Map<string, { workflowId: string; runPrefix: string }>();
  for (const r of resources) {
    const name = parseRunOwnedName(r.name);
    if (name) wanted.set(ownerKey(name.workflowId, name.runPrefix), name);
  }
  const owners = new Map<string, OwnerState>();
  const queue = [...wanted.entries()];
  for (let i = 0; i < queue.length; i += OWNERS_AT_ONCE) {
    await Promise.all(
      queue.slice(i, i + OWNERS_AT_ONCE).map(async ([key, owner]) => {
        owners.set(key, await askOwner(owner));
      }),
    );
  }
  return owners;
}

async function askOwner(owner: { workflowId: string; runPrefix: string }): Promise<OwnerState> {
  try {
    return await protection.reconcileOwner({ workflowId: owner.workflowId, runPrefix: owner.runPrefix });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return { state: 'unknown', reason: `Temporal could not be asked: ${err.cause?.message ?? err.message}` };
  }
}

/** The serving slot a pipeline's deployments may serve: the one named after the pipeline. */
export function slotNameOf(workflowId: string): string {
  return workflowId.replace(/^pipeline-/, '');
}

/**
 * Which serving slot serves each deployment (by deployment id), asking the slot of each owning
 * pipeline's name; a slot that cannot be asked makes its pipeline's deployments unreadable (kept).
 */
export async function slotServed(
  resources: OwnedResource[],
): Promise<{ servedBy: Record<string, string>; unreadable: string[] }> {
  const deploymentsBySlot = new Map<string, string[]>();
  for (const r of resources) {
    const name = r.kind === 'training-job' ? undefined : parseRunOwnedName(r.name);
    if (!name) continue;
    const slot = slotNameOf(name.workflowId);
    deploymentsBySlot.set(slot, [...(deploymentsBySlot.get(slot) ?? []), r.id]);
  }
  const servedBy: Record<string, string> = {};
  const unreadable: string[] = [];
  const slots = [...deploymentsBySlot.entries()];
  for (let i = 0; i < slots.length; i += OWNERS_AT_ONCE) {
    await Promise.all(
      slots.slice(i, i + OWNERS_AT_ONCE).map(async ([slotName, ids]) => {
        try {
          for (const id of await protection.slotServedDeployments({ slotName })) servedBy[id] = slotName;
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          unreadable.push(...ids);
        }
      }),
    );
  }
  return { servedBy, unreadable };
}
