import { faultConfigSchema } from './faults';
import { HttpReply, Router } from './router';
import type { SandboxState } from './state';
import { gb } from './tensorone-routes';

/**
 * What `GET /admin/state` answers: the provider's true state (no lies), every checkpoint deletion with
 * its time, and every lie the adversary told. The invariant checker (chaos/invariants.ts) reads this.
 */
export function adminState(state: SandboxState) {
  return {
    now: new Date(state.now()).toISOString(),
    options: state.options,
    faults: state.faults,
    jobs: [...state.jobs.values()].map((j) => {
      state.advance(j);
      return {
        id: j.id,
        name: j.name,
        status: j.status,
        completedEpochs: j.completedEpochs,
        totalEpochs: j.totalEpochs,
        gpuType: j.gpuType,
        cost: state.cost(j),
        /** GPU time billed (one simulated epoch is one GPU-hour per worker), measured by the provider. */
        gpuSeconds: Math.round(state.gpuHours(j) * 3600),
        createdAt: j.createdAtMs,
        ...(j.endedAtMs !== undefined ? { endedAt: j.endedAtMs } : {}),
        /** When its step counter truly advanced (sandbox clock; `until` absent: still advancing). */
        advancing: state.advancing(j),
      };
    }),
    checkpoints: [...state.checkpoints.values()].map((c) => ({
      id: c.id,
      jobId: c.jobId,
      type: c.type,
      epoch: c.epoch,
      sizeBytes: c.sizeBytes,
    })),
    deletedCheckpoints: [...state.checkpoints.deleted.values()].map((c) => ({
      id: c.id,
      jobId: c.jobId,
      type: c.type,
      sizeBytes: c.sizeBytes,
      shownSize: gb(c.sizeBytes),
      deletedAt: state.checkpoints.deletedAt.get(c.id) ?? 0,
    })),
    endpoints: [...state.endpoints.values()].map((e) => ({
      id: e.id,
      name: e.name,
      kind: e.kind,
      checkpointId: e.checkpointId,
      modelId: e.modelId,
    })),
    /** Endpoints, registry deployments and TensorMesh models deleted, with when. */
    deletedDeployments: [...state.endpoints.deletedAt, ...state.meshModels.deletedAt].map(([id, at]) => ({
      id,
      deletedAt: at,
    })),
    meshModels: [...state.meshModels.values()].map((m) => ({
      modelId: m.modelId,
      modelName: m.modelName,
      deploymentId: m.deploymentId,
      modelPath: m.modelPath,
    })),
    registry: [...state.registry.values()].map((m) => ({
      id: m.id,
      name: m.name,
      trainingJobId: m.trainingJobId,
      versions: m.versions.map((v) => v.version),
    })),
    creations: state.creations,
    adversary: state.adversary
      ? {
          seed: state.adversary.config.seed,
          catalogue: state.adversary.catalogue,
          liesByKind: state.adversary.counts(),
          lies: state.adversary.told,
        }
      : undefined,
  };
}

export type AdminState = ReturnType<typeof adminState>;

/** `/admin/…`: fault injection, the clock, seeding, and the state tests use to prove "no duplicates". */
export function adminRoutes(state: SandboxState): Router {
  const r = new Router();
  r.add('GET', '/state', () => ({ status: 200, body: adminState(state) }));
  r.add('GET', '/counters', () => ({
    status: 200,
    body: {
      requests: state.requests,
      creations: state.creations,
      duplicates: state.duplicates(),
      faultsInjected: state.faultsInjected,
      retryAfterViolations: state.retryAfterViolations,
      undocumentedRequests: state.undocumentedRequests,
    },
  }));
  r.add('POST', '/faults', (ctx) => {
    const parsed = faultConfigSchema.safeParse({ ...(ctx.body as object) });
    if (!parsed.success)
      throw new HttpReply(400, {
        message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      });
    state.faults = parsed.data;
    return { status: 200, body: state.faults };
  });
  r.add('POST', '/clock', (ctx) => {
    const advanceMs = Number((ctx.body as Record<string, unknown> | undefined)?.advanceMs ?? 0);
    if (!Number.isFinite(advanceMs) || advanceMs < 0)
      throw new HttpReply(400, { message: 'advanceMs must be a non-negative number' });
    state.advanceClock(advanceMs);
    return { status: 200, body: { now: new Date(state.now()).toISOString() } };
  });
  r.add('POST', '/tensorone/jobs', (ctx) => {
    const b = (ctx.body ?? {}) as Record<string, unknown>;
    const job = state.seedCompletedJob(String(b.name ?? 'seeded-job'), Number(b.checkpoints ?? 10));
    return { status: 201, body: { jobId: job.id, checkpoints: state.jobCheckpoints(job.id).length } };
  });
  r.add('POST', '/marqtune/models', (ctx) => {
    const b = (ctx.body ?? {}) as Record<string, unknown>;
    const modelId = state.newId('mq');
    state.marqtune.set(modelId, {
      modelId,
      modelName: String(b.modelName ?? 'marqtuned-model'),
      baseModel: String(b.baseModel ?? 'ViT-B-32'),
      createdAtMs: state.now(),
      epochs: Number(b.epochs ?? 3),
      failAtEpoch: typeof b.failAtEpoch === 'number' ? b.failAtEpoch : undefined,
    });
    return { status: 201, body: { modelId } };
  });
  return r;
}
