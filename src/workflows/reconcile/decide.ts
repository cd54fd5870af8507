import {
  parseRunOwnedName,
  reconcileVerdict,
  type OwnedResource,
  type OwnerState,
  type ReconcileEntry,
} from '../../decisions/reconcile';
import { ownerKey } from './owners';

/** Each resource's verdict, in a stable order (kind, then name). */
export function decide(
  resources: OwnedResource[],
  owners: Map<string, OwnerState>,
  slots: { servedBy: Record<string, string>; unreadable: string[] },
  graceMs: number,
  nowMs: number,
): ReconcileEntry[] {
  const entries: ReconcileEntry[] = [];
  for (const resource of resources) {
    const name = parseRunOwnedName(resource.name);
    if (!name) continue;
    const owner = owners.get(ownerKey(name.workflowId, name.runPrefix)) ?? {
      state: 'unknown' as const,
      reason: 'not asked',
    };
    const verdict = reconcileVerdict({
      resource,
      owner,
      nowMs,
      graceMs,
      servedBy: slots.servedBy[resource.id],
      slotUnreadable: slots.unreadable.includes(resource.id),
      // Whether a route removes it is learned when removing: an absent route turns it into "remove by hand".
      removable: true,
    });
    entries.push({
      ...resource,
      owner: { workflowId: name.workflowId, runPrefix: name.runPrefix, state: owner.state },
      ...verdict,
    });
  }
  return entries.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}
