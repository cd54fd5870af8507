import type { ProviderClients } from '../../src/providers/config';
import { ProviderError } from '../../src/providers/http/provider-error';
import type { Sandbox } from '../../sandbox/server';
import { eventually, startTestSandbox } from '../harness/sandbox';
import axios from 'axios';
import { Capabilities, isAbsent, type CapabilityAbsent } from '../../src/providers/http/capabilities';
import { createTensorMeshClient } from '../../src/providers/tensormesh/client';
import { createTensorOneClient } from '../../src/providers/tensorone/client';
import { sandboxAdmin } from '../../sandbox/admin-client';

/** The extended profile serves every assumed route. */
function present<T>(answer: T | CapabilityAbsent): T {
  if (isAbsent(answer)) throw new Error(`${answer.route} answered as absent`);
  return answer;
}

let sandbox: Sandbox;
let clients: ProviderClients;
beforeAll(async () => {
  ({ sandbox, clients } = await startTestSandbox());
});
afterAll(() => sandbox.close());

const job = (name: string, epochs = 4) => ({
  name,
  modelType: 'llm' as const,
  datasetId: 'ds_support_tickets',
  config: { baseModel: 'meta-llama/Llama-2-7b-hf', training: { epochs, learning_rate: 2e-4 } },
  gpuType: 'a100',
});

async function finishedJob(name: string, epochs = 4) {
  const created = await clients.tensorone.jobs.create(job(name, epochs));
  return eventually(async () => {
    const j = await clients.tensorone.jobs.get(created.id);
    return j.status === 'completed' ? j : undefined;
  });
}

describe('TensorOne training jobs on the sandbox', () => {
  it('runs a job queued → running → completed with a checkpoint per epoch, best and final', async () => {
    const created = await clients.tensorone.jobs.create(job('routes-lifecycle'));
    expect(created.status).toBe('queued');
    const running = await eventually(async () => {
      const j = await clients.tensorone.jobs.get(created.id);
      return j.status === 'running' && (j.progress.currentStep ?? 0) > 0 ? j : undefined;
    });
    expect(running.progress.totalEpochs).toBe(4);
    const done = await finishedJob('routes-lifecycle-2');
    expect(done.progress.percentage).toBe(100);
    expect(done.cost).toBeGreaterThan(0);
    const page = await clients.tensorone.checkpoints.list(done.id, { limit: 100 });
    const types = page.checkpoints.map((c) => c.type).sort();
    expect(types).toEqual(['automatic', 'automatic', 'automatic', 'automatic', 'best', 'final']);
    const best = page.checkpoints.find((c) => c.type === 'best')!;
    const minLoss = Math.min(
      ...page.checkpoints.filter((c) => c.type === 'automatic').map((c) => c.metrics.validationLoss),
    );
    expect(best.metrics.validationLoss).toBe(minLoss);
    expect(page.bestCheckpointId).toBe(best.id);
  });

  it('lists jobs with a status filter and pagination', async () => {
    await finishedJob('routes-list-a', 1);
    const page1 = await clients.tensorone.jobs.list({ status: 'completed', limit: 1, offset: 0 });
    expect(page1.jobs).toHaveLength(1);
    expect(page1.jobs[0].status).toBe('completed');
    expect(page1.hasMore).toBe(true);
    const all = await clients.tensorone.jobs.list({ status: 'completed', limit: 100 });
    expect(all.total).toBe(all.jobs.length);
  });

  it('stops a running job with a saved checkpoint and resumes it from a chosen checkpoint', async () => {
    const created = await clients.tensorone.jobs.create(job('routes-stop-resume', 50));
    await eventually(
      async () =>
        ((await clients.tensorone.jobs.get(created.id)).progress.currentEpoch ?? 0) >= 3 || undefined,
    );
    await clients.tensorone.jobs.stop(created.id, { saveCheckpoint: true, reason: 'test' });
    const stopped = await clients.tensorone.jobs.get(created.id);
    expect(stopped.status).toBe('stopped');
    const page = await clients.tensorone.checkpoints.list(created.id, {
      sortBy: 'epoch',
      sortOrder: 'asc',
      limit: 100,
    });
    expect(page.checkpoints.some((c) => c.type === 'final')).toBe(true);
    const first = page.checkpoints.find((c) => c.epoch === 1 && c.type === 'automatic')!;
    await clients.tensorone.jobs.resume(created.id, { checkpointId: first.id });
    const resumed = await clients.tensorone.jobs.get(created.id);
    expect(['pending', 'running']).toContain(resumed.status);
    await clients.tensorone.jobs.stop(created.id, { saveCheckpoint: false });
  });

  it('pages through checkpoints with limit/offset and sorts by validation loss', async () => {
    const done = await finishedJob('routes-paging', 7);
    const seen: string[] = [];
    for (let offset = 0; ; offset += 3) {
      const p = await clients.tensorone.checkpoints.list(done.id, {
        limit: 3,
        offset,
        sortBy: 'epoch',
        sortOrder: 'asc',
      });
      seen.push(...p.checkpoints.map((c) => c.id));
      if (seen.length >= p.totalCount) break;
    }
    expect(new Set(seen).size).toBe(9);
    const byLoss = await clients.tensorone.checkpoints.list(done.id, {
      sortBy: 'validationLoss',
      sortOrder: 'asc',
      limit: 100,
    });
    const losses = byLoss.checkpoints.map((c) => c.metrics.validationLoss);
    expect(losses).toEqual([...losses].sort((a, b) => a - b));
  });

  it('gets, creates (manual) and deletes checkpoints; a second delete is a 404', async () => {
    const done = await finishedJob('routes-ckpt-crud', 2);
    const manual = await clients.tensorone.checkpoints.create(done.id, { name: 'milestone' });
    expect(manual.type).toBe('manual');
    expect((await clients.tensorone.checkpoints.get(manual.id)).name).toBe('milestone');
    await clients.tensorone.checkpoints.delete(manual.id);
    await expect(clients.tensorone.checkpoints.delete(manual.id)).rejects.toMatchObject({
      status: 404,
      code: 'CHECKPOINT_NOT_FOUND',
    });
  });
});

describe('TensorOne endpoints and registry on the sandbox', () => {
  it('deploys a checkpoint as an endpoint that becomes active and answers runsync', async () => {
    const done = await finishedJob('routes-endpoint', 2);
    const page = await clients.tensorone.checkpoints.list(done.id);
    const ep = await clients.tensorone.endpoints.create({
      name: 'routes-ep',
      checkpointId: page.bestCheckpointId!,
      gpuIds: ['a100'],
      workerCount: 1,
    });
    expect(ep.status).toBe('deploying');
    await eventually(
      async () => present(await clients.tensorone.endpoints.get(ep.id)).status === 'active' || undefined,
    );
    expect(present(await clients.tensorone.endpoints.list({ name: 'routes-ep' })).map((e) => e.id)).toEqual([
      ep.id,
    ]);
    const out = await clients.tensorone.endpoints.runsync(ep.id, { prompt: 'hello' });
    expect(out.status).toBe('COMPLETED');
    await clients.tensorone.endpoints.delete(ep.id);
    await expect(clients.tensorone.endpoints.get(ep.id)).rejects.toMatchObject({ status: 404 });
  });

  it('registers a finished job as a model: list, get, update, version, deploy, download, compare, archive', async () => {
    const a = await finishedJob('routes-registry-a', 2);
    const b = await finishedJob('routes-registry-b', 3);
    const { models } = await clients.tensorone.models.list({ trainingJobId: a.id });
    expect(models).toHaveLength(1);
    const modelId = models[0].id;
    await clients.tensorone.models.update(modelId, {
      tags: ['support'],
      metadata: { quality_gate: 'passed' },
    });
    const got = await clients.tensorone.models.get(modelId);
    expect(got).toMatchObject({
      tags: ['support'],
      metadata: { quality_gate: 'passed' },
      trainingJobId: a.id,
    });
    expect(got.metrics.validationLoss).toBeGreaterThan(0);
    await clients.tensorone.models.createVersion(modelId, { version: 'v1.1.0', trainingJobId: b.id });
    await expect(
      clients.tensorone.models.createVersion(modelId, { version: 'v1.1.0', trainingJobId: b.id }),
    ).rejects.toMatchObject({ status: 409, code: 'VERSION_EXISTS' });
    const dep = await clients.tensorone.models.deploy(modelId, {
      name: 'routes-registry-dep',
      gpuType: 'a100',
    });
    expect(dep.modelId).toBe(modelId);
    const dl = await clients.tensorone.models.download(modelId, {});
    expect(dl.files.length).toBeGreaterThan(0);
    // Redacted at the client: the sandbox signs the link with `?token=…&expires=…`.
    expect(dl.downloadUrl).toMatch(new RegExp(`/tensorone/download/${modelId}\\.zip$`));
    expect(JSON.stringify(dl)).not.toMatch(/token=|expires=|tok_/);
    const bModel = (await clients.tensorone.models.list({ trainingJobId: b.id })).models[0];
    const cmp = await clients.tensorone.models.compare({ models: [modelId, bModel.id] });
    expect(cmp.models).toHaveLength(2);
    expect(Object.keys(cmp.bestPerforming)).toContain('validationLoss');
    await clients.tensorone.models.archive(bModel.id, { reason: 'replaced' });
    expect((await clients.tensorone.models.get(bModel.id)).status).toBe('archived');
  });
});

describe('TensorMesh and Marqtune on the sandbox', () => {
  const userId = '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f';

  it('provisions a served model that starts serving; names are unique; it answers a completion', async () => {
    const m = await clients.tensormesh.models.create({
      modelName: 'routes-mesh',
      userId,
      modelPath: 'meta-llama/Llama-2-7b-hf',
      gpuCount: 1,
      gpuType: 'GPU_TYPE_H100',
    });
    expect(m.status).toBe('deploying');
    await expect(
      clients.tensormesh.models.create({
        modelName: 'routes-mesh',
        userId,
        modelPath: 'x',
        gpuCount: 1,
        gpuType: 'GPU_TYPE_H100',
      }),
    ).rejects.toMatchObject({ status: 409 });
    await eventually(
      async () => present(await clients.tensormesh.models.get(m.id)).status === 'active' || undefined,
    );
    expect(present(await clients.tensormesh.models.findByName('routes-mesh'))?.id).toBe(m.id);
    await expect(clients.tensormesh.models.smokeTest(m.id, 'hi')).resolves.toMatchObject({ ok: true });
    await clients.tensormesh.models.delete(m.id);
    await expect(clients.tensormesh.models.get(m.id)).rejects.toMatchObject({ status: 404 });
  });

  it("the served model's request is configurable; a refusal of it says it is an assumption and which setting changes it", async () => {
    const m = await clients.tensormesh.models.create({
      modelName: 'routes-mesh-request',
      userId,
      modelPath: 'meta-llama/Llama-2-7b-hf',
      gpuCount: 1,
      gpuType: 'GPU_TYPE_H100',
    });
    await eventually(
      async () => present(await clients.tensormesh.models.get(m.id)).status === 'active' || undefined,
    );
    const mesh = clients.tensormesh.models;
    const body = { model: '{modelName}', prompt: 'say {prompt}', max_tokens: 8 };
    await expect(
      mesh.smokeTest(m.id, 'hi', {}, { path: '/v1/completions', body, answerField: 'choices.0.text' }),
    ).resolves.toEqual({ ok: true, output: ' echo: say hi' });
    // A model that speaks another protocol: its 404 names the assumption and the setting.
    const refused = await mesh
      .smokeTest(m.id, 'hi', {}, { path: '/v1/chat/completions', body })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProviderError);
    expect(refused).toMatchObject({ status: 404, route: 'POST {endpoint}/v1/chat/completions' });
    expect((refused as Error).message).toMatch(
      /the served model's request \(POST \{endpoint\}\/v1\/chat\/completions\) is an assumption.*set deploy\.smokeRequest \(path, body, answerField\)/,
    );
    // An answer without the field that counts as one.
    await expect(
      mesh.smokeTest(
        m.id,
        'hi',
        {},
        { path: '/v1/completions', body, answerField: 'choices.0.message.content' },
      ),
    ).rejects.toMatchObject({
      kind: 'malformed',
      code: 'SMOKE_ANSWER_MISSING',
      message: expect.stringMatching(
        /the answer has no "choices\.0\.message\.content".*deploy\.smokeRequest/,
      ),
    });
    // Not this request, but "not now": no note (a model still starting is no protocol mismatch).
    sandbox.state.faults = { ...sandbox.state.faults, failInference: true };
    try {
      const failed = await mesh.smokeTest(m.id, 'hi').catch((e: unknown) => e);
      expect(failed).toMatchObject({ status: 500 });
      expect((failed as Error).message).not.toMatch(/assumption/);
    } finally {
      sandbox.state.faults = { ...sandbox.state.faults, failInference: false };
    }
  });

  it('refuses a gpuType outside the documented enum', async () => {
    await expect(
      clients.tensormesh.models.create({
        modelName: 'routes-mesh-bad',
        userId,
        modelPath: 'x',
        gpuCount: 1,
        gpuType: 'GPU_TYPE_TPU' as never,
      }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('follows a Marqtune model to Ready with its checkpoints, and answers the documented 400 and 401', async () => {
    const res = await fetch(`${sandbox.url}/admin/marqtune/models`, {
      method: 'POST',
      body: JSON.stringify({ modelName: 'mq-routes', epochs: 2 }),
    });
    const { modelId } = (await res.json()) as { modelId: string };
    const ready = await eventually(async () => {
      const m = await clients.marqtune.models.get(modelId);
      return m.status === 'completed' ? m : undefined;
    });
    expect(ready.checkpointIds).toEqual(['checkpoint-1', 'checkpoint-2']);
    const bad = await fetch(`${sandbox.url}/marqtune/models`, {
      method: 'DELETE',
      headers: { 'x-api-key': sandbox.endpoints.marqtune.apiKey },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ statusCode: 400, body: { message: 'Invalid request method' } });
    const unauth = await fetch(`${sandbox.url}/marqtune/models`);
    expect(unauth.status).toBe(401);
    expect(await unauth.json()).toEqual({ message: 'Unauthorized.' });
  });

  it('rejects a wrong key for each provider with a ProviderError', async () => {
    const wrong = (await import('../../src/providers/config')).createProviderClients({
      tensorone: { baseURL: sandbox.endpoints.tensorone.baseURL, apiKey: 'wrong-key-123' },
      tensormesh: { baseURL: sandbox.endpoints.tensormesh.baseURL, apiKey: 'wrong-key-123' },
      marqtune: { baseURL: sandbox.endpoints.marqtune.baseURL, apiKey: 'wrong-key-123' },
    });
    for (const call of [
      () => wrong.tensorone.jobs.list(),
      () => wrong.tensormesh.models.get('x'),
      () => wrong.marqtune.models.list(),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).status).toBe(401);
    }
  });
});

describe('sandbox admin route', () => {
  it('injects latency and shows its state and counters', async () => {
    const admin = (await import('../../sandbox/admin-client')).sandboxAdmin(sandbox.url);
    await admin.setFaults({ latencyMs: 250 });
    const started = Date.now();
    await clients.tensorone.jobs.list({ limit: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    await admin.setFaults({});
    const state = (await admin.state()) as { faults: { latencyMs: number }; jobs: { name: string }[] };
    expect(state.faults.latencyMs).toBe(0);
    expect(state.jobs.map((j) => j.name)).toContain('routes-lifecycle');
    const counters = await admin.counters();
    expect(counters.creations.jobs['routes-lifecycle']).toBe(1);
    expect(counters.duplicates.jobs).toEqual([]);
  });

  it('odd answers: a status once at an epoch, a gateway HTML page, a wobbling step counter', async () => {
    const admin = (await import('../../sandbox/admin-client')).sandboxAdmin(sandbox.url);
    await admin.setFaults({
      spuriousStatus: 'completed',
      spuriousStatusAtEpoch: 2,
      spuriousStatusJobNameContains: 'odd-answers',
      stallAtEpoch: 1,
      stallJobNameContains: 'odd-wobble',
      stallWobbleSteps: 100,
    });
    const trains = (await clients.tensorone.jobs.create(job('odd-answers', 50))).id;
    const statuses: string[] = [];
    await eventually(async () => {
      const j = await clients.tensorone.jobs.get(trains);
      statuses.push(j.status);
      return (j.progress.currentEpoch ?? 0) >= 4;
    });
    // Exactly one "completed", while epoch 2 or later trained; running before and after.
    expect(statuses.filter((s) => s === 'completed')).toHaveLength(1);
    expect(statuses.at(-1)).toBe('running');

    const stalls = (await clients.tensorone.jobs.create(job('odd-wobble', 50))).id;
    await eventually(
      () => sandbox.state.advance(sandbox.state.jobs.get(stalls)!).stalledAtEpoch !== undefined,
    );
    const steps = [];
    for (let i = 0; i < 4; i++) steps.push((await clients.tensorone.jobs.get(stalls)).progress.currentStep);
    expect(new Set(steps)).toEqual(new Set([500, 400]));

    await admin.setFaults({ htmlAnswers: 1, htmlAnswerRoutePattern: `/jobs/${trains}$` });
    const page = await fetch(`${sandbox.endpoints.tensorone.baseURL}/v2/training/jobs/${trains}`, {
      headers: { authorization: `Bearer ${sandbox.endpoints.tensorone.apiKey}` },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toMatch(/^<!DOCTYPE html>/);
    expect((await clients.tensorone.jobs.get(trains)).id).toBe(trains);
    await admin.setFaults({});
  });

  it('refuses an invalid fault configuration, naming the field', async () => {
    const res = await fetch(`${sandbox.url}/admin/faults`, {
      method: 'POST',
      body: JSON.stringify({ errorRate: 2 }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('errorRate');
  });
});

describe('the documented profile serves only what the documents promise', () => {
  const routeAbsentAnswers = [
    ['method-not-allowed', 405],
    ['invalid-method', 400],
  ] as const;

  it.each(routeAbsentAnswers)(
    'answers an assumed route as an unknown one (%s → %i); the client asks it once and then knows',
    async (unknownRoute, status) => {
      const logged: string[] = [];
      const { sandbox } = await startTestSandbox({ profile: 'documented', unknownRoute });
      try {
        const raw = await axios.get(`${sandbox.endpoints.tensorone.baseURL}/v2/endpoints/ep_x`, {
          headers: { Authorization: `Bearer ${sandbox.endpoints.tensorone.apiKey}` },
          validateStatus: () => true,
        });
        expect(raw.status).toBe(status);
        expect(raw.data).toEqual({ message: expect.any(String) });
        const capabilities = new Capabilities((line) => logged.push(line));
        const t1 = createTensorOneClient({ ...sandbox.endpoints.tensorone, capabilities });
        for (let i = 0; i < 3; i++) {
          expect(await t1.endpoints.get('ep_x')).toEqual({
            capabilityAbsent: 'tensorone.endpoints.get',
            route: 'GET /v2/endpoints/:endpointId',
          });
          expect(isAbsent(await t1.endpoints.list({ name: 'n' }))).toBe(true);
          expect(isAbsent(await t1.endpoints.delete('ep_x'))).toBe(true);
        }
        expect(sandbox.state.undocumentedRequests).toEqual({
          'GET /tensorone/v2/endpoints/:endpointId': 2, // the raw request above, then the client's one
          'GET /tensorone/v2/endpoints': 1,
          'DELETE /tensorone/v2/endpoints/:endpointId': 1,
        });
        expect(logged).toHaveLength(3);
        expect(logged[0]).toContain('GET /v2/endpoints/:endpointId is not offered');
      } finally {
        await sandbox.close();
      }
    },
  );

  const notFoundAnswers = [
    ['not-found', { message: 'Not Found' }],
    ['framework-not-found', { error: 'NOT_FOUND', message: 'No route GET /v2/endpoints/ep_x' }],
    ['empty-not-found', ''],
  ] as const;

  it.each(notFoundAnswers)(
    'a 404 (%s) from an assumed route never seen to answer is "cannot tell", never "gone": the documented path, and the route is asked again',
    async (unknownRoute, body) => {
      const logged: string[] = [];
      const { sandbox } = await startTestSandbox({ profile: 'documented', unknownRoute });
      try {
        const raw = await axios.get(`${sandbox.endpoints.tensorone.baseURL}/v2/endpoints/ep_x`, {
          headers: { Authorization: `Bearer ${sandbox.endpoints.tensorone.apiKey}` },
          validateStatus: () => true,
        });
        expect(raw.status).toBe(404);
        expect(raw.data).toEqual(body);
        const capabilities = new Capabilities((line) => logged.push(line));
        const t1 = createTensorOneClient({ ...sandbox.endpoints.tensorone, capabilities });
        const mesh = createTensorMeshClient({ ...sandbox.endpoints.tensormesh, capabilities });
        for (let i = 0; i < 2; i++) {
          expect(await t1.endpoints.get('ep_x')).toEqual({
            capabilityAbsent: 'tensorone.endpoints.get',
            route: 'GET /v2/endpoints/:endpointId',
            unsure: true,
          });
          expect(await t1.endpoints.delete('ep_x')).toMatchObject({ unsure: true });
          expect(await mesh.models.get('0000-x')).toMatchObject({ unsure: true });
          expect(await mesh.models.delete('0000-x')).toMatchObject({ unsure: true });
        }
        expect(capabilities.isAbsent('tensorone.endpoints.get')).toBe(false);
        expect(capabilities.isPresent('tensorone.endpoints.get')).toBe(false);
        expect(sandbox.state.undocumentedRequests).toMatchObject({
          'GET /tensorone/v2/endpoints/:endpointId': 3,
          'DELETE /tensorone/v2/endpoints/:endpointId': 2,
        });
        expect(logged).toHaveLength(4); // once per route
        expect(logged[0]).toContain('has not answered 2xx in this process');
      } finally {
        await sandbox.close();
      }
    },
  );

  it('a missing resource is "not found" only once its route has answered 2xx in this process', async () => {
    const capabilities = new Capabilities(() => undefined);
    const t1 = createTensorOneClient({ ...sandbox.endpoints.tensorone, capabilities });
    // A fresh process (a worker restart): the same 404 cannot be told from a missing route.
    expect(await t1.endpoints.get('ep_missing')).toMatchObject({ unsure: true });
    const { jobId } = await sandboxAdmin(sandbox.url).seedCompletedJob('routes-learned', 2);
    const [ckpt] = (await t1.checkpoints.list(jobId, { limit: 1 })).checkpoints;
    const ep = await t1.endpoints.create({
      name: 'routes-learned-ep',
      checkpointId: ckpt.id,
      gpuIds: ['a100'],
      workerCount: 1,
    });
    expect(isAbsent(await t1.endpoints.get(ep.id))).toBe(false);
    expect(capabilities.isPresent('tensorone.endpoints.get')).toBe(true);
    await expect(t1.endpoints.get('ep_missing')).rejects.toMatchObject({
      status: 404,
      code: 'ENDPOINT_NOT_FOUND',
    });
    // The delete route is learned on its own: present after it answered 2xx, then a 404 is "already gone".
    expect(await t1.endpoints.delete('ep_missing')).toMatchObject({ unsure: true });
    expect(await t1.endpoints.delete(ep.id)).toBeUndefined();
    await expect(t1.endpoints.delete(ep.id)).rejects.toMatchObject({ status: 404 });
    expect(capabilities.isAbsent('tensorone.endpoints.get')).toBe(false);
  });

  it('answers POST /v2/endpoints with {id, url} only and honours only the documented checkpoint query', async () => {
    const { sandbox, clients: c } = await startTestSandbox({ profile: 'documented' });
    try {
      const { jobId } = await sandboxAdmin(sandbox.url).seedCompletedJob('doc-list', 150);
      const first = await c.tensorone.checkpoints.list(jobId, {
        limit: 100,
        sortBy: 'createdAt',
        sortOrder: 'asc',
      });
      const offset = await c.tensorone.checkpoints.list(jobId, {
        limit: 100,
        sortBy: 'createdAt',
        sortOrder: 'asc',
        offset: 100,
      });
      expect(first.checkpoints).toHaveLength(100);
      expect(first.totalCount).toBe(152); // counts all, not the page
      expect(offset.checkpoints.map((x) => x.id)).toEqual(first.checkpoints.map((x) => x.id)); // offset ignored
      const byLoss = await c.tensorone.checkpoints.list(jobId, {
        limit: 5,
        sortBy: 'loss',
        sortOrder: 'asc',
      });
      const losses = byLoss.checkpoints.map((x) => x.metrics.loss);
      expect(losses).toEqual([...losses].sort((a, b) => a - b));
      // `validationLoss` is not a documented sortBy: the documented default (createdAt, desc) applies.
      const byValidation = await c.tensorone.checkpoints.list(jobId, { limit: 3, sortBy: 'validationLoss' });
      const newest = await c.tensorone.checkpoints.list(jobId, { limit: 3 });
      expect(byValidation.checkpoints.map((x) => x.id)).toEqual(newest.checkpoints.map((x) => x.id));

      const raw = await axios.post(
        `${sandbox.endpoints.tensorone.baseURL}/v2/endpoints`,
        { name: 'doc-ep', checkpointId: first.checkpoints[0].id, gpuIds: ['a100'], workerCount: 1 },
        { headers: { Authorization: `Bearer ${sandbox.endpoints.tensorone.apiKey}` } },
      );
      expect(Object.keys(raw.data).sort()).toEqual(['id', 'url']);
      // The normalized deployment of that answer: deploying until something says otherwise.
      const ep = await c.tensorone.endpoints.create({
        name: 'doc-ep-2',
        checkpointId: first.checkpoints[0].id,
        gpuIds: ['a100'],
        workerCount: 1,
      });
      expect(ep).toMatchObject({ status: 'deploying', name: 'doc-ep-2' });
    } finally {
      await sandbox.close();
    }
  });
});
