import { randomUUID } from 'node:crypto';
import { fleetBudgets } from '../../src/clients/fleet-budget';
import { useCliBed } from '../harness/cli-bed';

/** `starter budget unset` and `starter budget set` below what is used, against a dev server and a worker. */
const bed = useCliBed({
  name: 'budget-unset',
  sandbox: { epochMs: 1000, queueMs: 500, deployMs: 1000 },
  worker: true,
});
const cli = (args: string[]) => bed.inProcess(args);
const budgets = () => fleetBudgets(bed.dev.client, bed.taskQueue);

it('unset with no budget is refused (exit 2) saying what to do; after a set it removes the budget and admits those in line; again it is refused', async () => {
  const never = await cli(['budget', 'unset']);
  expect(never.code).toBe(2);
  expect(never.stderr).toContain(
    `no fleet budget is set for task queue ${bed.taskQueue}: nothing to unset (\`starter budget\` shows it; \`starter budget set --per-day <amount>\` sets one)`,
  );

  expect((await cli(['budget', 'set', '--per-day', '10'])).code).toBe(0);
  expect(
    (await budgets().reserve({ workflowId: 'pipeline-a', runId: randomUUID(), amount: 10 })).outcome,
  ).toBe('admitted');
  expect(
    (await budgets().reserve({ workflowId: 'pipeline-b', runId: randomUUID(), amount: 10 })).outcome,
  ).toBe('waiting');

  const unset = await cli(['budget', 'unset']);
  expect(unset.code).toBe(0);
  expect(unset.stdout).toBe(
    `fleet budget of ${bed.taskQueue} unset: its pipelines are held to none\n` +
      '  2 reservations still held ($20): settled as their jobs end, and counted again by a budget set later\n',
  );
  const state = await budgets().state();
  expect(state?.ledger.limit).toBeUndefined();
  expect(state?.ledger.waiters).toEqual([]);
  expect(
    (await budgets().reserve({ workflowId: 'pipeline-c', runId: randomUUID(), amount: 10 })).outcome,
  ).toBe('unlimited');

  const again = await cli(['budget', 'unset']);
  expect(again.code).toBe(2);
  expect(again.stderr).toContain(`no fleet budget is set for task queue ${bed.taskQueue}: nothing to unset`);
});

it('set below what is already spent and reserved warns and still sets', async () => {
  expect((await cli(['budget', 'set', '--per-day', '50'])).code).toBe(0);
  await budgets().reserve({ workflowId: 'pipeline-d', runId: randomUUID(), amount: 30 });
  const lower = await cli(['budget', 'set', '--per-day', '25']);
  expect(lower.code).toBe(0);
  expect(lower.stderr).toMatch(
    /^warning: the fleet has already spent \$0 and reserved \$\d+ today, \$\d+ above the new budget of \$25: nothing more is admitted until the window rolls at \S+, and the newest running jobs are stopped with a saved checkpoint until what the rest may cost fits$/m,
  );
  // No job reports a cost (these holders are no pipelines): each counts its whole reservation, so all are named, newest first.
  expect(lower.stderr).toMatch(
    /^to fit it, the fleet budget stops the newest first, each with a saved checkpoint \(their pipelines go on with the best checkpoint trained\): pipeline-d \(no cost reported yet of \$30\), .*pipeline-a \(no cost reported yet of \$10\)$/m,
  );
  expect(lower.stdout).toMatch(/^fleet budget of \S+: \$25 per day/);
  expect((await budgets().state())?.ledger.limit?.amount).toBe(25);

  const atIt = await cli(['budget', 'set', '--per-day', '1000']);
  expect(atIt.stderr).not.toContain('warning');
});

it('set --per-month holds the fleet to a 30-day window', async () => {
  const month = await cli(['budget', 'set', '--per-month', '900']);
  expect(month.code).toBe(0);
  expect(month.stdout).toMatch(/^fleet budget of \S+: \$900 per 30 days/);
  expect((await budgets().state())?.ledger.limit).toMatchObject({ amount: 900, windowMs: 30 * 86_400_000 });
});
