import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  endedCandidateHolders,
  holderKey,
  protectedCheckpoints,
  type ProtectedCheckpoint,
  type ProtectionRecord,
  type ProtectionRequest,
} from '../decisions/protection';
import type { TensorOneClient } from '../providers/tensorone/client';
import {
  forgetCandidatesSignal,
  PROTECTION_WORKFLOW_TYPE,
  protectionRecordsQuery,
  protectionRegistryId,
  protectSignal,
} from '../workflows/definitions';
import { classified } from './failures';

export interface ProtectedSetAnswer {
  checkpoints: ProtectedCheckpoint[];
  /** Where the answer came from, for the cleanup's audit trail. */
  sources: string[];
}

/**
 * The shared protected set. Records live in the `checkpointProtection` workflow (one per task queue),
 * reached through the worker's own Temporal client; providers add what their documents say is serving.
 */
export function protectionActivities(tensorone: TensorOneClient) {
  return {
    /** Records checkpoints the calling pipeline run holds (candidate, deployed, pinned); idempotent. */
    async recordProtection(requests: ProtectionRequest[]): Promise<void> {
      const { info, client } = Context.current();
      const run = info.workflowExecution;
      if (!run) throw new Error('recordProtection runs inside a pipeline: its records name the pipeline run');
      const at = new Date().toISOString();
      const records: ProtectionRecord[] = requests.map((r) => ({
        ...r,
        workflowId: run.workflowId,
        runId: run.runId,
        at,
      }));
      await client.workflow.signalWithStart(PROTECTION_WORKFLOW_TYPE, {
        workflowId: protectionRegistryId(info.taskQueue),
        taskQueue: info.taskQueue,
        args: [{}],
        signal: protectSignal,
        signalArgs: [records],
      });
    },

    /**
     * Every checkpoint no cleanup of these jobs may delete. Throws when a source that matters cannot
     * be read (Temporal retries; the cleanup then keeps everything and says why). The endpoint list
     * is an assumed route: used when it answers, never required.
     */
    async protectedCheckpoints(input: { jobIds: string[] }): Promise<ProtectedSetAnswer> {
      const { info, client } = Context.current();
      const registry = client.workflow.getHandle(protectionRegistryId(info.taskQueue));
      const sources: string[] = [];
      let records: ProtectionRecord[] = [];
      try {
        records = await registry.query(protectionRecordsQuery);
        sources.push(`${records.length} protection records`);
      } catch (err) {
        // No registry yet: no pipeline of this installation has chosen, deployed or pinned anything.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        sources.push('no protection records yet');
      }

      const runningHolders = new Set<string>();
      const holders = new Map(records.filter((r) => r.kind === 'candidate').map((r) => [holderKey(r), r]));
      for (const [key, r] of holders) {
        try {
          const d = await client.workflow.getHandle(r.workflowId, r.runId).describe();
          if (d.status.name === 'RUNNING') runningHolders.add(key);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err; // gone past retention: ended
        }
      }
      const ended = endedCandidateHolders(records, runningHolders);
      if (ended.length) await registry.signal(forgetCandidatesSignal, ended).catch(() => undefined);

      let endpointCheckpoints: { checkpointId: string; endpointId: string }[] | undefined;
      try {
        endpointCheckpoints = (await tensorone.endpoints.list()).flatMap((e) =>
          e.checkpointId ? [{ checkpointId: e.checkpointId, endpointId: e.id }] : [],
        );
        sources.push('endpoint list');
      } catch {
        sources.push('endpoint list unavailable (an assumed route; not needed)');
      }

      const registryCheckpoints: { checkpointId: string; modelId: string }[] = [];
      for (const jobId of input.jobIds) {
        const { models } = await classified(() =>
          tensorone.models.list({ trainingJobId: jobId, limit: 100 }),
        );
        for (const m of models) {
          const deployed = m.endpointIds.length > 0 || m.status === 'deployed';
          const named = m.metadata.checkpointId;
          if (deployed && named && (!m.trainingJobId || m.trainingJobId === jobId))
            registryCheckpoints.push({ checkpointId: named, modelId: m.id });
        }
      }
      sources.push('registry models');

      return {
        checkpoints: protectedCheckpoints({
          records,
          runningHolders,
          endpointCheckpoints,
          registryCheckpoints,
        }),
        sources,
      };
    },
  };
}
