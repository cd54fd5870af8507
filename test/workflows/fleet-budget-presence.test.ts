import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { fleetBudgets } from '../../src/clients/fleet-budget';
import { workflowExists } from '../../src/clients/long-lived';
import { DAY_MS } from '../../src/decisions/fleet-budget';
import { FLEET_BUDGET_PRESENCE_FRESH_MS } from '../../src/decisions/fleet-budget-presence';
import { fleetBudgetId } from '../../src/workflows/fleet-budget/contract';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { createActivities } from '../../src/activities';
import { pipelineWorkflowId } from '../../src/domain/pipeline-input';
import { createProviderClients } from '../../src/providers/config';
import { createWorker } from '../../src/worker-factory';
import { fineTuneToDeploy } from '../../src/workflows';
import { uniqueTaskQueue } from '../harness/temporal';
import { advanceUntil, startPipeline, useWorkflowTestBed } from '../harness/workflow-env';
import { testWorkerSettings } from '../harness/workflow-bundles';
import { scheduledActivities } from '../harness/history';

/**
 * A queue without a fleet budget: its pipelines ask their worker (an activity, answered from a cache per
 * worker process for a few seconds) and skip the reservation's round trips; once a budget is set, pipelines
 * that reach their reservation past the cache's freshness reserve as before. The blocks run in order on
 * one bed: the budget is set in the second, after the first found none.
 */
const bed = useWorkflowTestBed();

const budgets = () => fleetBudgets(bed.env.client, bed.taskQueue);
const jobsOf = (name: string) =>
  [...bed.sandbox.state.jobs.values()].filter((j) => j.name.startsWith(`pipeline-${name}--`));
const input = (name: string) =>
  pipelineInput(name, {
    train: tensoroneTrain({ config: { training: { epochs: 1 } } }),
    budget: { maxCost: 10 },
    cleanup: { enabled: false, retention: { keepLastN: 2 }, maxDeletes: 1000 },
  });
const pipeline = (name: string) => startPipeline(bed, input(name));

/** The activity types the pipeline scheduled, in order. */
async function activitiesOf(handle: WorkflowHandle): Promise<string[]> {
  return scheduledActivities((await handle.fetchHistory()).events ?? []).map((a) => a.name);
}

async function finished(handle: WorkflowHandle) {
  await advanceUntil(bed.env, async () => (await handle.describe()).status.name !== 'RUNNING');
  return handle.result();
}

it('no fleet budget set: the pipeline creates its job without reserving or settling', async () => {
  await bed.withWorker(async () => {
    const handle = await pipeline('no-budget');
    const result = await finished(handle);
    expect(result.outcome).toBe('deployed');
    expect(jobsOf('no-budget')).toHaveLength(1);
    const scheduled = await activitiesOf(handle);
    expect(scheduled).toContain('startTrainingJob');
    // Asked as an activity, never a local one: a local activity's answer may be recorded a workflow task
    // before the code after it ran, and replay then runs that code (and its patch questions) a task early.
    // One activity answers it and whether the worker has a webhook (`workerPresence`).
    expect(scheduled.indexOf('workerPresence')).toBeLessThan(scheduled.indexOf('startTrainingJob'));
    expect(scheduled.indexOf('workerPresence')).toBeGreaterThanOrEqual(0);
    expect(scheduled).not.toContain('fleetBudgetPresence');
    const { events } = await handle.fetchHistory();
    expect((events ?? []).map((e) => e.markerRecordedEventAttributes?.markerName)).not.toContain(
      'core_local_activity',
    );
    expect(scheduled).not.toContain('reserveFleetBudget');
    expect(scheduled).not.toContain('settleFleetBudget');
  });
  // Nothing started a budget workflow either.
  expect(await workflowExists(bed.env.client, fleetBudgetId(bed.taskQueue))).toBe(false);
});

it('a budget set after the worker found none is honoured once what it learned is stale: reserved and settled as before', async () => {
  await bed.withWorker(async () => {
    await budgets().set({ amount: 25, windowMs: 400 * DAY_MS });
    // Real time: the worker's cache counts on its own clock, not the test server's.
    await sleep(FLEET_BUDGET_PRESENCE_FRESH_MS + 200);
    const handle = await pipeline('budget-set');
    const result = await finished(handle);
    expect(result.outcome).toBe('deployed');
    const scheduled = await activitiesOf(handle);
    expect(scheduled.indexOf('reserveFleetBudget')).toBeGreaterThanOrEqual(0);
    expect(scheduled.indexOf('reserveFleetBudget')).toBeLessThan(scheduled.indexOf('startTrainingJob'));
    expect(scheduled).toContain('settleFleetBudget');
    const state = await budgets().state();
    expect(state?.ledger.reservations.map((r) => [r.workflowId, r.spent])).toEqual([
      [handle.workflowId, result.cost],
    ]);
  });
});

it('a worker that cannot tell (its lookup fails) does not skip: the pipeline reserves as before', async () => {
  // A queue of its own, never given a budget, whose worker's lookup fails as when Temporal cannot answer.
  const taskQueue = uniqueTaskQueue('presence-unknown');
  const providers = createProviderClients(bed.sandbox.endpoints);
  const worker = await createWorker(
    {
      connection: bed.env.nativeConnection,
      taskQueue,
      providers,
      settings: testWorkerSettings(),
      overrides: { shutdownGraceTime: 0 },
    },
    {
      ...createActivities(providers),
      fleetBudgetPresence: () => Promise.reject(new Error('the describe did not answer')),
      workerPresence: () => Promise.reject(new Error('the describe did not answer')),
    },
  );
  const spec = input('presence-unknown');
  const handle = await bed.env.client.workflow.start(fineTuneToDeploy, {
    args: [spec],
    taskQueue,
    workflowId: pipelineWorkflowId(spec.name),
  });
  // The bed's own worker runs too (a bed whose worker never ran does not tear down).
  const result = await bed.withWorker(() => worker.runUntil(finished(handle)));
  expect(result.outcome).toBe('deployed');
  const scheduled = await activitiesOf(handle);
  expect(scheduled.indexOf('reserveFleetBudget')).toBeGreaterThanOrEqual(0);
  expect(scheduled.indexOf('reserveFleetBudget')).toBeLessThan(scheduled.indexOf('startTrainingJob'));
});
