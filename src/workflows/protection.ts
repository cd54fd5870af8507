import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  claimCheckpoints,
  grantDeletions,
  holderKey,
  liveLeases,
  mergeRecords,
  releaseDeployed,
  releaseLeases,
  type DeletionLease,
  type ProtectionRecord,
} from '../decisions/protection';
import {
  claimCheckpointsUpdate,
  forgetCandidatesSignal,
  leaseDeletionsUpdate,
  protectionRecordsQuery,
  protectSignal,
  releaseDeletionsSignal,
  releaseDeployedSignal,
  unpinSignal,
  type ProtectionRegistryInput,
} from './definitions';

const DEFAULT_HISTORY_EVENT_LIMIT = 5000;

/**
 * The system's own record of checkpoints in use — candidates of pipelines in flight, pins, and what
 * pipelines deployed — kept in Temporal, so every cleanup (a pipeline's child, `starter cleanup`, the
 * Schedule) asks one place, whatever routes a provider offers. Pipelines claim through the
 * `claimProtection` activity (an Update); cleanups read through `protectedCheckpoints` (a query) to
 * plan, then lease what they are about to delete (an Update). Handlers run one message at a time, so
 * a pipeline's claim and a cleanup's lease on the same checkpoint cannot both succeed.
 * Why a workflow and not search attributes: visibility is eventually consistent, forgets closed
 * pipelines after the namespace's retention, and the time-skipping test server does not answer it;
 * this workflow runs for good (continue-as-new carries records and leases). A `deployed` record stays
 * until its serving slot deletes the deployment (or the checkpoint is gone): a deployment left for
 * removal by hand keeps its checkpoint; keeping too much is the safe side.
 */
export async function checkpointProtection(input: ProtectionRegistryInput = {}): Promise<void> {
  let records: ProtectionRecord[] = input.records ?? [];
  let leases: DeletionLease[] = input.leases ?? [];

  setHandler(protectSignal, (added) => void (records = mergeRecords(records, added)));
  setHandler(
    claimCheckpointsUpdate,
    (added) => {
      const claimed = claimCheckpoints(records, leases, added, Date.now());
      records = claimed.records;
      return claimed.answer;
    },
    { validator: (added) => requireRun(added, 'a claim') },
  );
  setHandler(
    leaseDeletionsUpdate,
    (request) => {
      const granted = grantDeletions(records, leases, request, Date.now());
      leases = granted.leases;
      return granted.answer;
    },
    { validator: (request) => requireRun([request], 'a deletion lease') },
  );
  setHandler(releaseDeletionsSignal, (holder) => void (leases = releaseLeases(leases, holder)));
  setHandler(forgetCandidatesSignal, (holders) => {
    const ended = new Set(holders.map(holderKey));
    records = records.filter((r) => r.kind !== 'candidate' || !ended.has(holderKey(r)));
  });
  setHandler(unpinSignal, ({ workflowId, checkpointIds }) => {
    const unpinned = new Set(checkpointIds);
    records = records.filter(
      (r) => r.kind !== 'pinned' || r.workflowId !== workflowId || !unpinned.has(r.checkpointId),
    );
  });
  setHandler(
    releaseDeployedSignal,
    ({ deploymentIds }) => void (records = releaseDeployed(records, deploymentIds)),
  );
  setHandler(protectionRecordsQuery, () => records);

  const limit = input.historyEventLimit ?? DEFAULT_HISTORY_EVENT_LIMIT;
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= limit);
  await condition(allHandlersFinished);
  await continueAsNew<typeof checkpointProtection>({
    ...input,
    records,
    leases: liveLeases(leases, Date.now()),
  });
}

/** Every record and lease names the run that holds it: without one it could never be released or forgotten. */
function requireRun(items: { workflowId?: string; runId?: string }[], what: string): void {
  if (items.some((i) => !i.workflowId || !i.runId))
    throw new Error(`${what} must name the workflow run that holds it (workflowId and runId)`);
}
