import type { Checkpoint, CheckpointPage, Deployment, TrainingJob } from '../../domain/types';
import type { CreateJobRequest, ListCheckpointsQuery, ListJobsQuery, TensorOneClient } from './client';
import { adoptionMismatches, duplicatesOf } from '../../decisions/adoption';
import { smokeTestPassed } from '../../decisions/deploy';
import { probeFigures, type ProbeFigures, type ProbeSample } from '../../decisions/probe';
import { isAbsent, type CapabilityAbsent } from '../http/capabilities';
import {
  attempt,
  beatingWhile,
  createInDoubt,
  heartbeat,
  mayFindEarlierCreate,
  nameForStep,
  possibleDuplicate,
  type CreateOutcome,
  type PossibleDuplicate,
} from '../../activities/context';
import {
  adoptionRefused,
  classified,
  countsAgainstEndpoint,
  deleteIdempotently,
  type DeleteOutcome,
} from '../../activities/failures';
import { ProviderError } from '../http/provider-error';
import { forEachJobPage } from '../../activities/job-pages';
import {
  deleteBatchResumably,
  type BatchDeletionOutcome,
  type DeleteBatchInput,
} from '../../activities/batch-deletions';

type StartTrainingJobInput = Omit<CreateJobRequest, 'name'> & {
  /** Workflow step, e.g. `train-a100`: the job is named after the run (`nameBasis`) and this step. */
  step: string;
  /** The workflow's run-based name basis; absent for workflows started before runs named their resources. */
  nameBasis?: string;
};

/** Statuses a job still bills in: a refusal that names one is no "not running". */
const BILLING = new Set(['queued', 'pending', 'running']);

/**
 * The stop was refused because the job is not running: a 409, as the stop's refusal of an ended job,
 * with the status it names (else `not running`). Undefined for any other failure, and for a 409 that
 * names a status the job still bills in (a refusal for another reason): those are thrown, not believed.
 */
function endedJobRefusal(err: unknown): string | undefined {
  if (!(err instanceof ProviderError) || err.status !== 409) return undefined;
  const named = err.details.status;
  if (typeof named !== 'string') return 'not running';
  return BILLING.has(named) ? undefined : named;
}

/** Statuses a resumed job moves through: found on a retry, the earlier attempt's resume took effect. */
const RESUMED = new Set(['queued', 'pending', 'running', 'completed']);

/** TensorOne training jobs and checkpoints: one activity per API call. */
export function tensoroneJobActivities(client: TensorOneClient) {
  /** Every job with this exact name, paging through the documented job list (newest first). */
  async function jobsNamed(name: string, stopAtFirst: boolean): Promise<TrainingJob[]> {
    const found: TrainingJob[] = [];
    await forEachJobPage(client.jobs.list, { sort: 'created_at', order: 'desc' }, (jobs, offset) => {
      found.push(...jobs.filter((j) => j.name === name));
      if (stopAtFirst && found.length) return true;
      heartbeat({ offset });
    });
    return found;
  }

  /**
   * Stops the job unless it already ended: one request, the stop itself. No read first: one answer
   * that the job ended is not believed (a stale cache, a glitch), and the provider's refusal of the
   * stop (409) is what says nothing is left to stop. `stopped` when it was taken (a job already stopped is
   * stopped either way), else the status the refusal names.
   */
  async function stopIfRunning(
    jobId: string,
    saveCheckpoint: boolean,
    reason: string,
  ): Promise<{ stopped: boolean; status: string }> {
    try {
      await client.jobs.stop(jobId, { saveCheckpoint, reason });
      return { stopped: true, status: 'stopped' };
    } catch (err) {
      const ended = endedJobRefusal(err);
      if (ended) return { stopped: false, status: ended };
      throw err;
    }
  }

  return {
    /**
     * Adopts the job an earlier attempt of this step created (by its run-derived name) when it was made
     * from what is asked now, else creates it. A same-named job made from something else is refused.
     * The first attempt of a run-named step has nothing to find and creates straight away.
     */
    async startTrainingJob(input: StartTrainingJobInput): Promise<TrainingJob & CreateOutcome> {
      const { step, nameBasis, ...request } = input;
      const name = nameForStep(step, nameBasis);
      const inDoubt = createInDoubt();
      return classified(async () => {
        const [existing] = mayFindEarlierCreate(nameBasis) ? await jobsNamed(name, true) : [];
        if (existing) {
          const { job, traits } = await client.jobs.describe(existing.id);
          const asked = {
            modelType: request.modelType,
            datasetId: request.datasetId,
            config: request.config,
            gpuType: request.gpuType,
          };
          const mismatches = adoptionMismatches(asked, traits);
          if (mismatches.length) throw adoptionRefused('training job', job.id, name, mismatches);
          return { ...job, adopted: true, inDoubt, name };
        }
        const created = await client.jobs.create({ ...request, name });
        return { ...created, name, adopted: false, inDoubt };
      });
    },
    /**
     * After a create in doubt: every other job carrying the run's name was made by a create the
     * provider acted on late. Each is stopped (no checkpoint: nothing of it is wanted) and reported.
     */
    async stopDuplicateTrainingJobs(input: {
      name: string;
      keepJobId: string;
    }): Promise<{ duplicates: string[]; stopped: string[] }> {
      return classified(async () => {
        const found = await jobsNamed(input.name, false);
        const duplicates = duplicatesOf(input.keepJobId, found, input.name);
        const stopped: string[] = [];
        for (const id of duplicates) {
          const reason = `duplicate of ${input.keepJobId} (a create acted on after its answer was lost)`;
          if ((await stopIfRunning(id, false, reason)).stopped) stopped.push(id);
        }
        return { duplicates, stopped };
      });
    },
    /** Stops the job (saving a checkpoint) unless it already ended. */
    async stopTrainingJobIfRunning(input: {
      jobId: string;
      reason: string;
    }): Promise<{ stopped: boolean; status: string }> {
      return classified(() => stopIfRunning(input.jobId, true, input.reason));
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
    /**
     * Resumes a stopped or failed job. A retried resume refused with 409 may be refused because the
     * earlier attempt did resume it (its answer lost): a job found running or completed since is that
     * resume, done. A first attempt's 409 stays a failure: nothing of this step touched the job.
     */
    async resumeTrainingJob(input: { jobId: string; checkpointId?: string }): Promise<void> {
      return classified(async () => {
        try {
          await client.jobs.resume(input.jobId, { checkpointId: input.checkpointId });
        } catch (err) {
          if (!(err instanceof ProviderError && err.status === 409 && createInDoubt())) throw err;
          const { status } = await client.jobs.get(input.jobId);
          if (!RESUMED.has(status)) throw err;
        }
      });
    },
    async listCheckpoints(input: { jobId: string } & ListCheckpointsQuery): Promise<CheckpointPage> {
      const { jobId, ...query } = input;
      return classified(() => client.checkpoints.list(jobId, query));
    },
    async getCheckpoint(checkpointId: string): Promise<Checkpoint> {
      return classified(() => client.checkpoints.get(checkpointId));
    },
    /** A checkpoint that is already gone counts as deleted: the retry of a delete whose answer was lost. */
    async deleteCheckpoint(checkpointId: string): Promise<DeleteOutcome> {
      return deleteIdempotently(() => client.checkpoints.delete(checkpointId));
    },
    /**
     * A cleanup's batch of granted deletions in one heartbeating activity (bounded concurrency inside); a
     * retried attempt resumes from its heartbeat (see deleteBatchResumably). Every id gets its outcome.
     */
    async deleteCheckpoints(input: DeleteBatchInput): Promise<{ outcomes: BatchDeletionOutcome[] }> {
      return deleteBatchResumably(input, (id) => deleteIdempotently(() => client.checkpoints.delete(id)));
    },
  };
}

/** TensorOne serverless endpoints made from a checkpoint. */
export function tensoroneEndpointActivities(client: TensorOneClient) {
  return {
    /**
     * Adopts the endpoint an earlier attempt of this step created when it serves the asked checkpoint,
     * else deploys the checkpoint. Without the (assumed) endpoint list there is nothing to adopt from: the
     * create goes ahead, and a retry says which name a possible duplicate has.
     */
    async deployCheckpointEndpoint(input: {
      step: string;
      nameBasis?: string;
      checkpointId: string;
      gpuIds: string[];
      workerCount: number;
    }): Promise<Deployment & CreateOutcome & { possibleDuplicate?: PossibleDuplicate }> {
      const name = nameForStep(input.step, input.nameBasis);
      const inDoubt = createInDoubt();
      return classified(async () => {
        const listed = mayFindEarlierCreate(input.nameBasis) ? await client.endpoints.list({ name }) : [];
        if (!isAbsent(listed)) {
          const existing = listed.find((e) => e.name === name);
          if (existing) {
            const mismatches = adoptionMismatches(
              { checkpointId: input.checkpointId },
              { checkpointId: existing.checkpointId },
            );
            if (mismatches.length) throw adoptionRefused('endpoint', existing.id, name, mismatches);
            return { ...existing, adopted: true, inDoubt, name };
          }
        }
        const created = await client.endpoints.create({
          name,
          checkpointId: input.checkpointId,
          gpuIds: input.gpuIds,
          workerCount: input.workerCount,
        });
        const duplicate = isAbsent(listed) ? possibleDuplicate(name, 'endpoint') : undefined;
        return {
          ...created,
          adopted: false,
          inDoubt,
          name,
          ...(duplicate ? { possibleDuplicate: duplicate } : {}),
        };
      });
    },
    /** Every endpoint, so cleanup can protect the checkpoints that serve traffic (assumed route). */
    async listEndpoints(): Promise<Deployment[] | CapabilityAbsent> {
      return classified(() => client.endpoints.list());
    },
    async getEndpoint(endpointId: string): Promise<Deployment | CapabilityAbsent> {
      return classified(() => client.endpoints.get(endpointId));
    },
    /**
     * A 404 this process cannot read (the route has not answered 2xx here yet: a worker restarted after
     * its DELETE's answer was lost) is settled by the endpoint list where it answers: an endpoint it does
     * not list is gone. Without that evidence the answer stays "cannot tell" (remove by hand).
     */
    async deleteEndpoint(endpointId: string): Promise<DeleteOutcome | CapabilityAbsent> {
      const outcome = await deleteIdempotently(() => client.endpoints.delete(endpointId));
      if (!isAbsent(outcome) || !outcome.unsure) return outcome;
      const listed = await classified(() => client.endpoints.list());
      if (isAbsent(listed) || listed.some((e) => e.id === endpointId)) return outcome;
      return attempt() > 1
        ? { deleted: true, alreadyGone: false, answerLost: true }
        : { deleted: true, alreadyGone: true };
    },
    /**
     * One `runsync` with a sample input; the output is trimmed so history stays small. `untilServing`:
     * the endpoint may still be starting (no status route to ask), so "not ready" answers are retried.
     * Beats while the request waits, so an attempt lost with its worker is retried within seconds.
     */
    async smokeTestEndpoint(input: {
      endpointId: string;
      sampleInput: unknown;
      untilServing?: boolean;
    }): Promise<{ status?: string; outputPreview: string }> {
      return beatingWhile(() =>
        classified(
          async () => {
            const res = await client.endpoints.runsync(input.endpointId, input.sampleInput);
            return { status: res.status, outputPreview: JSON.stringify(res.output ?? null).slice(0, 200) };
          },
          { untilServing: input.untilServing },
        ),
      );
    },
    /**
     * The probe before a promotion: each sample input through runsync to every endpoint given (the
     * challenger, then the champion; the order alternates per input so neither always goes first), one
     * request at a time, timed here. Answers that speak about an endpoint are counted against it; a
     * refused request or a 429 ends the attempt (see countsAgainstEndpoint). A retry probes anew.
     */
    async probeEndpoints(input: { endpointIds: string[]; inputs: unknown[] }): Promise<ProbeFigures[]> {
      const samples: ProbeSample[][] = input.endpointIds.map(() => []);
      for (const [i, sampleInput] of input.inputs.entries()) {
        for (let k = 0; k < input.endpointIds.length; k++) {
          const which = (i + k) % input.endpointIds.length;
          samples[which].push(await timedInference(input.endpointIds[which], sampleInput));
          heartbeat();
        }
      }
      return samples.map(probeFigures);
    },
  };

  function timedInference(endpointId: string, sampleInput: unknown): Promise<ProbeSample> {
    return classified(async () => {
      const started = performance.now();
      try {
        const res = await client.endpoints.runsync(endpointId, sampleInput);
        return { ok: smokeTestPassed(res.status), latencyMs: performance.now() - started };
      } catch (err) {
        if (err instanceof ProviderError && countsAgainstEndpoint(err))
          return { ok: false, latencyMs: performance.now() - started };
        throw err;
      }
    });
  }
}
