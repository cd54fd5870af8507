/**
 * A sweep under the fleet budget: examples/pipeline-sweep.yaml's sweep (8 trials, 4 at a time,
 * halving at epochs 1, 2 and 4, `train.sweep.maxCost` 400, `budget.maxCost` 50 per trial) against a
 * fleet budget, on a time-skipping server and the sandbox. Prints what the budget recorded against what
 * the trials' jobs cost at the provider (the sandbox's own figures), the most trials training at once,
 * and the winner's cost (all a sweep recorded before its trials reserved).
 *   npx tsx bench/fleet-budget-sweep.ts [--budget 500]
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ensureEngines } from '../engine';
import { fleetBudgets } from '../src/clients/fleet-budget';
import { parsePipelineInput } from '../src/domain/pipeline-input';
import { fineTuneToDeploy } from '../src/workflows';
import { trialWorkflowId } from '../src/workflows/sweep/contract';
import { startWorkflowTestBed } from '../test/harness/workflow-env';
import { benchHeader, option, table } from './report';

const BUDGET = Number(option('budget') ?? 500);

async function main(): Promise<void> {
  process.env.FTP_TEST_SERVER_PATH ??= (await ensureEngines({ devServer: false })).testServer;
  const example = YAML.parse(
    fs.readFileSync(path.resolve(__dirname, '../examples/pipeline-sweep.yaml'), 'utf8'),
  ) as Record<string, unknown>;
  // The sandbox's clock is virtual here: looks at minutes, as against a real provider.
  example.supervision = {
    freshness: '5m',
    minInterval: '30s',
    stallAfter: '30m',
    resumeBudget: 2,
    unknownStatusGrace: '30m',
  };
  example.deploy = { ...(example.deploy as object), timeout: '30m' };
  const spec = parsePipelineInput(example);
  const bed = await startWorkflowTestBed({}, { providerQueues: true });
  try {
    const budgets = fleetBudgets(bed.env.client, bed.taskQueue);
    const workflowId = `pipeline-${spec.name}`;
    const result = await bed.withWorker(async () => {
      await budgets.set({ amount: BUDGET, windowMs: 400 * 86_400_000 });
      return bed.env.client.workflow.execute(fineTuneToDeploy, {
        args: [example],
        taskQueue: bed.taskQueue,
        workflowId,
      });
    });
    const jobs = [...bed.sandbox.state.jobs.values()].filter((j) => j.name.startsWith(`${workflowId}--`));
    const provider = jobs.reduce((sum, j) => sum + bed.sandbox.state.cost(j), 0);
    const ledger = (await budgets.state())!.ledger;
    const recorded = ledger.reservations.reduce((sum, r) => sum + (r.spent ?? r.amount), 0);
    const trialHolders = ledger.reservations.filter((r) =>
      r.workflowId.startsWith(trialWorkflowId(workflowId, 0).slice(0, -2)),
    );
    const atOnce = Math.max(
      ...jobs.map(
        (j) =>
          jobs.filter((o) => o.createdAtMs <= j.createdAtMs && (o.endedAtMs ?? Infinity) > j.createdAtMs)
            .length,
      ),
    );
    const winner = result.sweep?.winner !== undefined ? result.sweep.trials[result.sweep.winner] : undefined;
    process.stdout.write(`${benchHeader('Fleet budget: a sweep held to it')}\n`);
    process.stdout.write(
      table(
        [
          'outcome',
          'trial jobs',
          'reservations',
          'reserved each',
          'recorded',
          'provider cost',
          'winner cost',
          'most at once',
          'budget',
        ],
        [
          [
            result.outcome,
            String(jobs.length),
            String(trialHolders.length),
            `$${spec.budget?.maxCost}`,
            `$${recorded.toFixed(2)}`,
            `$${provider.toFixed(2)}`,
            `$${(winner?.cost ?? 0).toFixed(2)}`,
            String(atOnce),
            `$${BUDGET}`,
          ],
        ],
      ) + '\n',
    );
  } finally {
    await bed.teardown();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
