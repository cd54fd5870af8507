import { HttpReply, paginate, Router, type RequestContext } from './router';
import { liedJobStatus } from './status-lie';
import {
  SANDBOX_GPU_TYPES,
  type SandboxState,
  type SimCheckpoint,
  type SimEndpoint,
  type SimJob,
  type SimRegistryModel,
} from './state';

/** TensorOne's documented error body. */
export function t1Error(
  status: number,
  error: string,
  message: string,
  details: Record<string, unknown> = {},
): HttpReply {
  return new HttpReply(status, { error, message, details });
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
/** A checkpoint's size as the provider shows it (`2.1GB`). */
export const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)}GB`;

function body(ctx: RequestContext): Record<string, unknown> {
  return ctx.body && typeof ctx.body === 'object' ? (ctx.body as Record<string, unknown>) : {};
}

function learningRate(config: Record<string, unknown>): number | undefined {
  const training = (config.training ?? {}) as Record<string, unknown>;
  const lr = training.learning_rate ?? training.learningRate ?? config.learningRate;
  return typeof lr === 'number' ? lr : undefined;
}

function epochsOf(config: Record<string, unknown>): number {
  const training = (config.training ?? {}) as Record<string, unknown>;
  const e = training.epochs ?? config.epochs;
  return typeof e === 'number' && e > 0 ? Math.floor(e) : 3;
}

export function tensoroneRoutes(state: SandboxState): Router {
  const r = new Router();
  const findJob = (id: string): SimJob => {
    const job = state.jobs.get(id);
    if (!job)
      throw t1Error(404, 'JOB_NOT_FOUND', 'Training job with specified ID does not exist', { jobId: id });
    return state.advance(job);
  };
  const findCheckpoint = (id: string): SimCheckpoint => {
    const c = state.checkpoints.get(id);
    if (!c)
      throw t1Error(404, 'CHECKPOINT_NOT_FOUND', 'Checkpoint with specified ID does not exist', {
        checkpointId: id,
      });
    return c;
  };
  const findModel = (id: string): SimRegistryModel => {
    const m = state.registry.get(id);
    if (!m) throw t1Error(404, 'MODEL_NOT_FOUND', 'Model with specified ID does not exist', { modelId: id });
    return m;
  };

  const checkpointJson = (c: SimCheckpoint, origin: string, includeMetrics = true) => ({
    checkpointId: c.id,
    name: c.name,
    epoch: c.epoch,
    step: c.step,
    ...(includeMetrics ? { metrics: c.metrics } : {}),
    size: gb(c.sizeBytes),
    type: c.type,
    // Signed, short-lived: clients must never store or print the query string.
    downloadUrl: `${origin}/tensorone/signed/${c.id}?expires=${state.now() + 3_600_000}&signature=sig_${c.id.slice(-6)}${Math.floor(state.now() / 1000)}`,
    deployable: true,
    createdAt: iso(c.createdAtMs),
  });

  const jobJson = (job: SimJob, detail: boolean) => {
    const step = state.answeredStep(
      job,
      detail ? 'GET /tensorone/v2/training/jobs/:jobId' : 'GET /tensorone/v2/training/jobs',
    );
    const total = job.totalEpochs * job.stepsPerEpoch;
    const last = [...state.jobCheckpoints(job.id)]
      .filter((c) => c.type === 'automatic')
      .sort((a, b) => b.epoch - a.epoch)[0];
    const best = state.checkpoints.get(`ckpt_${job.id.slice(4)}_best`);
    const currentEpoch =
      job.status === 'running'
        ? Math.min(job.totalEpochs, Math.floor(step / job.stepsPerEpoch) + 1)
        : job.completedEpochs;
    const elapsed = job.status === 'running' ? Math.max(0, state.now() - job.runStartMs) : 0;
    const remainingMs =
      job.status === 'running' || job.status === 'pending'
        ? ((total - step) / job.stepsPerEpoch) * state.options.epochMs
        : 0;
    const base = {
      id: job.id,
      name: job.name,
      status: job.status,
      modelType: job.modelType,
      progress: {
        currentEpoch,
        totalEpochs: job.totalEpochs,
        currentStep: step,
        totalSteps: total,
        percentage: Math.round((step / total) * 1000) / 10,
        ...(detail
          ? { elapsedTime: Math.round(elapsed / 1000), remainingTime: Math.round(remainingMs / 1000) }
          : {}),
      },
      metrics: detail
        ? {
            currentLoss: last?.metrics.loss,
            bestLoss: best?.metrics.loss,
            learningRate: learningRate(job.config) ?? 2e-4,
            throughput: '1250 tokens/sec',
            memoryUsage: '38.2GB',
          }
        : {
            loss: last?.metrics.loss,
            learningRate: learningRate(job.config) ?? 2e-4,
            throughput: '1250 tokens/sec',
          },
      createdAt: iso(job.createdAtMs),
      startedAt: job.status === 'pending' ? undefined : iso(job.runStartMs),
      estimatedCompletion: iso(state.now() + remainingMs),
    };
    if (!detail) return base;
    return {
      ...base,
      datasetId: job.datasetId,
      config: job.config,
      resourceUsage: {
        gpuHours: Math.round(state.gpuHours(job) * 100) / 100,
        cost: state.cost(job),
        efficiency: 0.94,
      },
      checkpoints: state
        .jobCheckpoints(job.id)
        .filter((c) => c.type === 'automatic')
        .sort((a, b) => a.epoch - b.epoch)
        .map((c) => ({
          id: c.id,
          epoch: c.epoch,
          loss: c.metrics.loss,
          createdAt: iso(c.createdAtMs),
          size: gb(c.sizeBytes),
        })),
      ...(job.failureReason ? { failureReason: job.failureReason } : {}),
    };
  };

  // ---- training jobs ----
  r.add(
    'POST',
    '/v2/training/jobs',
    (ctx) => {
      const b = body(ctx);
      const name = b.name;
      if (typeof name !== 'string' || name.length < 1 || name.length > 100) {
        throw t1Error(400, 'CONFIGURATION_ERROR', 'Invalid training configuration', {
          field: 'name',
          reason: 'name must be 1-100 characters',
        });
      }
      const modelType = b.modelType;
      if (!['llm', 'vision', 'multimodal', 'custom'].includes(String(modelType))) {
        throw t1Error(400, 'CONFIGURATION_ERROR', 'Invalid training configuration', {
          field: 'modelType',
          reason: 'modelType must be llm, vision, multimodal or custom',
        });
      }
      const datasetId = b.datasetId;
      if (
        typeof datasetId !== 'string' ||
        !/^ds_[A-Za-z0-9_]+$/.test(datasetId) ||
        /missing|invalid/.test(datasetId)
      ) {
        throw t1Error(404, 'DATASET_NOT_FOUND', 'Dataset with specified ID does not exist', { datasetId });
      }
      const config = (b.config ?? {}) as Record<string, unknown>;
      const lr = learningRate(config);
      if (lr !== undefined && (lr < 1e-6 || lr > 1e-1)) {
        throw t1Error(422, 'CONFIGURATION_ERROR', 'Invalid training configuration', {
          field: 'config.training.learning_rate',
          reason: 'Learning rate must be between 1e-6 and 1e-1',
        });
      }
      const gpuType = typeof b.gpuType === 'string' ? b.gpuType : 'a100';
      const unavailable = state.faults.unavailableGpuTypes;
      if (unavailable.includes(gpuType) || !SANDBOX_GPU_TYPES.includes(gpuType)) {
        state.countFault('insufficientResources');
        throw t1Error(409, 'INSUFFICIENT_RESOURCES', 'Requested GPU type not available', {
          requestedGpuType: gpuType,
          availableGpuTypes: SANDBOX_GPU_TYPES.filter((g) => !unavailable.includes(g)),
        });
      }
      const job = state.createJob({
        name,
        modelType: String(modelType),
        datasetId,
        config,
        gpuType,
        workers: typeof b.maxWorkers === 'number' ? b.maxWorkers : 1,
        tags: Array.isArray(b.tags) ? b.tags.map(String) : [],
        totalEpochs: epochsOf(config),
      });
      // The documents' first create example answers with `jobId`; the sandbox does too, so clients must read both.
      return {
        status: 201,
        body: {
          jobId: job.id,
          name: job.name,
          status: 'queued',
          estimatedStartTime: iso(job.runStartMs),
          estimatedDuration: `${job.totalEpochs}h`,
          estimatedCost: {
            gpuCost: job.totalEpochs * 4.25,
            storageCost: 1.2,
            totalCost: job.totalEpochs * 4.25 + 1.2,
          },
          createdAt: iso(job.createdAtMs),
        },
      };
    },
    { creates: true },
  );

  r.add('GET', '/v2/training/jobs', (ctx) => {
    const q = ctx.query;
    let list = [...state.jobs.values()].map((j) => state.advance(j));
    const status = q.get('status');
    if (status) list = list.filter((j) => j.status === status);
    const modelType = q.get('modelType');
    if (modelType) list = list.filter((j) => j.modelType === modelType);
    const sort = q.get('sort') ?? 'created_at';
    const dir = (q.get('order') ?? 'desc') === 'asc' ? 1 : -1;
    list.sort(
      (a, b) => dir * (sort === 'name' ? a.name.localeCompare(b.name) : a.createdAtMs - b.createdAtMs),
    );
    const { page, pagination } = paginate(list, q);
    // The odd status (`spuriousStatus`) is answered once per job, by whichever read comes first.
    const answer = (j: SimJob) => {
      const spurious = state.spuriousStatus(j) ?? liedJobStatus(state, j, 'GET /tensorone/v2/training/jobs');
      return spurious ? { ...jobJson(j, false), status: spurious } : jobJson(j, false);
    };
    return { status: 200, body: { jobs: page.map(answer), pagination } };
  });

  r.add('GET', '/v2/training/jobs/:jobId', (ctx) => {
    const job = findJob(ctx.params.jobId);
    const answer = jobJson(job, true);
    const spurious =
      state.spuriousStatus(job) ?? liedJobStatus(state, job, 'GET /tensorone/v2/training/jobs/:jobId');
    return { status: 200, body: spurious ? { ...answer, status: spurious } : answer };
  });

  r.add('POST', '/v2/training/jobs/:jobId/stop', (ctx) => {
    const job = findJob(ctx.params.jobId);
    if (job.status === 'completed' || job.status === 'failed') {
      throw t1Error(409, 'JOB_NOT_RUNNING', `Job is ${job.status} and cannot be stopped`, {
        jobId: job.id,
        status: job.status,
      });
    }
    state.stopJob(job, body(ctx).saveCheckpoint !== false);
    return { status: 200, body: jobJson(job, true) };
  });

  r.add('POST', '/v2/training/jobs/:jobId/resume', (ctx) => {
    const job = findJob(ctx.params.jobId);
    if (job.status !== 'stopped' && job.status !== 'failed') {
      throw t1Error(409, 'JOB_NOT_RESUMABLE', `Job is ${job.status}; only stopped or failed jobs resume`, {
        jobId: job.id,
        status: job.status,
      });
    }
    const checkpointId = body(ctx).checkpointId;
    let fromEpoch = job.completedEpochs;
    if (typeof checkpointId === 'string') {
      const c = findCheckpoint(checkpointId);
      if (c.jobId !== job.id)
        throw t1Error(409, 'CHECKPOINT_MISMATCH', 'Checkpoint belongs to another job', { checkpointId });
      fromEpoch = c.epoch;
    }
    state.resumeJob(job, fromEpoch);
    return { status: 200, body: jobJson(job, true) };
  });

  // ---- checkpoints ----
  r.add('GET', '/v2/training/jobs/:jobId/checkpoints', (ctx) => {
    const job = findJob(ctx.params.jobId);
    const q = ctx.query;
    const sortBy = q.get('sortBy') ?? 'createdAt';
    const dir = (q.get('sortOrder') ?? 'desc') === 'asc' ? 1 : -1;
    const key = (c: SimCheckpoint): number =>
      sortBy === 'epoch'
        ? c.epoch
        : sortBy === 'step'
          ? c.step
          : sortBy === 'loss'
            ? c.metrics.loss
            : sortBy === 'accuracy'
              ? c.metrics.accuracy
              : sortBy === 'validationLoss'
                ? c.metrics.validationLoss
                : c.createdAtMs;
    const all = state
      .jobCheckpoints(job.id)
      .sort((a, b) => dir * (key(a) - key(b)) || a.id.localeCompare(b.id));
    const { page } = paginate(all, q);
    const includeMetrics = q.get('includeMetrics') !== 'false';
    const best = state.checkpoints.get(`ckpt_${job.id.slice(4)}_best`);
    const latest = [...all].sort((a, b) => b.createdAtMs - a.createdAtMs)[0];
    return {
      status: 200,
      body: {
        checkpoints: page.map((c) => checkpointJson(c, ctx.origin, includeMetrics)),
        totalCount: all.length,
        summary: {
          ...(best
            ? {
                bestCheckpoint: {
                  checkpointId: best.id,
                  metrics: {
                    validationLoss: best.metrics.validationLoss,
                    validationAccuracy: best.metrics.validationAccuracy,
                  },
                },
              }
            : {}),
          ...(latest
            ? { latestCheckpoint: { checkpointId: latest.id, createdAt: iso(latest.createdAtMs) } }
            : {}),
          totalSize: gb(all.reduce((s, c) => s + c.sizeBytes, 0)),
        },
      },
    };
  });

  r.add(
    'POST',
    '/v2/training/jobs/:jobId/checkpoints',
    (ctx) => {
      const job = findJob(ctx.params.jobId);
      const name = body(ctx).name;
      if (typeof name !== 'string' || !name)
        throw t1Error(400, 'CONFIGURATION_ERROR', 'Checkpoint name is required', { field: 'name' });
      return { status: 201, body: checkpointJson(state.addManualCheckpoint(job, name), ctx.origin) };
    },
    { creates: true },
  );

  r.add('GET', '/v2/training/checkpoints/:checkpointId', (ctx) => ({
    status: 200,
    body: checkpointJson(findCheckpoint(ctx.params.checkpointId), ctx.origin),
  }));

  r.add('DELETE', '/v2/training/checkpoints/:checkpointId', (ctx) => {
    findCheckpoint(ctx.params.checkpointId);
    state.checkpoints.delete(ctx.params.checkpointId);
    return { status: 204 };
  });

  // ---- endpoints (POST documented; GET/list/DELETE assumed, see docs/providers.md) ----
  const endpointStatus = (e: SimEndpoint) =>
    state.now() < e.readyAtMs ? 'deploying' : e.fails ? 'failed' : 'active';
  const endpointJson = (e: SimEndpoint, origin: string) => ({
    id: e.id,
    name: e.name,
    status: endpointStatus(e),
    url: `${origin}/tensorone/v2/${e.id}/runsync`,
    checkpointId: e.checkpointId,
    modelId: e.modelId,
    createdAt: iso(e.createdAtMs),
  });
  const newEndpoint = (
    kind: SimEndpoint['kind'],
    name: string,
    workers: number,
    refs: { checkpointId?: string; modelId?: string; environment?: string },
  ) => {
    const e: SimEndpoint = {
      id: state.newId('ep'),
      name,
      kind,
      workers,
      ...refs,
      createdAtMs: state.now(),
      readyAtMs: state.now() + state.options.deployMs,
      fails: state.faults.failDeployments,
    };
    state.endpoints.set(e.id, e);
    state.countCreation(kind === 'endpoint' ? 'endpoints' : 'deployments', name);
    return e;
  };

  r.add(
    'POST',
    '/v2/endpoints',
    (ctx) => {
      const b = body(ctx);
      if (typeof b.name !== 'string' || !b.name)
        throw t1Error(400, 'CONFIGURATION_ERROR', 'Endpoint name is required', { field: 'name' });
      if (typeof b.checkpointId !== 'string')
        throw t1Error(400, 'CONFIGURATION_ERROR', 'checkpointId is required', { field: 'checkpointId' });
      const c = findCheckpoint(b.checkpointId);
      const e = newEndpoint('endpoint', b.name, typeof b.workerCount === 'number' ? b.workerCount : 1, {
        checkpointId: c.id,
      });
      return { status: 201, body: endpointJson(e, ctx.origin) };
    },
    { creates: true },
  );
  r.add('GET', '/v2/endpoints', (ctx) => {
    const name = ctx.query.get('name');
    const list = [...state.endpoints.values()].filter((e) => !name || e.name === name);
    return { status: 200, body: { endpoints: list.map((e) => endpointJson(e, ctx.origin)) } };
  });
  const findEndpoint = (id: string) => {
    const e = state.endpoints.get(id);
    if (!e)
      throw t1Error(404, 'ENDPOINT_NOT_FOUND', 'Endpoint with specified ID does not exist', {
        endpointId: id,
      });
    return e;
  };
  r.add('GET', '/v2/endpoints/:endpointId', (ctx) => ({
    status: 200,
    body: endpointJson(findEndpoint(ctx.params.endpointId), ctx.origin),
  }));
  r.add('DELETE', '/v2/endpoints/:endpointId', (ctx) => {
    findEndpoint(ctx.params.endpointId);
    state.endpoints.delete(ctx.params.endpointId);
    return { status: 204 };
  });
  r.add('POST', '/v2/:endpointId/runsync', (ctx) => {
    const e = findEndpoint(ctx.params.endpointId);
    if (endpointStatus(e) !== 'active')
      throw t1Error(409, 'ENDPOINT_NOT_READY', `Endpoint is ${endpointStatus(e)}`, { endpointId: e.id });
    if (state.faults.failInference) {
      state.countFault('inferenceFailure');
      throw t1Error(500, 'INFERENCE_FAILED', 'Worker crashed while loading the model');
    }
    const degraded = state.faults.degradedInference;
    const slowed = degraded && e.name.includes(degraded.endpointNameContains) ? degraded : undefined;
    const delayMs = slowed?.latencyMs ?? 0;
    if (slowed) state.countFault('degradedInference');
    if (slowed && state.chance(slowed.errorRate)) {
      const failed = t1Error(500, 'INFERENCE_FAILED', 'Worker timed out');
      return { status: failed.status, body: failed.body, delayMs };
    }
    const input = (body(ctx).input ?? {}) as Record<string, unknown>;
    const answered = state.faults.inferenceStatus;
    if (answered) {
      state.countFault('inferenceStatus');
      return { status: 200, body: { id: state.newId('run'), status: answered } };
    }
    return {
      status: 200,
      body: {
        id: state.newId('run'),
        status: 'COMPLETED',
        output: { text: `echo: ${String(input.prompt ?? '').slice(0, 50)}` },
      },
      delayMs,
    };
  });

  // ---- model registry ----
  const modelJson = (m: SimRegistryModel, detail: boolean) => {
    const deployments = [...state.endpoints.values()].filter((e) => e.modelId === m.id);
    return {
      id: m.id,
      name: m.name,
      type: m.type,
      status: m.status === 'archived' ? 'archived' : deployments.length ? 'deployed' : 'ready',
      ...(detail && m.description ? { description: m.description } : {}),
      baseModel: 'meta-llama/Llama-2-7b-hf',
      version: m.version,
      trainingJobId: m.trainingJobId,
      size: { parameters: 7_000_000_000, bytes: m.sizeBytes, compressed: Math.round(m.sizeBytes / 2) },
      metrics: detail
        ? {
            training: { final_loss: m.metrics.loss, best_loss: m.metrics.bestLoss, perplexity: 12.45 },
            validation: { loss: m.metrics.validationLoss, accuracy: m.metrics.validationAccuracy },
          }
        : { finalLoss: m.metrics.loss, accuracy: m.metrics.validationAccuracy, perplexity: 12.45 },
      deployments: detail
        ? deployments.map((e) => ({
            id: e.id,
            name: e.name,
            status: endpointStatus(e) === 'active' ? 'active' : endpointStatus(e),
            url: `/v2/${e.id}/runsync`,
            workers: e.workers,
            createdAt: iso(e.createdAtMs),
          }))
        : { active: deployments.length, endpoints: deployments.map((e) => e.id) },
      ...(detail ? { tags: m.tags, metadata: m.metadata } : {}),
      createdAt: iso(m.createdAtMs),
      updatedAt: iso(m.updatedAtMs),
    };
  };

  r.add('GET', '/v2/training/models', (ctx) => {
    const q = ctx.query;
    let list = [...state.registry.values()];
    const trainingJobId = q.get('trainingJobId');
    if (trainingJobId && !state.faults.registryIgnoresJobFilter)
      list = list.filter((m) => m.trainingJobId === trainingJobId);
    const type = q.get('type');
    if (type) list = list.filter((m) => m.type === type);
    const status = q.get('status');
    if (status) list = list.filter((m) => modelJson(m, false).status === status);
    const { page, pagination } = paginate(list, q);
    return { status: 200, body: { models: page.map((m) => modelJson(m, false)), pagination } };
  });
  r.add('GET', '/v2/training/models/:modelId', (ctx) => ({
    status: 200,
    body: modelJson(findModel(ctx.params.modelId), true),
  }));
  r.add('PATCH', '/v2/training/models/:modelId', (ctx) => {
    const m = findModel(ctx.params.modelId);
    const b = body(ctx);
    if (typeof b.name === 'string') m.name = b.name;
    if (typeof b.description === 'string') m.description = b.description;
    if (Array.isArray(b.tags)) m.tags = b.tags.map(String);
    if (b.metadata && typeof b.metadata === 'object')
      m.metadata = { ...m.metadata, ...(b.metadata as Record<string, unknown>) };
    m.updatedAtMs = state.now();
    return { status: 200, body: modelJson(m, true) };
  });
  r.add(
    'POST',
    '/v2/training/models/:modelId/versions',
    (ctx) => {
      const m = findModel(ctx.params.modelId);
      const b = body(ctx);
      if (typeof b.version !== 'string' || typeof b.trainingJobId !== 'string') {
        throw t1Error(400, 'CONFIGURATION_ERROR', 'version and trainingJobId are required', {
          field: typeof b.version !== 'string' ? 'version' : 'trainingJobId',
        });
      }
      if (m.versions.some((v) => v.version === b.version))
        throw t1Error(409, 'VERSION_EXISTS', `Version ${b.version} already exists`, { version: b.version });
      m.versions.push({
        version: b.version,
        trainingJobId: b.trainingJobId,
        description: typeof b.description === 'string' ? b.description : undefined,
      });
      m.version = b.version;
      state.countCreation('versions', `${m.id}:${b.version}`);
      return {
        status: 201,
        body: {
          modelId: m.id,
          version: b.version,
          trainingJobId: b.trainingJobId,
          createdAt: iso(state.now()),
        },
      };
    },
    { creates: true },
  );
  r.add(
    'POST',
    '/v2/training/models/:modelId/deploy',
    (ctx) => {
      const m = findModel(ctx.params.modelId);
      const b = body(ctx);
      if (typeof b.name !== 'string' || !b.name)
        throw t1Error(400, 'CONFIGURATION_ERROR', 'Deployment name is required', { field: 'name' });
      if (m.sizeBytes > 40 * 1024 ** 3)
        throw t1Error(422, 'MODEL_TOO_LARGE', 'Model exceeds size limits for deployment', {
          modelSize: gb(m.sizeBytes),
          maxAllowedSize: '40GB',
        });
      const gpuType = typeof b.gpuType === 'string' ? b.gpuType : 'a100';
      if (state.faults.unavailableGpuTypes.includes(gpuType)) {
        throw t1Error(409, 'DEPLOYMENT_FAILED', 'Model deployment failed due to resource constraints', {
          reason: 'Insufficient GPU capacity',
          availableGpuTypes: SANDBOX_GPU_TYPES.filter((g) => !state.faults.unavailableGpuTypes.includes(g)),
          requestedGpuType: gpuType,
        });
      }
      const e = newEndpoint('registry', b.name, typeof b.workers === 'number' ? b.workers : 1, {
        modelId: m.id,
        environment: typeof b.environment === 'string' ? b.environment : 'production',
      });
      return {
        status: 201,
        body: {
          deployment: {
            id: e.id,
            modelId: m.id,
            name: e.name,
            status: 'deploying',
            environment: e.environment,
            url: `${ctx.origin}/tensorone/v2/${e.id}/runsync`,
            configuration: { gpuType: 'NVIDIA A100', workers: e.workers },
            estimatedReadyTime: iso(e.readyAtMs),
            createdAt: iso(e.createdAtMs),
          },
        },
      };
    },
    { creates: true },
  );
  r.add('POST', '/v2/training/models/:modelId/download', (ctx) => {
    const m = findModel(ctx.params.modelId);
    return {
      status: 200,
      body: {
        downloadUrl: `${ctx.origin}/tensorone/download/${m.id}.zip?token=tok_${m.id.slice(-8)}&expires=${state.now() + 3_600_000}`,
        downloadToken: `tok_download_${m.id.slice(-8)}`,
        expiresAt: iso(state.now() + 3_600_000),
        size: Math.round(m.sizeBytes / 2),
        files: [
          { name: 'pytorch_model.bin', size: m.sizeBytes, checksum: 'sha256:a1b2c3d4e5f6' },
          { name: 'config.json', size: 1024, checksum: 'sha256:b2c3d4e5f6a7' },
        ],
      },
    };
  });
  r.add('POST', '/v2/training/models/compare', (ctx) => {
    const ids = body(ctx).models;
    if (!Array.isArray(ids) || ids.length < 1)
      throw t1Error(400, 'CONFIGURATION_ERROR', 'models must list at least one model id', {
        field: 'models',
      });
    const models = ids.map((id) => findModel(String(id)));
    const metric = (m: SimRegistryModel) => ({
      accuracy: m.metrics.validationAccuracy,
      validation_loss: m.metrics.validationLoss,
      final_loss: m.metrics.loss,
    });
    const bestBy = (f: (m: SimRegistryModel) => number, lowest: boolean) =>
      [...models].sort((a, b) => (lowest ? f(a) - f(b) : f(b) - f(a)))[0].id;
    return {
      status: 200,
      body: {
        comparison: {
          models: models.map((m) => ({ id: m.id, name: m.name, version: m.version, metrics: metric(m) })),
          best_performing: {
            accuracy: bestBy((m) => m.metrics.validationAccuracy, false),
            validation_loss: bestBy((m) => m.metrics.validationLoss, true),
          },
          recommendations: [
            `${bestBy((m) => m.metrics.validationLoss, true)} shows best overall performance`,
          ],
        },
      },
    };
  });
  r.add('POST', '/v2/training/models/:modelId/archive', (ctx) => {
    const m = findModel(ctx.params.modelId);
    m.status = 'archived';
    m.updatedAtMs = state.now();
    return { status: 200, body: { id: m.id, status: 'archived' } };
  });

  return r;
}
