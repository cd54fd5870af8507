import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ClaimAnswer,
  DeletionLease,
  LeaseAnswer,
  LeaseRelease,
  LeaseRequest,
  ProtectionRecord,
} from '../../decisions/protection';
import { perTaskQueueId, type LongLivedInput, type Rebuilding } from '../long-lived';

// The contract of `checkpointProtection`, the records every cleanup consults: its id, input, state and
// the messages pipelines, cleanups and serving slots send it.

export const PROTECTION_REGISTRY_WORKFLOW_TYPE = 'checkpointProtection';
export const protectionRegistryId = perTaskQueueId('checkpoint-protection');

/** A run started anew (`predecessorRunId`) rebuilds its records and leases from the run before. */
export interface ProtectionRegistryInput extends LongLivedInput {
  records?: ProtectionRecord[];
  leases?: DeletionLease[];
  /**
   * How long a deletion lease waits for a rebuild in progress before it is refused (default 20 s, well
   * inside the lease activity's timeout). Carried when the registry continues as new.
   */
  leaseWaitsForRebuildMs?: number;
  /**
   * The heartbeat timeout of the rebuild, which beats after each workflow it reads (default 20 s): how
   * soon a rebuild lost with its worker is tried again. Carried when the registry continues as new.
   */
  rebuildHeartbeatTimeoutMs?: number;
}

/** What a registry run holds, and whether it is still rebuilding (then its records are partial). */
export interface ProtectionRegistryState {
  records: ProtectionRecord[];
  leases: DeletionLease[];
  /** No lease is granted until the rebuild is done. */
  rebuilding?: Rebuilding;
  /** Where the last rebuild found what it holds (absent on runs that never rebuilt). */
  rebuiltFrom?: string[];
}
/** Records what a run holds unless a cleanup is deleting it (then names it back, unrecorded). */
export const claimCheckpointsUpdate = defineUpdate<ClaimAnswer, [ProtectionRecord[]]>('claimCheckpoints');
/** A cleanup asks to delete these: granted what nothing protects now, refused the rest with why. */
export const leaseDeletionsUpdate = defineUpdate<LeaseAnswer, [LeaseRequest]>('leaseDeletions');
/** A cleanup run is done with its leases (fire-and-forget: a lease also lapses on its own). */
export const releaseDeletionsSignal = defineSignal<[LeaseRelease]>('releaseDeletions');
/** The failure type of a protection record that could not be made where it rode with another step. */
export const PROTECTION_NOT_RECORDED = 'PROTECTION_NOT_RECORDED';

export const protectSignal = defineSignal<[ProtectionRecord[]]>('protectCheckpoints');
/** Candidate records of runs that ended: the cleanup's look found them closed. */
export const forgetCandidatesSignal =
  defineSignal<[{ workflowId: string; runId: string }[]]>('forgetCandidates');
export const protectionRecordsQuery = defineQuery<ProtectionRecord[]>('protectionRecords');
/** Records, leases and rebuild state: how a registry started anew reads the run before it (closed runs answer queries too). */
export const protectionStateQuery = defineQuery<ProtectionRegistryState>('protectionState');
/** `starter unpin`: drops the pins a pipeline (any of its runs) recorded for these checkpoints. */
export const unpinSignal =
  defineSignal<[{ workflowId: string; checkpointIds: string[] }]>('unpinCheckpoints');
/** A pipeline run no longer holds these candidates (its sweep's losing trials, once the winner is named). */
export const releaseCandidatesSignal =
  defineSignal<[{ workflowId: string; runId: string; checkpointIds: string[] }]>('releaseCandidates');
/** A serving slot deleted these deployments: their `deployed` records no longer hold their checkpoints. */
export const releaseDeployedSignal = defineSignal<[{ deploymentIds: string[] }]>('releaseDeployed');
