import { condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  claimCheckpoints,
  grantDeletions,
  holderKey,
  joinRebuilt,
  liveLeases,
  mergeRecords,
  refuseWhileRebuilding,
  releaseCandidates,
  releaseDeployed,
  releaseLeases,
  type DeletionLease,
  type ProtectionRecord,
  type RebuiltProtection,
} from '../../decisions/protection';
import {
  claimCheckpointsUpdate,
  forgetCandidatesSignal,
  leaseDeletionsUpdate,
  protectionRecordsQuery,
  protectionStateQuery,
  protectSignal,
  releaseCandidatesSignal,
  releaseDeletionsSignal,
  releaseDeployedSignal,
  unpinSignal,
  type ProtectionRegistryInput,
} from './contract';
import { rebuildHeartbeats, rebuildsInTwoParts, rebuildsWhenStartedAnew } from './patches';
import { continueAsNewWhenIdle, continueDue, type Rebuilding } from '../long-lived';

/** How long a lease waits for a rebuild in progress before it is refused: well inside the lease activity's timeout. */
const LEASE_WAITS_FOR_REBUILD_MS = 20_000;
/** The rebuild's heartbeat timeout: it beats after each workflow it reads. */
const REBUILD_HEARTBEAT_TIMEOUT_MS = 20_000;

/** Until the records are rebuilt nothing may be deleted, so the rebuild is tried for as long as it takes. */
const rebuild = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * The same, heartbeating after each workflow it reads: a rebuild lost with its worker (killed, restarted)
 * is tried again once its heartbeat is missed, not when its 2 minutes are up, so the claims waiting on it
 * wait seconds. The whole rebuild may take as long as there are workflows to read.
 */
const heartbeatingRebuildFor = (input: ProtectionRegistryInput) =>
  proxyActivities<Activities>({
    startToCloseTimeout: '1h',
    heartbeatTimeout: input.rebuildHeartbeatTimeoutMs ?? REBUILD_HEARTBEAT_TIMEOUT_MS,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  });

/**
 * The system's own record of checkpoints in use — candidates of pipelines in flight, pins, and what
 * pipelines deployed — kept in Temporal, so every cleanup (a pipeline's child, `starter cleanup`, the
 * Schedule) asks one place, whatever routes a provider offers. Pipelines claim through the
 * `claimProtection` activity (an Update); cleanups read through `protectedCheckpoints` (a query) to
 * plan, then lease what they are about to delete (an Update). Handlers run one message at a time, so
 * a pipeline's claim and a cleanup's lease on the same checkpoint cannot both succeed.
 * Why a workflow and not search attributes: visibility is eventually consistent, forgets closed
 * pipelines after the namespace's retention, and the time-skipping test server does not answer it;
 * this workflow runs for good (continue-as-new carries records and leases; a run started anew, e.g.
 * after an operator terminated it, first rebuilds them from the run before and the live workflows —
 * the `rebuildProtection` activity — and deletes nothing until it has). A `deployed` record stays
 * until its serving slot deletes the deployment (or the checkpoint is gone): a deployment left for
 * removal by hand keeps its checkpoint; keeping too much is the safe side.
 */
export async function checkpointProtection(input: ProtectionRegistryInput = {}): Promise<void> {
  let records: ProtectionRecord[] = input.records ?? [];
  let leases: DeletionLease[] = input.leases ?? [];
  const carried = input.records !== undefined || input.leases !== undefined;
  let rebuilding: Rebuilding | undefined =
    !carried && rebuildsWhenStartedAnew()
      ? { since: new Date(Date.now()).toISOString(), predecessorRunId: input.predecessorRunId }
      : undefined;
  const inTwoParts = rebuilding !== undefined && rebuildsInTwoParts();
  /** Two-part rebuild: the runs before are read, so their leases are known (a claim can be answered). */
  let leasesBeforeKnown = false;
  let rebuiltFrom: string[] | undefined;
  /** Removals that arrive while rebuilding, applied again to the rebuilt state (which predates them). */
  const removedWhileRebuilding: (() => void)[] = [];
  const remove = (apply: () => void) => {
    apply();
    if (rebuilding) removedWhileRebuilding.push(apply);
  };

  setHandler(protectSignal, (added) => void (records = mergeRecords(records, added)));
  setHandler(
    claimCheckpointsUpdate,
    async (added) => {
      // A lease of the run before may hold the checkpoint: the claim is answered once it is known.
      if (rebuilding) await condition(() => rebuilding === undefined || leasesBeforeKnown);
      const claimed = claimCheckpoints(records, leases, added, Date.now());
      records = claimed.records;
      return claimed.answer;
    },
    { validator: (added) => requireRun(added, 'a claim') },
  );
  setHandler(
    leaseDeletionsUpdate,
    async (request) => {
      // A rebuild that answers takes a moment; one that cannot (a run before that no worker can read)
      // leaves the cleanup keeping everything, told why.
      if (rebuilding)
        await condition(
          () => rebuilding === undefined,
          input.leaseWaitsForRebuildMs ?? LEASE_WAITS_FOR_REBUILD_MS,
        );
      if (rebuilding) return refuseWhileRebuilding(request, rebuildingReason(rebuilding));
      const granted = grantDeletions(records, leases, request, Date.now());
      leases = granted.leases;
      return granted.answer;
    },
    { validator: (request) => requireRun([request], 'a deletion lease') },
  );
  setHandler(releaseDeletionsSignal, (holder) => remove(() => (leases = releaseLeases(leases, holder))));
  setHandler(forgetCandidatesSignal, (holders) => {
    const ended = new Set(holders.map(holderKey));
    remove(() => (records = records.filter((r) => r.kind !== 'candidate' || !ended.has(holderKey(r)))));
  });
  setHandler(unpinSignal, ({ workflowId, checkpointIds }) => {
    const unpinned = new Set(checkpointIds);
    remove(
      () =>
        (records = records.filter(
          (r) => r.kind !== 'pinned' || r.workflowId !== workflowId || !unpinned.has(r.checkpointId),
        )),
    );
  });
  setHandler(releaseCandidatesSignal, (release) =>
    remove(() => (records = releaseCandidates(records, release))),
  );
  setHandler(releaseDeployedSignal, ({ deploymentIds }) =>
    remove(() => (records = releaseDeployed(records, deploymentIds))),
  );
  setHandler(protectionRecordsQuery, () => records);
  setHandler(protectionStateQuery, () => ({
    records,
    leases,
    ...(rebuilding ? { rebuilding } : {}),
    ...(rebuiltFrom ? { rebuiltFrom } : {}),
  }));

  if (rebuilding) {
    const heartbeatingRebuild = heartbeatingRebuildFor(input);
    const { workflowId, runId } = workflowInfo();
    const asked = { workflowId, runId, predecessorRunId: rebuilding.predecessorRunId };
    /** Joins a part found with what reached the registry meanwhile, then applies the removals again. */
    const join = (found: RebuiltProtection) => {
      ({ records, leases } = joinRebuilt({ records, leases }, found, Date.now()));
      removedWhileRebuilding.forEach((apply) => apply());
    };
    if (inTwoParts) {
      const before = await heartbeatingRebuild.rebuildProtectionFromRunsBefore(asked);
      join(before);
      leasesBeforeKnown = true;
      const live = await heartbeatingRebuild.rebuildProtectionFromLiveWorkflows();
      join(live);
      rebuiltFrom = [...before.sources, ...live.sources];
    } else {
      const rebuilder = rebuildHeartbeats() ? heartbeatingRebuild : rebuild;
      const found = await rebuilder.rebuildProtection(asked);
      join(found);
      rebuiltFrom = found.sources;
    }
    removedWhileRebuilding.length = 0;
    rebuilding = undefined;
  }

  await condition(continueDue(input));
  await continueAsNewWhenIdle<typeof checkpointProtection>({
    ...input,
    records,
    leases: liveLeases(leases, Date.now()),
  });
}

function rebuildingReason(rebuilding: Rebuilding): string {
  return `the protection registry started anew at ${rebuilding.since} (not continued from itself) and is rebuilding what is in use from ${rebuilding.predecessorRunId ? `its run ${rebuilding.predecessorRunId} and ` : ''}the live workflows: nothing is deleted until it has`;
}

/** Every record and lease names the run that holds it: without one it could never be released or forgotten. */
function requireRun(items: { workflowId?: string; runId?: string }[], what: string): void {
  if (items.some((i) => !i.workflowId || !i.runId))
    throw new Error(`${what} must name the workflow run that holds it (workflowId and runId)`);
}
