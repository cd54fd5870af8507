import type { Checkpoint, CheckpointPage, Deployment, TrainingJob } from '../domain/types';
import type {
  CreateJobRequest,
  ListCheckpointsQuery,
  ListJobsQuery,
  TensorOneClient,
} from '../providers/tensorone/client';
import { isAbsent, type CapabilityAbsent } from '../providers/http/capabilities';
import { heartbeat, nameForStep, possibleDuplicate, type PossibleDuplicate } from './context';
import { classified, deleteIdempotently, type DeleteOutcome } from './failures';

export type StartTrainingJobInput = Omit<CreateJobRequest, 'name'> & {
  /** Workflow step, e.g. `train-1`: the job is named after the workflow id and this step. */
  step: string;
};

const JOB_LIST_PAGE = 100;

/** TensorOne training jobs and checkpoints: one activity per API call. */
export function tensoroneJobActivities(client: TensorOneClient) {
  /** Pages through jobs (newest first) looking for one with this exact name. */
  async function findJobByName(name: string): Promise<TrainingJob | undefined> {
    for (let offset = 0; ; offset += JOB_LIST_PAGE) {
      const page = await client.jobs.list({
        limit: JOB_LIST_PAGE,
        offset,
        sort: 'created_at',
        order: 'desc',
      });
      const found = page.jobs.find((j) => j.name === name);
      if (found) return found;
      if (!page.hasMore || page.jobs.length === 0) return undefined;
      heartbeat({ offset });
    }
  }

  return {
    /** Adopts the job an earlier attempt of this step created (by its derived name), else creates it. */
    async startTrainingJob(input: StartTrainingJobInput): Promise<TrainingJob & { adopted: boolean }> {
      const { step, ...request } = input;
      const name = nameForStep(step);
      return classified(async () => {
        const existing = await findJobByName(name);
        if (existing) return { ...(await client.jobs.get(existing.id)), adopted: true };
        const created = await client.jobs.create({ ...request, name });
        return { ...created, name, adopted: false };
      });
    },
    async getTrainingJob(jobId: string): Promise<TrainingJob> {
      return classified(() => client.jobs.get(jobId));
    },
    async listTrainingJobs(
      query: ListJobsQuery,
    ): Promise<{ jobs: TrainingJob[]; total?: number; hasMore: boolean }> {
      return classified(() => client.jobs.list(query));
    },
    async stopTrainingJob(input: { jobId: string; saveCheckpoint: boolean; reason?: string }): Promise<void> {
      return classified(() =>
        client.jobs.stop(input.jobId, { saveCheckpoint: input.saveCheckpoint, reason: input.reason }),
      );
    },
    async resumeTrainingJob(input: { jobId: string; checkpointId?: string }): Promise<void> {
      return classified(() => client.jobs.resume(input.jobId, { checkpointId: input.checkpointId }));
    },
    async listCheckpoints(input: { jobId: string } & ListCheckpointsQuery): Promise<CheckpointPage> {
      const { jobId, ...query } = input;
      return classified(() => client.checkpoints.list(jobId, query));
    },
    async getCheckpoint(checkpointId: string): Promise<Checkpoint> {
      return classified(() => client.checkpoints.get(checkpointId));
    },
    /** Adopts a manual checkpoint of the same derived name, else creates one. */
    async createManualCheckpoint(input: {
      jobId: string;
      step: string;
      description?: string;
    }): Promise<Checkpoint & { adopted: boolean }> {
      const name = nameForStep(input.step);
      return classified(async () => {
        const page = await client.checkpoints.list(input.jobId, {
          sortBy: 'createdAt',
          sortOrder: 'desc',
          limit: 100,
        });
        const existing = page.checkpoints.find((c) => c.type === 'manual' && c.name === name);
        if (existing) return { ...existing, adopted: true };
        return {
          ...(await client.checkpoints.create(input.jobId, { name, description: input.description })),
          adopted: false,
        };
      });
    },
    /** A checkpoint that is already gone counts as deleted: the retry of a delete whose answer was lost. */
    async deleteCheckpoint(checkpointId: string): Promise<DeleteOutcome> {
      return deleteIdempotently(() => client.checkpoints.delete(checkpointId));
    },
  };
}

/** TensorOne serverless endpoints made from a checkpoint. */
export function tensoroneEndpointActivities(client: TensorOneClient) {
  return {
    /**
     * Adopts the endpoint an earlier attempt of this step created, else deploys the checkpoint. Without
     * the (assumed) endpoint list there is nothing to adopt from: the create goes ahead, and a retry says
     * which name a possible duplicate has.
     */
    async deployCheckpointEndpoint(input: {
      step: string;
      checkpointId: string;
      gpuIds: string[];
      workerCount: number;
    }): Promise<Deployment & { adopted: boolean; possibleDuplicate?: PossibleDuplicate }> {
      const name = nameForStep(input.step);
      return classified(async () => {
        const listed = await client.endpoints.list({ name });
        if (!isAbsent(listed)) {
          const existing = listed.find((e) => e.name === name);
          if (existing) return { ...existing, adopted: true };
        }
        const created = await client.endpoints.create({
          name,
          checkpointId: input.checkpointId,
          gpuIds: input.gpuIds,
          workerCount: input.workerCount,
        });
        const duplicate = isAbsent(listed) ? possibleDuplicate(name, 'endpoint') : undefined;
        return { ...created, adopted: false, ...(duplicate ? { possibleDuplicate: duplicate } : {}) };
      });
    },
    /** Every endpoint, so cleanup can protect the checkpoints that serve traffic (assumed route). */
    async listEndpoints(): Promise<Deployment[] | CapabilityAbsent> {
      return classified(() => client.endpoints.list());
    },
    async getEndpoint(endpointId: string): Promise<Deployment | CapabilityAbsent> {
      return classified(() => client.endpoints.get(endpointId));
    },
    async deleteEndpoint(endpointId: string): Promise<DeleteOutcome | CapabilityAbsent> {
      return deleteIdempotently(() => client.endpoints.delete(endpointId));
    },
    /**
     * One `runsync` with a sample input; the output is trimmed so history stays small. `untilServing`:
     * the endpoint may still be starting (no status route to ask), so "not ready" answers are retried.
     */
    async smokeTestEndpoint(input: {
      endpointId: string;
      sampleInput: unknown;
      untilServing?: boolean;
    }): Promise<{ status?: string; outputPreview: string }> {
      return classified(
        async () => {
          const res = await client.endpoints.runsync(input.endpointId, input.sampleInput);
          return { status: res.status, outputPreview: JSON.stringify(res.output ?? null).slice(0, 200) };
        },
        { untilServing: input.untilServing },
      );
    },
  };
}
