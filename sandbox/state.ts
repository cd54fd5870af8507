import { randomBytes } from 'node:crypto';
import { epochMetrics, type EpochMetrics } from './curves';
import type { Adversary } from './adversary';
import { NO_FAULTS, type FaultConfig } from './faults';
import { hashString, seededRandom } from './rng';

export interface SandboxOptions {
  /** Real milliseconds per simulated training epoch (one epoch = one GPU-hour for cost). */
  epochMs: number;
  /** Time a job waits in `pending` before it runs. */
  queueMs: number;
  /** Time a deployment takes to become active. */
  deployMs: number;
  seed: number;
}

export const DEFAULT_SANDBOX_OPTIONS: SandboxOptions = {
  epochMs: 1000,
  queueMs: 500,
  deployMs: 1000,
  seed: 42,
};

const HOURLY_RATE: Record<string, number> = {
  a100: 4.25,
  h100: 8.5,
  v100: 2.5,
  rtx4090: 0.8,
  'rtx-4090': 0.8,
};
export const SANDBOX_GPU_TYPES = ['a100', 'h100', 'v100', 'rtx4090'];

export type SimJobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'stopped';

export interface SimCheckpoint {
  id: string;
  jobId: string;
  name: string;
  epoch: number;
  step: number;
  type: 'automatic' | 'best' | 'manual' | 'final';
  metrics: EpochMetrics;
  sizeBytes: number;
  createdAtMs: number;
}

export interface SimJob {
  id: string;
  name: string;
  modelType: string;
  datasetId: string;
  config: Record<string, unknown>;
  gpuType: string;
  workers: number;
  tags: string[];
  createdAtMs: number;
  totalEpochs: number;
  stepsPerEpoch: number;
  status: SimJobStatus;
  /** Start of the current running segment and the epochs done before it. */
  runStartMs: number;
  baseEpoch: number;
  completedEpochs: number;
  gpuHoursBefore: number;
  endedAtMs?: number;
  failureReason?: string;
  faultFired: { fail: boolean; stall: boolean; spuriousStatus?: boolean };
  /** Answers given while stalled: with `stallWobbleSteps`, every other one shows fewer steps. */
  stalledAnswers?: number;
  stalledAtEpoch?: number;
  /** When the stall fault froze this segment's step counter (sandbox clock): the epoch's end. */
  stalledAtMs?: number;
  /** Earlier segments' spans of true progress (before each resume): see `advancing`. */
  advancedBefore?: { from: number; until: number }[];
  checkpointSizeBytes: number;
  manualCount: number;
}

export interface SimEndpoint {
  id: string;
  name: string;
  kind: 'endpoint' | 'registry';
  checkpointId?: string;
  modelId?: string;
  environment?: string;
  workers: number;
  createdAtMs: number;
  readyAtMs: number;
  fails: boolean;
}

export interface SimMeshModel {
  modelId: string;
  deploymentId: string;
  userId: string;
  modelName: string;
  modelPath: string;
  description?: string;
  gpuType: string;
  gpuCount: number;
  infra: Record<string, unknown>;
  apiKey: string;
  createdAtMs: number;
  readyAtMs: number;
  fails: boolean;
}

export interface SimRegistryModel {
  id: string;
  name: string;
  description?: string;
  trainingJobId: string;
  type: string;
  status: 'ready' | 'deployed' | 'archived';
  version: string;
  versions: { version: string; trainingJobId: string; description?: string }[];
  tags: string[];
  metadata: Record<string, unknown>;
  metrics: EpochMetrics & { bestLoss: number };
  sizeBytes: number;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface SimMarqtuneModel {
  modelId: string;
  modelName: string;
  baseModel: string;
  createdAtMs: number;
  epochs: number;
  failAtEpoch?: number;
}

export type CreationKind =
  'jobs' | 'endpoints' | 'deployments' | 'meshModels' | 'versions' | 'manualCheckpoints';

/**
 * Checkpoints by id, indexed by job as well: a job's checkpoints are read on every job look, and a
 * scan of all of them (hundreds of thousands at scale) made the sandbox, not the worker, the bottleneck.
 */
class CheckpointStore extends Map<string, SimCheckpoint> {
  private readonly byJob = new Map<string, Map<string, SimCheckpoint>>();

  override set(id: string, ckpt: SimCheckpoint): this {
    super.set(id, ckpt);
    // Map's constructor calls set() before this class's fields exist.
    if (this.byJob) {
      let ofJob = this.byJob.get(ckpt.jobId);
      if (!ofJob) this.byJob.set(ckpt.jobId, (ofJob = new Map()));
      ofJob.set(id, ckpt);
    }
    return this;
  }

  /** Every checkpoint deleted so far: tests judge a choice against all a job reported, not what cleanup left. */
  readonly deleted = new Map<string, SimCheckpoint>();
  /** When each deletion happened (wall clock): "deleted while in use" is judged on these. */
  readonly deletedAt = new Map<string, number>();

  override delete(id: string): boolean {
    const ckpt = this.get(id);
    if (ckpt) {
      this.byJob.get(ckpt.jobId)?.delete(id);
      this.deleted.set(id, ckpt);
      this.deletedAt.set(id, Date.now());
    }
    return super.delete(id);
  }

  override clear(): void {
    this.byJob.clear();
    this.deleted?.clear();
    this.deletedAt?.clear();
    super.clear();
  }

  /** A job's checkpoints, the deleted ones included. */
  everOfJob(jobId: string): SimCheckpoint[] {
    return [...this.ofJob(jobId), ...[...this.deleted.values()].filter((c) => c.jobId === jobId)];
  }

  ofJob(jobId: string): SimCheckpoint[] {
    return [...(this.byJob.get(jobId)?.values() ?? [])];
  }
}

/** Deployments by id, with when each deletion happened (wall clock): until then it served. */
class DeletionsTimed<T> extends Map<string, T> {
  readonly deletedAt = new Map<string, number>();

  override delete(id: string): boolean {
    if (this.has(id)) this.deletedAt.set(id, Date.now());
    return super.delete(id);
  }

  override clear(): void {
    this.deletedAt?.clear();
    super.clear();
  }
}

/** All sandbox state, and the training simulation that advances it from the clock. */
export class SandboxState {
  readonly jobs = new Map<string, SimJob>();
  readonly checkpoints = new CheckpointStore();
  readonly endpoints = new DeletionsTimed<SimEndpoint>();
  readonly meshModels = new DeletionsTimed<SimMeshModel>();
  readonly registry = new Map<string, SimRegistryModel>();
  readonly marqtune = new Map<string, SimMarqtuneModel>();
  readonly creations: Record<CreationKind, Record<string, number>> = {
    jobs: {},
    endpoints: {},
    deployments: {},
    meshModels: {},
    versions: {},
    manualCheckpoints: {},
  };
  readonly faultsInjected: Record<string, number> = {};
  retryAfterViolations = 0;
  requests = 0;
  /** The latest provider requests (method, path without query, status, time): enough to check retry timing. */
  readonly requestLog: {
    at: number;
    method: string;
    path: string;
    status: number | 'reset';
    /** The caller's `x-request-origin` (`workflowId/activityId` for the product's activities). */
    origin?: string;
  }[] = [];
  faults: FaultConfig = NO_FAULTS;
  /** The seeded liar, when the sandbox runs with an adversary seed. */
  adversary?: Adversary;
  private clockOffsetMs = 0;
  private externalNowMs?: number;
  private readonly random: () => number;

  constructor(
    readonly options: SandboxOptions,
    /** Another clock to follow, e.g. a time-skipping Temporal server's, so training keeps its pace in virtual time. */
    private readonly timeSource?: () => Promise<number> | number,
  ) {
    this.random = seededRandom(options.seed);
  }

  /** Reads the followed clock once per request, so every handler sees one consistent "now". */
  async syncClock(): Promise<void> {
    if (this.timeSource) this.externalNowMs = await this.timeSource();
  }

  now(): number {
    return (this.externalNowMs ?? Date.now()) + this.clockOffsetMs;
  }

  /** Moves the sandbox clock forward: days of training pass in one call. */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  chance(rate: number): boolean {
    return rate > 0 && this.random() < rate;
  }

  newId(prefix: string): string {
    return `${prefix}_${randomBytes(8).toString('hex')}`;
  }

  countCreation(kind: CreationKind, name: string): void {
    this.creations[kind][name] = (this.creations[kind][name] ?? 0) + 1;
  }

  /** Requests for routes the documents do not list, answered as unknown (documented profile), per route. */
  readonly undocumentedRequests: Record<string, number> = {};

  countUndocumented(route: string): void {
    this.undocumentedRequests[route] = (this.undocumentedRequests[route] ?? 0) + 1;
  }

  logRequest(method: string, path: string, status: number | 'reset', origin?: string): void {
    this.requestLog.push({ at: Date.now(), method, path, status, ...(origin ? { origin } : {}) });
    if (this.requestLog.length > 5000) this.requestLog.splice(0, this.requestLog.length - 5000);
  }

  countFault(kind: string): void {
    this.faultsInjected[kind] = (this.faultsInjected[kind] ?? 0) + 1;
  }

  duplicates(): Record<CreationKind, string[]> {
    const out = {} as Record<CreationKind, string[]>;
    for (const [kind, names] of Object.entries(this.creations) as [CreationKind, Record<string, number>][]) {
      out[kind] = Object.entries(names)
        .filter(([, n]) => n > 1)
        .map(([name]) => name);
    }
    return out;
  }

  // ---- training simulation -------------------------------------------------------------------

  /** A new job in `pending`; everything but name and length has a plain default. */
  createJob(
    spec: Pick<SimJob, 'name' | 'totalEpochs'> &
      Partial<Pick<SimJob, 'modelType' | 'datasetId' | 'config' | 'gpuType' | 'workers' | 'tags'>>,
  ): SimJob {
    const input = {
      modelType: 'llm',
      datasetId: 'ds_sandbox',
      config: {},
      gpuType: 'a100',
      workers: 1,
      tags: [],
      ...spec,
    };
    const now = this.now();
    const shape = seededRandom(hashString(`${this.options.seed}:${input.name}:size`));
    const job: SimJob = {
      ...input,
      id: this.newId('job'),
      createdAtMs: now,
      stepsPerEpoch: 500,
      status: 'pending',
      runStartMs: now + this.options.queueMs,
      baseEpoch: 0,
      completedEpochs: 0,
      gpuHoursBefore: 0,
      faultFired: { fail: false, stall: false },
      checkpointSizeBytes: Math.round((1.5 + shape() * 1.5) * 1024 ** 3),
      manualCount: 0,
    };
    this.jobs.set(job.id, job);
    this.countCreation('jobs', job.name);
    return job;
  }

  /** Brings a job up to the clock: status changes, one checkpoint per finished epoch, best, final. */
  advance(job: SimJob): SimJob {
    const now = this.now();
    if (job.status === 'pending' && now >= job.runStartMs) job.status = 'running';
    if (job.status !== 'running') return job;
    const f = this.faults;
    let target = Math.min(
      job.totalEpochs,
      job.baseEpoch + Math.floor((now - job.runStartMs) / this.options.epochMs),
    );
    const failAt =
      f.failAtEpoch && !job.faultFired.fail && job.name.includes(f.failJobNameContains)
        ? f.failAtEpoch
        : undefined;
    const stallAt =
      f.stallAtEpoch && !job.faultFired.stall && job.name.includes(f.stallJobNameContains)
        ? f.stallAtEpoch
        : undefined;
    if (stallAt !== undefined && target >= stallAt) {
      target = stallAt;
      if (job.stalledAtEpoch === undefined) {
        this.countFault('stall');
        job.stalledAtMs = Math.max(
          job.runStartMs,
          job.runStartMs + (stallAt - job.baseEpoch) * this.options.epochMs,
        );
      }
      job.stalledAtEpoch = stallAt;
    }
    if (failAt !== undefined && target >= failAt) {
      for (let e = job.completedEpochs + 1; e < failAt; e++) this.finishEpoch(job, e);
      job.faultFired.fail = true;
      this.endSegment(job, 'failed', job.runStartMs + (failAt - job.baseEpoch) * this.options.epochMs);
      job.failureReason = `Worker lost during epoch ${failAt}: CUDA error: an illegal memory access was encountered`;
      this.countFault('jobFailure');
      return job;
    }
    for (let e = job.completedEpochs + 1; e <= target; e++) this.finishEpoch(job, e);
    if (job.completedEpochs >= job.totalEpochs) {
      this.endSegment(
        job,
        'completed',
        job.runStartMs + (job.totalEpochs - job.baseEpoch) * this.options.epochMs,
      );
      this.addFinal(job);
      this.registerModel(job);
    }
    return job;
  }

  /** The job's metrics at an epoch: its curve follows its name, dataset and hyperparameters. */
  private metricsAt(job: SimJob, epoch: number): EpochMetrics {
    return epochMetrics(this.options.seed, job.name, epoch, job.totalEpochs, {
      datasetId: job.datasetId,
      config: job.config,
    });
  }

  private finishEpoch(job: SimJob, epoch: number): void {
    const at = job.runStartMs + (epoch - job.baseEpoch) * this.options.epochMs;
    const metrics = this.metricsAt(job, epoch);
    const ckpt: SimCheckpoint = {
      id: `ckpt_${job.id.slice(4)}_e${epoch}`,
      jobId: job.id,
      name: `Epoch ${epoch} Checkpoint`,
      epoch,
      step: epoch * job.stepsPerEpoch,
      type: 'automatic',
      metrics,
      sizeBytes: job.checkpointSizeBytes,
      createdAtMs: at,
    };
    this.checkpoints.set(ckpt.id, ckpt);
    job.completedEpochs = epoch;
    // One `best` checkpoint per job, overwritten when validation loss improves (as documented).
    const bestId = `ckpt_${job.id.slice(4)}_best`;
    const best = this.checkpoints.get(bestId);
    if (!best || metrics.validationLoss < best.metrics.validationLoss) {
      this.checkpoints.set(bestId, {
        ...ckpt,
        id: bestId,
        type: 'best',
        name: `Best Validation - Epoch ${epoch}`,
      });
    }
  }

  private endSegment(job: SimJob, status: SimJobStatus, atMs: number): void {
    const end = Math.min(this.now(), atMs);
    job.gpuHoursBefore += (Math.max(0, end - job.runStartMs) / this.options.epochMs) * job.workers;
    job.status = status;
    job.endedAtMs = end;
  }

  private addFinal(job: SimJob): SimCheckpoint {
    const epoch = job.completedEpochs;
    const metrics = this.metricsAt(job, epoch);
    const ckpt: SimCheckpoint = {
      id: `ckpt_${job.id.slice(4)}_final_e${epoch}`,
      jobId: job.id,
      name: `Final Checkpoint - Epoch ${epoch}`,
      epoch,
      step: epoch * job.stepsPerEpoch,
      type: 'final',
      metrics,
      sizeBytes: job.checkpointSizeBytes,
      createdAtMs: this.now(),
    };
    this.checkpoints.set(ckpt.id, ckpt);
    return ckpt;
  }

  stopJob(job: SimJob, saveCheckpoint: boolean): void {
    this.advance(job);
    if (job.status === 'pending' || job.status === 'running') {
      this.endSegment(job, 'stopped', this.now());
      if (saveCheckpoint) this.addFinal(job);
    }
  }

  resumeJob(job: SimJob, fromEpoch: number): void {
    const ended = this.segmentAdvance(job);
    if (ended?.until !== undefined)
      job.advancedBefore = [...(job.advancedBefore ?? []), { from: ended.from, until: ended.until }];
    job.status = 'pending';
    job.baseEpoch = fromEpoch;
    job.completedEpochs = fromEpoch;
    job.runStartMs = this.now() + this.options.queueMs;
    job.endedAtMs = undefined;
    job.failureReason = undefined;
    // An injected stall happens once per job: a resumed job runs on.
    if (job.stalledAtEpoch !== undefined) job.faultFired.stall = true;
    job.stalledAtEpoch = undefined;
    job.stalledAtMs = undefined;
  }

  /**
   * When the job's step counter truly advanced (sandbox clock): each segment from when it runs until a
   * stall fault froze it, it ended (completed, failed) or it was stopped; `until` absent while it still
   * advances. What an answer shows (lies, wobbles) plays no part: this is what a stall is judged against.
   */
  advancing(job: SimJob): { from: number; until?: number }[] {
    const current = this.segmentAdvance(job);
    return [...(job.advancedBefore ?? []), ...(current ? [current] : [])];
  }

  /** The current segment's span of true progress, if it ran (a job stopped while queued did not). */
  private segmentAdvance(job: SimJob): { from: number; until?: number } | undefined {
    const from = job.runStartMs;
    const until = Math.min(job.stalledAtMs ?? Infinity, job.endedAtMs ?? Infinity);
    if (job.status === 'pending' || until <= from) return undefined;
    return Number.isFinite(until) ? { from, until } : { from };
  }

  addManualCheckpoint(job: SimJob, name: string): SimCheckpoint {
    this.advance(job);
    job.manualCount += 1;
    const epoch = job.completedEpochs;
    const ckpt: SimCheckpoint = {
      id: `ckpt_${job.id.slice(4)}_m${job.manualCount}`,
      jobId: job.id,
      name,
      epoch,
      step: this.currentStep(job),
      type: 'manual',
      metrics: this.metricsAt(job, Math.max(epoch, 0)),
      sizeBytes: job.checkpointSizeBytes,
      createdAtMs: this.now(),
    };
    this.checkpoints.set(ckpt.id, ckpt);
    this.countCreation('manualCheckpoints', `${job.id}:${name}`);
    return ckpt;
  }

  currentStep(job: SimJob): number {
    if (job.status !== 'running') return job.completedEpochs * job.stepsPerEpoch;
    if (job.stalledAtEpoch !== undefined) return job.stalledAtEpoch * job.stepsPerEpoch;
    const fraction = (this.now() - job.runStartMs) / this.options.epochMs;
    return Math.min(
      job.totalEpochs * job.stepsPerEpoch,
      Math.floor((job.baseEpoch + fraction) * job.stepsPerEpoch),
    );
  }

  /**
   * The step an answer shows: `currentStep`, but a stalled job's wobbles with `stallWobbleSteps`, and
   * the adversary's lies about it (reset, wobble, freeze).
   */
  answeredStep(job: SimJob, route = 'GET /tensorone/v2/training/jobs/:jobId'): number {
    const step = this.currentStep(job);
    if (this.adversary) return this.adversary.stepOf(job, step, route);
    const wobble = this.faults.stallWobbleSteps;
    if (wobble <= 0 || job.status !== 'running' || job.stalledAtEpoch === undefined) return step;
    job.stalledAnswers = (job.stalledAnswers ?? 0) + 1;
    if (job.stalledAnswers % 2 === 1) return step;
    this.countFault('stepWobble');
    return Math.max(0, step - wobble);
  }

  /**
   * The status to answer instead of the job's own, once per job (`spuriousStatus`), or undefined. Lies
   * told for several looks (the `statusLie` fault, the adversary's flips) are sandbox/status-lie.ts.
   */
  spuriousStatus(job: SimJob): string | undefined {
    const f = this.faults;
    if (
      !f.spuriousStatus ||
      job.faultFired.spuriousStatus ||
      job.status !== 'running' ||
      job.completedEpochs + 1 < f.spuriousStatusAtEpoch ||
      !job.name.includes(f.spuriousStatusJobNameContains)
    )
      return undefined;
    job.faultFired.spuriousStatus = true;
    this.countFault('spuriousStatus');
    return f.spuriousStatus;
  }

  /** Whether this GET is answered with a gateway's HTML page (`htmlAnswers`), counting it down. */
  answersHtml(method: string, path: string): boolean {
    const f = this.faults;
    if (method !== 'GET' || f.htmlAnswers <= 0) return false;
    if (f.htmlAnswerRoutePattern && !new RegExp(f.htmlAnswerRoutePattern).test(path)) return false;
    f.htmlAnswers -= 1;
    this.countFault('htmlAnswer');
    return true;
  }

  gpuHours(job: SimJob): number {
    const running =
      job.status === 'running' ? Math.max(0, this.now() - job.runStartMs) / this.options.epochMs : 0;
    return job.gpuHoursBefore + running * job.workers;
  }

  cost(job: SimJob): number {
    return Math.round(this.gpuHours(job) * (HOURLY_RATE[job.gpuType] ?? 2) * 100) / 100;
  }

  jobCheckpoints(jobId: string): SimCheckpoint[] {
    return this.checkpoints.ofJob(jobId);
  }

  private registerModel(job: SimJob): void {
    const id = `model_${job.id.slice(4)}`;
    if (this.registry.has(id)) return;
    const last = this.metricsAt(job, job.completedEpochs);
    const best = this.checkpoints.get(`ckpt_${job.id.slice(4)}_best`);
    this.registry.set(id, {
      id,
      name: job.name,
      trainingJobId: job.id,
      type: job.modelType,
      status: 'ready',
      version: 'v1.0.0',
      versions: [{ version: 'v1.0.0', trainingJobId: job.id }],
      tags: job.tags,
      metadata: {},
      metrics: { ...last, bestLoss: best?.metrics.loss ?? last.loss },
      sizeBytes: job.checkpointSizeBytes,
      createdAtMs: this.now(),
      updatedAtMs: this.now(),
    });
  }

  /** A finished job with `count` automatic checkpoints, for cleanup at scale. */
  seedCompletedJob(name: string, count: number): SimJob {
    const job = this.createJob({ name, totalEpochs: count, tags: ['seeded'] });
    const start = this.now() - count * this.options.epochMs;
    job.runStartMs = start;
    job.status = 'running';
    this.advance(job);
    return job;
  }
}
