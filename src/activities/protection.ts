import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { predecessorInput } from '../clients/long-lived';
import { protectionRegistry } from '../clients/protection-registry';
import {
  endedCandidateHolders,
  holderKey,
  protectedCheckpoints,
  type ClaimAnswer,
  type LeaseAnswer,
  type ProtectedCheckpoint,
  type ProtectionRecord,
  type ProtectionRequest,
} from '../decisions/protection';
import type { CapabilityAbsent } from '../domain/capability';
import type { Deployment, RegisteredModel } from '../domain/types';
import {
  PROTECTION_REGISTRY_WORKFLOW_TYPE,
  protectionRegistryId,
  protectSignal,
  releaseCandidatesSignal,
  releaseDeployedSignal,
} from '../workflows/protection/contract';
import { classified } from './failures';
import { isAbsent } from '../providers/http/capabilities';

interface ProtectedSetAnswer {
  checkpoints: ProtectedCheckpoint[];
  /** Where the answer came from, for the cleanup's audit trail. */
  sources: string[];
}

/** The TensorOne reads of the protected set: straight to the provider, or held to its rate limit. */
export interface ProtectionReads {
  listEndpoints: () => Promise<Deployment[] | CapabilityAbsent>;
  listModels: (query: { trainingJobId: string; limit: number }) => Promise<{ models: RegisteredModel[] }>;
}

/**
 * The shared protected set. Records live in the `checkpointProtection` workflow (one per task queue),
 * reached through the worker's own Temporal client; providers add what their documents say is serving.
 */
export function protectionActivities(reads: ProtectionReads) {
  return {
    /** Records checkpoints the calling pipeline run holds (candidate, deployed, pinned); idempotent. */
    async recordProtection(requests: ProtectionRequest[]): Promise<void> {
      const { info, client } = Context.current();
      const workflowId = protectionRegistryId(info.taskQueue);
      const records = asRecords(requests);
      try {
        await client.workflow.getHandle(workflowId).signal(protectSignal, records);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        // Not running: started with the run before it, if one ended, to rebuild from.
        await client.workflow.signalWithStart(PROTECTION_REGISTRY_WORKFLOW_TYPE, {
          workflowId,
          taskQueue: info.taskQueue,
          args: [await predecessorInput(client, workflowId)],
          signal: protectSignal,
          signalArgs: [records],
        });
      }
    },

    /**
     * Like `recordProtection`, but answered: a checkpoint a cleanup is deleting right now is not
     * recorded and comes back in `beingDeleted`, so the pipeline chooses another. Idempotent.
     */
    async claimProtection(requests: ProtectionRequest[]): Promise<ClaimAnswer> {
      const { info, client } = Context.current();
      return protectionRegistry(client, info.taskQueue).claim(asRecords(requests));
    },

    /**
     * The calling cleanup asks to delete these checkpoints: granted what no record protects at this
     * moment (checked inside the registry, after any claim that reached it first), refused the rest.
     */
    async leaseDeletions(input: { checkpointIds: string[] }): Promise<LeaseAnswer> {
      const { info, client } = Context.current();
      // Holders named ended are not looked up again here: the cleanup's protected set, asked just
      // before, told the registry to forget the candidates of runs it found ended. A run that ended
      // since still holds its candidate for this lease (kept, never deleted: the next cleanup decides).
      return protectionRegistry(client, info.taskQueue).lease({
        ...callingRun(),
        checkpointIds: input.checkpointIds,
        endedHolders: [],
        untilMs: Date.now() + DELETION_LEASE_MS,
        attempt: info.attempt,
      });
    },

    /**
     * A serving slot deleted these deployments: their checkpoints are no longer held by them (cleanup's
     * retention decides again). Fire-and-forget; a registry that never started holds nothing to release.
     */
    async releaseDeployedCheckpoints(input: { deploymentIds: string[] }): Promise<void> {
      const { info, client } = Context.current();
      try {
        await client.workflow
          .getHandle(protectionRegistryId(info.taskQueue))
          .signal(releaseDeployedSignal, input);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },

    /**
     * The calling pipeline run no longer holds these candidates (its sweep's losing trials): cleanup's
     * retention decides on them again. Fire-and-forget; a registry that never started holds nothing.
     */
    async releaseProtection(input: { checkpointIds: string[] }): Promise<void> {
      const { info, client } = Context.current();
      try {
        await client.workflow
          .getHandle(protectionRegistryId(info.taskQueue))
          .signal(releaseCandidatesSignal, { ...callingRun(), checkpointIds: input.checkpointIds });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },

    /**
     * The calling cleanup is done deleting: its leases end now rather than when they lapse. With
     * `upToThisAttempt` (a batch that leased inside its own activity), only the leases this attempt or an
     * earlier one was granted: a later attempt of the same batch, deleting now, keeps its own.
     */
    async releaseDeletions(input: { upToThisAttempt?: boolean } = {}): Promise<void> {
      const { info, client } = Context.current();
      await protectionRegistry(client, info.taskQueue).release({
        ...callingRun(),
        ...(input.upToThisAttempt ? { upToAttempt: info.attempt } : {}),
      });
    },

    /**
     * Every checkpoint no cleanup of these jobs may delete. Throws when a source that matters cannot
     * be read (Temporal retries; the cleanup then keeps everything and says why). The endpoint list
     * is an assumed route: used when it answers, never required.
     */
    async protectedCheckpoints(input: { jobIds: string[] }): Promise<ProtectedSetAnswer> {
      const { info, client } = Context.current();
      // The three sources are independent: asked at once, one round instead of three.
      const [fromRegistry, endpoints, registryCheckpoints] = await Promise.all([
        registryRecords(client, info.taskQueue),
        endpointCheckpointsOf(reads),
        deployedRegistryCheckpoints(reads, input.jobIds),
      ]);
      const { records, runningHolders } = fromRegistry;
      return {
        checkpoints: protectedCheckpoints({
          records,
          runningHolders,
          endpointCheckpoints: endpoints.checkpoints,
          registryCheckpoints,
        }),
        sources: [fromRegistry.source, endpoints.source, 'registry models'],
      };
    },
  };
}

/**
 * The registry's records and which of their candidate holders still run; the ended ones are forgotten
 * (the registry is told, best effort: a holder it keeps only keeps a checkpoint longer).
 */
async function registryRecords(
  client: Client,
  taskQueue: string,
): Promise<{ records: ProtectionRecord[]; runningHolders: Set<string>; source: string }> {
  const registry = protectionRegistry(client, taskQueue);
  const found = await registry.records();
  const records = found ?? [];
  const { running, ended } = await candidateHolders(client, records);
  if (ended.length) await registry.forget(ended).catch(() => undefined);
  // No registry yet: no pipeline of this installation has chosen, deployed or pinned anything.
  const source = found ? `${records.length} protection records` : 'no protection records yet';
  return { records, runningHolders: running, source };
}

/** Checkpoints the provider's endpoint list says are served: an assumed route, used when it answers. */
async function endpointCheckpointsOf(
  reads: ProtectionReads,
): Promise<{ checkpoints?: { checkpointId: string; endpointId: string }[]; source: string }> {
  try {
    const endpoints = await reads.listEndpoints();
    if (isAbsent(endpoints))
      return { source: 'no endpoint list (an assumed route the provider lacks; not needed)' };
    return {
      checkpoints: endpoints.flatMap((e) =>
        e.checkpointId ? [{ checkpointId: e.checkpointId, endpointId: e.id }] : [],
      ),
      source: 'endpoint list',
    };
  } catch {
    return { source: 'endpoint list unavailable (an assumed route; not needed)' };
  }
}

/** Checkpoints of each job's deployed registry models (a documented route: its failure is the answer's). */
async function deployedRegistryCheckpoints(
  reads: ProtectionReads,
  jobIds: string[],
): Promise<{ checkpointId: string; modelId: string }[]> {
  const perJob = await Promise.all(
    jobIds.map(async (jobId) => {
      const { models } = await classified(() => reads.listModels({ trainingJobId: jobId, limit: 100 }));
      return models.flatMap((m) => {
        const deployed = m.endpointIds.length > 0 || m.status === 'deployed';
        const named = m.metadata.checkpointId;
        return deployed && named && (!m.trainingJobId || m.trainingJobId === jobId)
          ? [{ checkpointId: named, modelId: m.id }]
          : [];
      });
    }),
  );
  return perJob.flat();
}

/** Describes of candidate holders in flight at once (the frontend's, not the provider's, requests). */
const DESCRIBES_AT_ONCE = 16;

/** Long enough for a cleanup's deletions with their retries; a cleanup that died frees them by then. */
const DELETION_LEASE_MS = 2 * 3_600_000;

function callingRun(): { workflowId: string; runId: string } {
  const run = Context.current().info.workflowExecution;
  if (!run) throw new Error('protection records and leases are made inside a workflow run: they name it');
  return { workflowId: run.workflowId, runId: run.runId };
}

function asRecords(requests: ProtectionRequest[]): ProtectionRecord[] {
  const at = new Date().toISOString();
  return requests.map((r) => ({ ...r, ...callingRun(), at }));
}

/** Which candidate holders are still running, by asking Temporal about each (closed or gone: ended). */
async function candidateHolders(
  client: Client,
  records: ProtectionRecord[],
): Promise<{ running: Set<string>; ended: { workflowId: string; runId: string }[] }> {
  const running = new Set<string>();
  const holders = [...new Map(records.filter((r) => r.kind === 'candidate').map((r) => [holderKey(r), r]))];
  const ask = async ([key, r]: [string, ProtectionRecord]) => {
    try {
      const d = await client.workflow.getHandle(r.workflowId, r.runId).describe();
      if (d.status.name === 'RUNNING') running.add(key);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // gone past retention: ended
    }
  };
  // A few at once: a fleet's hundreds of holders in rounds, not one request after another.
  for (let i = 0; i < holders.length; i += DESCRIBES_AT_ONCE)
    await Promise.all(holders.slice(i, i + DESCRIBES_AT_ONCE).map(ask));
  return { running, ended: endedCandidateHolders(records, running) };
}
