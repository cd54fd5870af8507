import { devServerTuningArgs } from '../engine/dev-server-tuning';
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
