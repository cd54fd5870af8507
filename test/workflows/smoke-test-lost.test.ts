import { Context } from '@temporalio/activity';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { createActivities } from '../../src/activities';
import { pipelineWorkflowId } from '../../src/domain/pipeline-input';
import { createProviderClients } from '../../src/providers/config';
import { createWorker } from '../../src/worker-factory';
import { fineTuneToDeploy } from '../../src/workflows';
import { fastSupervision, pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { connectDevServer, uniqueTaskQueue, type DevServerHandle } from '../harness/temporal';
import { testWorkerSettings } from '../harness/workflow-bundles';

/**
 * On the dev server (the time-skipping server does not time out an attempt by its missed heartbeat):
 * a pipeline whose smoke test is lost with its worker mid-request, on a sandbox without latency.
 */
let dev: DevServerHandle;
let sandbox: Sandbox;
beforeAll(async () => {
  dev = await connectDevServer();
  sandbox = await startSandbox({ epochMs: 1, queueMs: 0, deployMs: 0, seed: 3 });
});
afterAll(async () => {
  await sandbox.close();
  await dev.close();
});

it('a smoke test lost with its worker is tried again within seconds, not after its start-to-close', async () => {
  const taskQueue = uniqueTaskQueue('lost-smoke');
  const real = createActivities(createProviderClients(sandbox.endpoints));
  const attemptsStartedAt: number[] = [];
  const worker = await createWorker(
    {
      connection: dev.nativeConnection,
      taskQueue,
      providers: createProviderClients(sandbox.endpoints),
      settings: testWorkerSettings(),
      overrides: { shutdownGraceTime: 0, shutdownForceTime: '1s' },
    },
    {
      ...real,
      // The first attempt never answers and never beats, as if its worker was killed mid-request; it
      // ends only when this test's worker shuts down.
      smokeTestEndpoint: (input: Parameters<typeof real.smokeTestEndpoint>[0]) => {
        attemptsStartedAt.push(Date.now());
        return attemptsStartedAt.length === 1 ? Context.current().cancelled : real.smokeTestEndpoint(input);
      },
    },
  );
  const input = pipelineInput('lost-smoke', {
    train: tensoroneTrain({ config: { training: { epochs: 2 } } }),
    supervision: fastSupervision,
    cleanup: { enabled: false, retention: { keepLastN: 2 }, maxDeletes: 1000 },
  });
  const result = await worker.runUntil(
    dev.client.workflow.execute(fineTuneToDeploy, {
      args: [input],
      taskQueue,
      workflowId: `${pipelineWorkflowId(input.name)}-${taskQueue}`,
    }),
  );
  expect(result.outcome).toBe('deployed');
  expect(attemptsStartedAt).toHaveLength(2);
  // The heartbeat timeout (15 s) and the retry's backoff (5 s), with room for a loaded machine; the
  // start-to-close it replaces was 2 minutes.
  expect(attemptsStartedAt[1]! - attemptsStartedAt[0]!).toBeLessThan(45_000);
}, 240_000);
