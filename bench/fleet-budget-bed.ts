import { devServerTuningArgs } from '../engine/dev-server-tuning';
import { pipelineInput, tensoroneTrain } from '../fixtures/pipelines';
import { fleetBudgets } from '../src/clients/fleet-budget';
import { nextWindowStart } from '../src/decisions/fleet-budget';
import { startBenchBed, type BenchBed } from './bed';

/**
 * The fleet budget benchmarks' bed: the tuned dev server, a sandbox whose epoch lasts `epochMs`, a worker
 * on `taskQueue`, and the queue's budget set to `limit` a `windowMs` window. Returns once a window has
 * just begun, so the first window the benchmark fills is whole.
 */
export async function startFleetBudgetBench(
  taskQueue: string,
  { epochMs, seed, limit, windowMs }: { epochMs: number; seed: number; limit: number; windowMs: number },
): Promise<{ bed: BenchBed; budgets: ReturnType<typeof fleetBudgets>; firstWindowStartMs: number }> {
  const bed = await startBenchBed(
    taskQueue,
    { epochMs, queueMs: 200, deployMs: 200, seed },
    {},
    { devServerArgs: devServerTuningArgs() },
  );
  const budgets = fleetBudgets(bed.env.client, taskQueue);
  await budgets.set({ amount: limit, windowMs, by: 'bench' });
  const firstWindowStartMs = nextWindowStart(Date.now(), windowMs);
  await new Promise((r) => setTimeout(r, firstWindowStartMs - Date.now() + 200));
  return { bed, budgets, firstWindowStartMs };
}

/**
 * A pipeline of the fleet budget benchmarks: `epochs` on a100, reserving `maxCost`, looked at every
 * `freshness` (what a running job burns between two readings), its cleanup off.
 */
export function budgetedPipeline(name: string, epochs: number, maxCost: number, freshness: string) {
  return pipelineInput(name, {
    train: tensoroneTrain({ config: { training: { epochs } } }),
    supervision: {
      freshness,
      minInterval: '1s',
      stallAfter: '1h',
      resumeBudget: 0,
      unknownStatusGrace: '1h',
    },
    deploy: { target: 'tensorone-endpoint', gpuIds: ['a100'], workerCount: 1, timeout: '5m' },
    cleanup: { enabled: false, retention: { keepLastN: 2 }, maxDeletes: 1000 },
    budget: { maxCost },
  });
}
