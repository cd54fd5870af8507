import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { servingSlots } from '../../src/clients/serving-slots';
import { fineTuneToDeploy } from '../../src/workflows';
import { useCliBed } from '../harness/cli-bed';

/** `starter status` says what serves from the serving slot, not from what the run once deployed. */

const bed = useCliBed({ name: 'status-slot', sandbox: { epochMs: 120, queueMs: 40, deployMs: 120 } });
const { taskQueue } = bed;
const status = (args: string[]) => bed.inProcess(['status', ...args]);

it('after a rollback, status shows the retired deployment as not serving and names what serves', async () => {
  const worker = await bed.createWorker(taskQueue);
  const input = pipelineInput('rolled', {
    train: tensoroneTrain({ config: { training: { epochs: 2 } } }),
    supervision: { freshness: '1s', minInterval: '200ms', stallAfter: '20s', unknownStatusGrace: '20s' },
    gate: { compareWithChampion: false },
    deploy: { target: 'tensorone-endpoint', timeout: '30s', retireAfter: '10m' },
  });
  await worker.runUntil(async () => {
    const first = await bed.dev.client.workflow.execute(fineTuneToDeploy, {
      args: [input],
      taskQueue,
      workflowId: 'pipeline-rolled',
    });
    const second = await bed.dev.client.workflow.execute(fineTuneToDeploy, {
      args: [input],
      taskQueue,
      workflowId: 'pipeline-rolled-2',
    });
    const [ep1, ep2] = [first.deployment!.id, second.deployment!.id];
    expect(ep1).not.toBe(ep2);
    const before = await status(['pipeline-rolled-2']);
    expect(before.stdout).toContain(`deployment: tensorone-endpoint ${ep2} serving rolled (since `);

    await servingSlots(bed.dev.client, taskQueue).rollback('rolled', { by: 'test', reason: 'p95' });
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
