import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { CreateOutcome } from '../../src/activities/context';
import type { DeleteOutcome } from '../../src/activities/failures';
import { PROVIDERS, builtInProviders, servingTargetOf, withProviders } from '../../src/providers';
import { createProviderClients, providerEndpointsFromEnv } from '../../src/providers/config';
import {
  bindProvider,
  defineProvider,
  offeredActivities,
  type BoundProvider,
  type ServedDeployment,
} from '../../src/providers/plugin';
import { createWorker, defaultWorkerSettings } from '../../src/worker-factory';
import { DEPLOY_TARGETS } from '../../src/workflows/pipeline/deploy-targets';
import { deployThroughServingTarget } from '../fixtures/workflows/serving-target-workflows';
import { startTimeSkippingEnv, uniqueTaskQueue } from '../harness/temporal';

/** A provider that serves models from memory: ready on its second status read. */
function fakeServeClient() {
  const models = new Map<string, { name: string; reads: number; prompts: string[] }>();
  const served = (id: string): ServedDeployment => {
    const model = models.get(id)!;
    const ready = model.reads > 1;
    return {
      id,
      name: model.name,
      status: ready ? 'active' : 'deploying',
      rawStatus: ready ? 'UP' : 'WARMING',
    };
  };
  return {
    models,
    create(name: string) {
      const id = `fake-${models.size + 1}`;
      models.set(id, { name, reads: 0, prompts: [] });
      return served(id);
    },
    read(id: string) {
      models.get(id)!.reads++;
      return served(id);
    },
    answer(id: string, prompt: string) {
      models.get(id)!.prompts.push(prompt);
      return `echo: ${prompt}`;
    },
    remove(id: string) {
      return models.delete(id);
    },
  };
}
type FakeServeClient = ReturnType<typeof fakeServeClient>;

/** Four activities behind the serve interface, nothing else. */
function fakeServeActivities(client: FakeServeClient) {
  return {
    async provisionFakeModel(input: {
      step: string;
      modelName: string;
    }): Promise<ServedDeployment & CreateOutcome> {
      const created = client.create(`${input.modelName}--${input.step}`);
      return { ...created, adopted: false, inDoubt: false, name: created.name! };
    },
    async getFakeModel(id: string): Promise<ServedDeployment> {
      return client.read(id);
    },
    async smokeTestFakeModel(input: { deploymentId: string; prompt: string }): Promise<{ output: string }> {
      return { output: client.answer(input.deploymentId, input.prompt) };
    },
    async deleteFakeModel(id: string): Promise<DeleteOutcome> {
      const deleted = client.remove(id);
      return { deleted, alreadyGone: !deleted };
    },
  };
}

/** The plug-in. */
const fakeServe = defineProvider({
  name: 'fakeserve',
  activities: fakeServeActivities,
  serve: [
    {
      target: 'fake-serve',
      create: 'provisionFakeModel',
      read: 'getFakeModel',
      smokeTest: 'smokeTestFakeModel',
      remove: 'deleteFakeModel',
    },
  ],
});

const clients = () => createProviderClients(providerEndpointsFromEnv({}));

describe('the built-in providers as plug-ins', () => {
  it('every activity an offer names is one the worker registers', () => {
    const registered = Object.keys(createActivities(clients()));
    for (const plugin of Object.values(PROVIDERS))
      for (const name of offeredActivities(plugin))
        expect({ plugin: plugin.name, name, registered: registered.includes(name) }).toEqual({
          plugin: plugin.name,
          name,
          registered: true,
        });
  });

  it("every deploy target a pipeline file can name is served by exactly one plug-in, through the activities the pipeline's table calls", () => {
    const bound = Object.values(builtInProviders(clients()));
    const offered = bound.flatMap(({ plugin }) => (plugin.serve ?? []).map((s) => s.target));
    expect(offered.sort()).toEqual(Object.keys(DEPLOY_TARGETS).sort());
    expect(servingTargetOf('tensormesh', bound)).toMatchObject({
      provider: 'tensormesh',
      steps: { create: 'provisionServedModel', remove: 'deleteServedModel' },
    });
    expect(servingTargetOf('tensorone-registry', bound)).toMatchObject({
      provider: 'tensorone',
      steps: { create: 'deployRegisteredModel' },
    });
    // Marqtune trains; it serves nothing.
    expect(PROVIDERS.marqtune.serve).toBeUndefined();
    expect(servingTargetOf('marqtune', bound)).toBeUndefined();
  });

  it('the serving slot names no deploy target: how it reads, asks, retires and archives one is in DEPLOY_TARGETS alone', () => {
    const slotFolder = path.join(__dirname, '../../src/workflows/serving-slot');
    const named = readdirSync(slotFolder).flatMap((file) => {
      const code = readFileSync(path.join(slotFolder, file), 'utf8');
      return Object.keys(DEPLOY_TARGETS)
        .filter((target) => code.includes(`'${target}'`))
        .map((target) => `${file} names '${target}'`);
    });
    expect(named).toEqual([]);
  });
});

describe('a provider added as a plug-in', () => {
  it('is refused when an offer names an activity it does not have', () => {
    const bound = bindProvider(fakeServe, fakeServeClient());
    const broken = { ...bound.plugin, serve: [{ ...bound.plugin.serve![0]!, read: 'getFakeModelStatus' }] };
    expect(() => withProviders({}, [{ ...bound, plugin: broken }])).toThrow(
      'provider fakeserve: its offers name activities it lacks: getFakeModelStatus',
    );
  });
});

describe('a provider added as a plug-in (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkippingEnv();
  });
  afterAll(() => env?.teardown());

  /** THE worker, with the fake registered through `moreProviders` and a workflow that deploys through a serving target. */
  function workerWith(
    moreProviders: BoundProvider[],
    taskQueue = uniqueTaskQueue('plugin'),
  ): Promise<Worker> {
    return createWorker({
      connection: env.nativeConnection,
      taskQueue,
      providers: clients(),
      settings: defaultWorkerSettings(),
      moreProviders,
      overrides: {
        workflowsPath: require.resolve('../fixtures/workflows/serving-target-workflows'),
        shutdownGraceTime: 0,
      },
    });
  }

  it('is resolved by its deploy target, its activities registered by the worker factory, and deployed to', async () => {
    const client = fakeServeClient();
    const bound = [...Object.values(builtInProviders(clients())), bindProvider(fakeServe, client)];
    const target = servingTargetOf('fake-serve', bound);
    expect(target?.provider).toBe('fakeserve');
    const taskQueue = uniqueTaskQueue('plugin');
    const worker = await workerWith([bindProvider(fakeServe, client)], taskQueue);
    const result = await worker.runUntil(
      env.client.workflow.execute(deployThroughServingTarget, {
        args: [
          { steps: target!.steps, request: { modelName: 'my-model' }, smokeRequest: { prompt: 'ping' } },
        ],
        taskQueue,
        workflowId: `fake-serve-${taskQueue}`,
      }),
    );
    expect(result.created).toMatchObject({ id: 'fake-1', name: 'my-model--deploy', status: 'deploying' });
    // Looked at until it served, a minute of workflow time apart.
    expect(result.looks).toEqual(['WARMING', 'UP']);
    expect(result.answer).toEqual({ output: 'echo: ping' });
    expect(result.removal).toEqual({ deleted: true, alreadyGone: false });
    expect(client.models.size).toBe(0);
  }, 120_000);

  it('is refused before the worker starts when an activity name is taken: activities are recorded by name alone', async () => {
    const clash = defineProvider({
      name: 'clash',
      activities: () => ({ getEndpoint: async (id: string) => ({ id }) }),
    });
    await expect(async () => workerWith([bindProvider(clash, undefined)])).rejects.toThrow(
      'provider clash: activity getEndpoint is already registered by another',
    );
  });
});
