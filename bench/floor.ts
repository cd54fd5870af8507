import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { percentile } from './report';

let measured = 0;

/**
 * The floor under a pipeline's per-step figure: a workflow of `steps` activities that do nothing, one
 * after another, on the same server, with the SDK's default worker. Each step is one activity task and
 * one workflow task, the least a step that waits for the one before can cost on this machine now; a
 * pipeline's steps run partly at once, so its figure can go below it, and the distance above it is the
 * pipeline's own (its safety's round trips, its workflow code). Medians of `runs` after one warm-up.
 */
export async function serialFloorMsPerStep(
  env: TestWorkflowEnvironment,
  steps: number,
  runs: number,
  patchesPerStep = 0,
): Promise<number> {
  const taskQueue = `bench-floor-${process.pid}-${++measured}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./floor-workflow'),
    activities: { nothing: async () => undefined },
    shutdownGraceTime: 0,
  });
  const walls: number[] = [];
  await worker.runUntil(async () => {
    for (let i = 0; i <= runs; i++) {
      const t = performance.now();
      await env.client.workflow.execute('serialSteps', {
        args: [steps, patchesPerStep],
        taskQueue,
        workflowId: `${taskQueue}-${i}`,
      });
      if (i > 0) walls.push(performance.now() - t); // the first warms the bundle and caches
    }
  });
  return percentile(walls, 50) / steps;
}
