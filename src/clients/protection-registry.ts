import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { predecessorInput, withRunningWorkflow } from './long-lived';
import type { ClaimAnswer, LeaseAnswer, LeaseRequest, ProtectionRecord } from '../decisions/protection';
import {
  type ProtectionRegistryInput,
  claimCheckpointsUpdate,
  leaseDeletionsUpdate,
  protectionRegistryId,
  PROTECTION_REGISTRY_WORKFLOW_TYPE,
  protectionRecordsQuery,
  releaseDeletionsSignal,
} from '../workflows/protection/contract';

/**
 * The client side of the `checkpointProtection` workflow (one per task queue), shared by the
 * activities and the CLI: every claim and lease goes through its Updates, so they are serialized.
 */
export function protectionRegistry(client: Client, taskQueue: string) {
  const workflowId = protectionRegistryId(taskQueue);
  const handle = () => client.workflow.getHandle(workflowId);

  /** Updates need a running registry: the first caller of an installation starts it. */
  const update = <Ret>(run: () => Promise<Ret>): Promise<Ret> =>
    withRunningWorkflow(
      client,
      {
        workflowType: PROTECTION_REGISTRY_WORKFLOW_TYPE,
        workflowId,
        taskQueue,
        input: () => registryStartInput(client, workflowId),
      },
      run,
    );

  return {
    /** Records what the run holds; checkpoints a cleanup is deleting come back unrecorded. */
    claim: (records: ProtectionRecord[]): Promise<ClaimAnswer> =>
      update<ClaimAnswer>(() => handle().executeUpdate(claimCheckpointsUpdate, { args: [records] })),
    lease: (request: LeaseRequest): Promise<LeaseAnswer> =>
      update<LeaseAnswer>(() => handle().executeUpdate(leaseDeletionsUpdate, { args: [request] })),
    /** Ends a cleanup's leases; without a registry there are none to end. */
    async release(holder: { workflowId: string; runId: string }): Promise<void> {
      try {
        await handle().signal(releaseDeletionsSignal, holder);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },
    /** Every record; none when no pipeline of this installation has recorded anything yet. */
    async records(): Promise<ProtectionRecord[] | undefined> {
      try {
        return await handle().query(protectionRecordsQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    },
  };
}

/**
 * What a registry is started with: the run before it when one ended without continuing as new
 * (terminated, failed, timed out), so the new run rebuilds from it before it grants any deletion.
 */
export async function registryStartInput(
  client: Client,
  workflowId: string,
): Promise<ProtectionRegistryInput> {
  return predecessorInput(client, workflowId);
}
