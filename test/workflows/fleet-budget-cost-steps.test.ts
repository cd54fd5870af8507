import { fleetBudgets } from '../../src/clients/fleet-budget';
import { DAY_MS } from '../../src/decisions/fleet-budget';
import { fleetBudgetId } from '../../src/workflows/fleet-budget/contract';
import { fleetBudget } from '../../src/workflows';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { advanceUntil, startPipeline, useWorkflowTestBed } from '../harness/workflow-env';

/**
 * What the fleet budget knows of a running job's cost (what `starter budget` shows as "cost so far", and
 * what its stops count a stopped job at) follows the job while it trains, a tenth of the reservation at a
 * time, however seldom the supervision reports otherwise. On the time-skipping server against the
 * sandbox: an epoch is 10 minutes and $4.25 of a100.
 */
const bed = useWorkflowTestBed();
const budgets = () => fleetBudgets(bed.env.client, bed.taskQueue);
const jobOf = (name: string) =>
  [...bed.sandbox.state.jobs.values()].find((j) => j.name.startsWith(`pipeline-${name}--`));

beforeAll(async () => {
  await bed.env.client.workflow.start(fleetBudget, {
    workflowId: fleetBudgetId(bed.taskQueue),
    taskQueue: bed.taskQueue,
    args: [{}],
  });
});

it("a training job's cost reaches the fleet budget a tenth of its reservation at a time, not only at its first look", async () => {
  await bed.withWorker(async () => {
    await budgets().set({ amount: 100, windowMs: 400 * DAY_MS });
    // 8 epochs ($34) under a reservation of $40: reports every $4; the supervision's own reports every 6 h.
    const handle = await startPipeline(
      bed,
      pipelineInput('cost-steps', {
        train: tensoroneTrain({ config: { training: { epochs: 8 } } }),
        supervision: {
          freshness: '5m',
          minInterval: '30s',
          stallAfter: '2h',
          resumeBudget: 0,
          unknownStatusGrace: '30m',
          reportEvery: '6h',
        },
        budget: { maxCost: 40 },
        cleanup: { enabled: false, retention: { keepLastN: 2 }, maxDeletes: 1000 },
      }),
    );
    const seen: { actual: number; reported: number }[] = [];
    await advanceUntil(bed.env, async () => {
      const job = jobOf('cost-steps');
      if (!job || job.status !== 'running') return job !== undefined && job.completedEpochs > 0;
      bed.sandbox.state.advance(job);
      const r = (await budgets().state())?.ledger.reservations.find(
        (x) => x.workflowId === handle.workflowId,
      );
      if (r?.reported !== undefined && job.completedEpochs >= 1)
        seen.push({ actual: bed.sandbox.state.cost(job), reported: r.reported });
      return false;
    });
    // While it trained, the budget's figure stayed within a step ($4) and one look's burn (5 min, $2.13)
    // of what the job had cost.
    expect(seen.length).toBeGreaterThan(20);
    for (const { actual, reported } of seen) expect(actual - reported).toBeLessThanOrEqual(4 + 2.125 + 0.01);
    expect((await handle.result()).outcome).toBe('deployed');
  });
});
