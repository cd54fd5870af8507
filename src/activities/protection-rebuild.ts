import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  pipelineHolds,
  slotHolds,
  type DeletionLease,
  type ProtectionRecord,
  type RebuiltProtection,
} from '../decisions/protection';
import { protectionStateQuery } from '../workflows/protection/contract';
import { SERVING_SLOT_WORKFLOW_TYPE, slotQuery } from '../workflows/serving-slot/contract';
import { statusQuery } from '../workflows/pipeline/contract';

/** Runs started anew one after the other, each terminated before it rebuilt: beyond this, something else is wrong. */
const MAX_RUNS_BACK = 50;

/**
 * How a protection registry started anew learns what is in use: the state of the runs before it (a
 * closed run still answers queries, from its history) and what the live workflows hold — running
 * pipelines their candidate and pins, serving slots what they serve, drain or still retire. Throws when
 * any of it cannot be read (Temporal retries; the registry grants no lease meanwhile).
 */
export function protectionRebuildActivities() {
  // Beats after each workflow read: a rebuild lost with its worker is tried again within seconds.
  const beat = () => Context.current().heartbeat();
  return {
    async rebuildProtection(input: RebuildInput): Promise<RebuiltProtection> {
      const { client, info } = Context.current();
      const before = await runsBefore(client, input, beat);
      const live = await liveHolds(client, info.taskQueue, beat);
      return {
        records: [...before.records, ...live.records],
        leases: before.leases,
        sources: [...before.sources, ...live.sources],
      };
    },
    /** The first part alone: the records and leases of the runs before (a claim needs only their leases). */
    async rebuildProtectionFromRunsBefore(input: RebuildInput): Promise<RebuiltProtection> {
      return runsBefore(Context.current().client, input, beat);
    },
    /** The second part alone: what the live pipelines and serving slots hold. */
    async rebuildProtectionFromLiveWorkflows(): Promise<RebuiltProtection> {
      const { client, info } = Context.current();
      return liveHolds(client, info.taskQueue, beat);
    },
  };
}

interface RebuildInput {
  workflowId: string;
  runId: string;
  predecessorRunId?: string;
}

/** The records and leases of the run before, and of the runs before it while each was itself still rebuilding. */
async function runsBefore(client: Client, input: RebuildInput, beat: () => void): Promise<RebuiltProtection> {
  const out: RebuiltProtection = { records: [], leases: [], sources: [] };
  if (!input.predecessorRunId) {
    out.sources.push('no run before this one was named');
    return out;
  }
  const seen = new Set([input.runId]);
  for (let runId: string | undefined = input.predecessorRunId; runId && !seen.has(runId);) {
    if (seen.size > MAX_RUNS_BACK)
      throw new Error(`more than ${MAX_RUNS_BACK} runs of ${input.workflowId} ended while rebuilding`);
    seen.add(runId);
    let state;
    try {
      state = await client.workflow.getHandle(input.workflowId, runId).query(protectionStateQuery);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // Past the namespace's retention: what it held is known only from the live workflows.
      out.sources.push(`run ${runId}: its history is gone`);
      return out;
    }
    beat();
    out.records.push(...state.records);
    out.leases.push(...state.leases);
    out.sources.push(
      `${state.records.length} records and ${state.leases.length} leases of run ${runId}${state.rebuilding ? ' (ended while rebuilding)' : ''}`,
    );
    runId = state.rebuilding?.predecessorRunId;
  }
  return out;
}

/** What running pipelines and serving slots of this installation hold, found through visibility. */
async function liveHolds(
  client: Client,
  taskQueue: string,
  beat: () => void,
): Promise<{ records: ProtectionRecord[]; leases: DeletionLease[]; sources: string[] }> {
  const records: ProtectionRecord[] = [];
  const at = new Date().toISOString();
  let pipelines = 0;
  let slots = 0;
  const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running' AND WorkflowType IN ('fineTuneToDeploy', '${SERVING_SLOT_WORKFLOW_TYPE}')`;
  try {
    for await (const w of client.workflow.list({ query })) {
      beat();
      const handle = client.workflow.getHandle(w.workflowId, w.runId);
      const run = { workflowId: w.workflowId, runId: w.runId };
      if (w.type === SERVING_SLOT_WORKFLOW_TYPE) {
        const slot = await unanswered(w.workflowId, handle.query(slotQuery));
        records.push(
          ...slotHolds(
            [slot.champion, ...slot.draining, ...slot.retiring].flatMap((d) => d ?? []),
            at,
          ),
        );
        slots += 1;
      } else {
        records.push(...pipelineHolds(run, await unanswered(w.workflowId, handle.query(statusQuery)), at));
        pipelines += 1;
      }
    }
  } catch (err) {
    if (!listsNoWorkflows(err)) throw err;
    return { records, leases: [], sources: ['no live workflows listed: this server keeps no visibility'] };
  }
  return {
    records,
    leases: [],
    sources: [`${records.length} records of ${pipelines} running pipelines and ${slots} serving slots`],
  };
}

/**
 * A live workflow that cannot say what it holds (its workflow task failing, no worker): the rebuild
 * fails naming it, so the registry's pending activity says which workflow it waits on.
 */
async function unanswered<T>(workflowId: string, answer: Promise<T>): Promise<T> {
  try {
    return await answer;
  } catch (err) {
    const why = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new Error(`${workflowId} cannot say what it holds (${why}): asked again`);
  }
}

/** gRPC's UNIMPLEMENTED. */
const UNIMPLEMENTED = 12;

/** The server has no visibility store at all (a test server): a definite answer, unlike a failed list. */
function listsNoWorkflows(err: unknown): boolean {
  return (err as { cause?: { code?: number } })?.cause?.code === UNIMPLEMENTED;
}
