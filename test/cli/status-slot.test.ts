import { createProviderClients } from '../../src/providers/config';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { servingSlots } from '../../src/clients/serving-slots';
import { main } from '../../src/starter';
import { createWorker, defaultWorkerSettings } from '../../src/worker-factory';
import { fineTuneToDeploy } from '../../src/workflows';
import { connectDevServer, type DevServerHandle, uniqueTaskQueue } from '../harness/temporal';

/** `starter status` says what serves from the serving slot, not from what the run once deployed. */

let dev: DevServerHandle;
let sandbox: Sandbox;
const taskQueue = uniqueTaskQueue('status-slot');

beforeAll(async () => {
  dev = await connectDevServer();
  sandbox = await startSandbox({ epochMs: 120, queueMs: 40, deployMs: 120 });
});
afterAll(async () => {
  await sandbox.close();
  await dev.close();
});

async function status(args: string[]): Promise<{ code: number; stdout: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, { TEMPORAL_ADDRESS: dev.address, TEMPORAL_TASK_QUEUE: taskQueue });
  let stdout = '';
  const o = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((c: string | Uint8Array) => ((stdout += c.toString()), true));
  try {
    return { code: await main(['node', 'starter', 'status', ...args]), stdout };
  } finally {
    o.mockRestore();
    process.env = saved;
  }
}

it('after a rollback, status shows the retired deployment as not serving and names what serves', async () => {
  const worker = await createWorker({
    connection: dev.nativeConnection,
    taskQueue,
    providers: createProviderClients(sandbox.endpoints),
    settings: defaultWorkerSettings(),
    overrides: { shutdownGraceTime: 0 },
  });
  const input = pipelineInput('rolled', {
    train: tensoroneTrain({ config: { training: { epochs: 2 } } }),
    supervision: { freshness: '1s', minInterval: '200ms', stallAfter: '20s', unknownStatusGrace: '20s' },
    gate: { compareWithChampion: false },
    deploy: { target: 'tensorone-endpoint', timeout: '30s', retireAfter: '10m' },
  });
  await worker.runUntil(async () => {
    const first = await dev.client.workflow.execute(fineTuneToDeploy, {
      args: [input],
      taskQueue,
      workflowId: 'pipeline-rolled',
    });
    const second = await dev.client.workflow.execute(fineTuneToDeploy, {
      args: [input],
      taskQueue,
      workflowId: 'pipeline-rolled-2',
    });
    const [ep1, ep2] = [first.deployment!.id, second.deployment!.id];
    expect(ep1).not.toBe(ep2);
    const before = await status(['pipeline-rolled-2']);
    expect(before.stdout).toContain(`deployment: tensorone-endpoint ${ep2} serving rolled (since `);

    await servingSlots(dev.client, taskQueue).rollback('rolled', { by: 'test', reason: 'p95' });
    const after = await status(['pipeline-rolled-2']);
    expect(after.code).toBe(0);
    expect(after.stdout).not.toMatch(new RegExp(`${ep2} active`));
    expect(after.stdout).toMatch(
      new RegExp(
        `deployment: tensorone-endpoint ${ep2} (being retired|retired at \\S+ \\(\\S+\\)), not serving; serving rolled now: tensorone-endpoint ${ep1}`,
      ),
    );
    const json = JSON.parse((await status(['pipeline-rolled-2', '--json'])).stdout);
    expect(json.serving).toMatchObject({ slot: 'rolled', serving: { deploymentId: ep1 } });
    expect(['retiring', 'retired']).toContain(json.serving.kind);
    // The first run's deployment serves again.
    expect((await status(['pipeline-rolled'])).stdout).toContain(
      `deployment: tensorone-endpoint ${ep1} serving rolled (since `,
    );
  });
}, 180_000);
