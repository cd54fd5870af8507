import { Context } from '@temporalio/activity';
import {
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { servingSlots } from '../clients/serving-slots';
import {
  parseRunOwnedName,
  runMatches,
  type OwnedResource,
  type OwnerState,
  type ReconcileKind,
} from '../decisions/reconcile';
import type { Deployment, TrainingJob } from '../domain/types';
import { isAbsent, type CapabilityAbsent } from '../providers/http/capabilities';
import type { TensorMeshClient } from '../providers/tensormesh/client';
import type { TensorOneClient } from '../providers/tensorone/client';
import { classified } from './failures';
import { JOB_LIST_PAGE } from './job-pages';

/** A listing kept to the run-owned names (so the history holds only those) and how many were not. */
export interface RunOwnedListing {
  resources: OwnedResource[];
  notOurs: number;
}

function runOwned<T>(items: T[], toResource: (item: T) => OwnedResource): RunOwnedListing {
  const resources = items.map(toResource).filter((r) => parseRunOwnedName(r.name) !== undefined);
  return { resources, notOurs: items.length - resources.length };
}

const jobResource = (j: TrainingJob): OwnedResource => ({
  kind: 'training-job',
  provider: 'tensorone',
  id: j.id,
  name: j.name ?? '',
  status: j.status,
  createdAt: j.createdAt,
});

const deploymentResource =
  (kind?: ReconcileKind) =>
  (d: Deployment): OwnedResource => ({
    kind: kind ?? (d.modelId ? 'registry-deployment' : 'endpoint'),
    provider: d.provider === 'tensormesh' ? 'tensormesh' : 'tensorone',
    id: d.id,
    name: d.name ?? '',
    status: d.status,
    createdAt: d.createdAt,
    ...(d.modelId ? { modelId: d.modelId } : {}),
  });

/** The reconciler's TensorOne reads: one provider request per attempt, keeping only run-owned names. */
export function reconcileTensorOneActivities(client: TensorOneClient) {
  return {
    /** One page of the documented job list, oldest first so jobs created meanwhile land on later pages. */
    async runOwnedJobsPage(input: {
      offset: number;
    }): Promise<RunOwnedListing & { hasMore: boolean; nextOffset: number }> {
      return classified(async () => {
        const page = await client.jobs.list({
          sort: 'created_at',
          order: 'asc',
          limit: JOB_LIST_PAGE,
          offset: input.offset,
        });
        return {
          ...runOwned(page.jobs, jobResource),
          hasMore: page.hasMore && page.jobs.length > 0,
          nextOffset: input.offset + page.jobs.length,
        };
      });
    },
    /** Every endpoint and registry deployment (the assumed list route), or its absence. */
    async runOwnedEndpoints(): Promise<RunOwnedListing | CapabilityAbsent> {
      return classified(async () => {
        const listed = await client.endpoints.list();
        return isAbsent(listed) ? listed : runOwned(listed, deploymentResource());
      });
    },
    /** One page of the documented registry list: the models that have deployments. */
    async registeredModelsWithDeployments(input: {
      offset: number;
    }): Promise<{ modelIds: string[]; hasMore: boolean; nextOffset: number }> {
      return classified(async () => {
        const page = await client.models.list({ limit: 100, offset: input.offset });
        const nextOffset = input.offset + page.models.length;
        return {
          modelIds: page.models.filter((m) => m.endpointIds.length > 0).map((m) => m.id),
          hasMore:
            page.models.length > 0 &&
            (page.total === undefined ? page.models.length === 100 : nextOffset < page.total),
          nextOffset,
        };
      });
    },
    /** A registry model's deployments, from its documented "get". */
    async runOwnedModelDeployments(modelId: string): Promise<RunOwnedListing> {
      return classified(async () => {
        const model = await client.models.get(modelId);
        return runOwned(model.deployments ?? [], deploymentResource('registry-deployment'));
      });
    },
  };
}

/** The reconciler's TensorMesh read: every served model (the assumed list route), or its absence. */
export function reconcileTensorMeshActivities(client: TensorMeshClient) {
  return {
    async runOwnedServedModels(): Promise<RunOwnedListing | CapabilityAbsent> {
      return classified(async () => {
        const listed = await client.models.list();
        return isAbsent(listed) ? listed : runOwned(listed, deploymentResource('served-model'));
      });
    },
  };
}

function stateOf(info: Pick<WorkflowExecutionInfo, 'status' | 'closeTime'>): OwnerState {
  if (info.status.name === 'RUNNING') return { state: 'running' };
  return { state: 'closed', status: info.status.name, closedAt: info.closeTime?.toISOString() };
}

/** The run a resource name names: running, closed (and when), or absent from Temporal. */
export async function ownerOfRun(client: Client, workflowId: string, runPrefix: string): Promise<OwnerState> {
  let latest: WorkflowExecutionDescription;
  try {
    latest = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { state: 'absent' };
    throw err;
  }
  if (runMatches(latest.runId, runPrefix)) return stateOf(latest);
  // An earlier run of the same workflow id: visibility lists it while the namespace retains it.
  for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
    if (runMatches(run.runId, runPrefix)) return stateOf(run);
  return { state: 'absent' };
}

/** The reconciler's questions to Temporal, through the worker's own client. */
export function reconcileTemporalActivities() {
  return {
    /**
     * What Temporal says of a resource's owning run. A failure to ask (describe or visibility) fails
     * the attempt; the workflow, once the retries are spent, keeps the resource as "owner unknown".
     */
    async reconcileOwner(input: { workflowId: string; runPrefix: string }): Promise<OwnerState> {
      if (!parseRunOwnedName(`${input.workflowId}--r${input.runPrefix}--deploy`))
        throw new Error(`not a run-owned workflow id and run: ${input.workflowId} ${input.runPrefix}`);
      return ownerOfRun(Context.current().client, input.workflowId, input.runPrefix);
    },
    /**
     * The deployments the serving slot of a pipeline's name serves, drains or is retiring (a slot is
     * named after its pipeline, so it holds only that pipeline's deployments). Asked by query, not
     * visibility: a slot promoted a moment ago is seen too. A slot that cannot be asked fails the attempt.
     */
    async slotServedDeployments(input: { slotName: string }): Promise<string[]> {
      const { client, info } = Context.current();
      const slot = await servingSlots(client, info.taskQueue).read(input.slotName);
      if (!slot) return [];
      return [slot.champion, ...slot.draining, ...slot.retiring].flatMap((d) => (d ? [d.deploymentId] : []));
    },
  };
}
