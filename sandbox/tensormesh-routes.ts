import { randomBytes, randomUUID } from 'node:crypto';
import { TENSORMESH_GPU_TYPES } from '../src/domain/tensormesh';
import { HttpReply, Router, type RequestContext } from './router';
import type { SandboxState, SimMeshModel } from './state';

/** gRPC-gateway error body, the shape TensorMesh's REST gateway answers with. */
const meshError = (status: number, grpcCode: number, message: string) =>
  new HttpReply(status, { code: grpcCode, message, details: [] });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const iso = (ms: number) => new Date(ms).toISOString();

export function tensormeshRoutes(state: SandboxState): { api: Router; serving: Router } {
  const api = new Router();
  const status = (m: SimMeshModel) =>
    state.now() < m.readyAtMs
      ? 'MODEL_STATUS_DEPLOYING'
      : m.fails
        ? 'MODEL_STATUS_FAILED'
        : 'MODEL_STATUS_RUNNING';
  const modelJson = (m: SimMeshModel, origin: string) => {
    const s = status(m);
    const events = [
      {
        createdAt: iso(m.createdAtMs),
        log: `Provisioning ${m.gpuCount}x ${m.gpuType}`,
        eventType: 'EVENT_TYPE_PROVISIONING',
      },
    ];
    if (s === 'MODEL_STATUS_RUNNING')
      events.push({ createdAt: iso(m.readyAtMs), log: 'Model is serving', eventType: 'EVENT_TYPE_READY' });
    if (s === 'MODEL_STATUS_FAILED')
      events.push({
        createdAt: iso(m.readyAtMs),
        log: 'Container exited: CUDA out of memory',
        eventType: 'EVENT_TYPE_FAILED',
      });
    return {
      modelId: m.modelId,
      deploymentId: m.deploymentId,
      userId: m.userId,
      description: m.description ?? '',
      modelPath: m.modelPath,
      modelName: m.modelName,
      status: s,
      events,
      createdAt: iso(m.createdAtMs),
      updatedAt: iso(Math.min(state.now(), m.readyAtMs)),
      modelSpec: {},
      infra: m.infra,
      gpuCount: m.gpuCount,
      gpuType: m.gpuType,
      replicas: 1,
      endpoint: `${origin}/serve/tensormesh/${m.modelId}`,
      apiKey: m.apiKey,
    };
  };
  const find = (id: string) => {
    const m = state.meshModels.get(id);
    if (!m) throw meshError(404, 5, `model ${id} not found`);
    return m;
  };

  api.add(
    'POST',
    '/v1/models',
    (ctx: RequestContext) => {
      const b = (ctx.body ?? {}) as Record<string, unknown>;
      if (typeof b.modelName !== 'string' || !b.modelName) throw meshError(400, 3, 'modelName is required');
      if (typeof b.userId !== 'string' || !UUID.test(b.userId))
        throw meshError(400, 3, 'userId must be a valid UUID');
      if (typeof b.modelPath !== 'string' || !b.modelPath) throw meshError(400, 3, 'modelPath is required');
      const gpuType = String(b.gpuType ?? 'GPU_TYPE_UNSPECIFIED');
      if (!(TENSORMESH_GPU_TYPES as readonly string[]).includes(gpuType))
        throw meshError(400, 3, `invalid value for enum gpuType: ${gpuType}`);
      const taken = [...state.meshModels.values()].some(
        (m) => m.userId === b.userId && m.modelName === b.modelName,
      );
      if (taken) throw meshError(409, 6, `model name ${b.modelName} already exists for this user`);
      const m: SimMeshModel = {
        modelId: randomUUID(),
        deploymentId: randomUUID(),
        userId: b.userId,
        modelName: b.modelName,
        modelPath: b.modelPath,
        description: typeof b.description === 'string' ? b.description : undefined,
        gpuType,
        gpuCount: typeof b.gpuCount === 'number' ? b.gpuCount : 1,
        infra: (b.infra ?? {}) as Record<string, unknown>,
        // The create request may set the served model's key (a documented field); else one is made.
        apiKey:
          typeof b.apiKey === 'string' && b.apiKey ? b.apiKey : `tm-serve-${randomBytes(12).toString('hex')}`,
        createdAtMs: state.now(),
        readyAtMs: state.now() + state.options.deployMs,
        fails: state.faults.failDeployments,
      };
      state.meshModels.set(m.modelId, m);
      state.countCreation('meshModels', m.modelName);
      return { status: 200, body: { model: modelJson(m, ctx.origin) } };
    },
    { creates: true },
  );
  api.add('GET', '/v1/models', (ctx) => {
    const name = ctx.query.get('modelName');
    const list = [...state.meshModels.values()].filter((m) => !name || m.modelName === name);
    return { status: 200, body: { models: list.map((m) => modelJson(m, ctx.origin)) } };
  });
  api.add('GET', '/v1/models/:modelId', (ctx) => ({
    status: 200,
    body: { model: modelJson(find(ctx.params.modelId), ctx.origin) },
  }));
  api.add('DELETE', '/v1/models/:modelId', (ctx) => {
    find(ctx.params.modelId);
    state.meshModels.delete(ctx.params.modelId);
    return { status: 200, body: {} };
  });

  // The served model itself, OpenAI-style, authenticated by the model's own apiKey.
  const serving = new Router();
  serving.add('POST', '/serve/tensormesh/:modelId/v1/completions', (ctx) => {
    const m = find(ctx.params.modelId);
    if (ctx.headers.authorization !== `Bearer ${m.apiKey}`)
      throw new HttpReply(401, { error: { message: 'invalid api key' } });
    if (status(m) !== 'MODEL_STATUS_RUNNING')
      throw new HttpReply(503, { error: { message: 'model is not serving' } });
    if (state.faults.failInference) {
      state.countFault('inferenceFailure');
      throw new HttpReply(500, { error: { message: 'inference failed' } });
    }
    const prompt = String((ctx.body as Record<string, unknown> | undefined)?.prompt ?? '');
    return {
      status: 200,
      body: {
        id: `cmpl-${randomBytes(4).toString('hex')}`,
        object: 'text_completion',
        choices: [{ index: 0, text: ` echo: ${prompt.slice(0, 40)}` }],
      },
    };
  });
  return { api, serving };
}
