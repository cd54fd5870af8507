import type { Client } from '@temporalio/client';
import { longLivedWorkflow, unlessNotFound } from './long-lived';
import type {
  ClaimAnswer,
  LeaseAnswer,
  LeaseRelease,
  LeaseRequest,
  ProtectionRecord,
} from '../decisions/protection';
import {
  claimCheckpointsUpdate,
  forgetCandidatesSignal,
  leaseDeletionsUpdate,
  protectionRegistryId,
  PROTECTION_REGISTRY_WORKFLOW_TYPE,
  protectionRecordsQuery,
  releaseDeletionsSignal,
} from '../workflows/protection/contract';

/**
 * The client side of the `checkpointProtection` workflow (one per task queue), shared by the
 * activities and the CLI: every claim and lease goes through its Updates, so they are serialized; the
 * first of an installation starts it.
 */
export function protectionRegistry(client: Client, taskQueue: string) {
  const registry = longLivedWorkflow(
    client,
    PROTECTION_REGISTRY_WORKFLOW_TYPE,
    protectionRegistryId(taskQueue),
    taskQueue,
  );
  const { handle } = registry;

  return {
    /** Records what the run holds; checkpoints a cleanup is deleting come back unrecorded. */
    claim: (records: ProtectionRecord[]): Promise<ClaimAnswer> =>
      registry.whenRunning(() => handle().executeUpdate(claimCheckpointsUpdate, { args: [records] })),
    lease: (request: LeaseRequest): Promise<LeaseAnswer> =>
      registry.whenRunning(() => handle().executeUpdate(leaseDeletionsUpdate, { args: [request] })),
    /**
     * The candidates of these runs no longer protect (they ended). Best effort: a registry that never
     * started holds none, and one that keeps them only keeps their checkpoints longer.
     */
    async forget(ended: { workflowId: string; runId: string }[]): Promise<void> {
      await unlessNotFound(() => handle().signal(forgetCandidatesSignal, ended));
    },
    /** Ends a cleanup's leases; without a registry there are none to end. */
    async release(holder: LeaseRelease): Promise<void> {
      await unlessNotFound(() => handle().signal(releaseDeletionsSignal, holder));
    },
    /** Every record; none when no pipeline of this installation has recorded anything yet. */
    records: (): Promise<ProtectionRecord[] | undefined> =>
      unlessNotFound(() => handle().query(protectionRecordsQuery)),
  };
}
