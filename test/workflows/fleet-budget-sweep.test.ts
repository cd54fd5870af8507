import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { fleetBudgets } from '../../src/clients/fleet-budget';
import { DAY_MS } from '../../src/decisions/fleet-budget';
import type { PipelineInput } from '../../src/domain/pipeline-input';
import { fleetBudgetId } from '../../src/workflows/fleet-budget/contract';
import { statusQuery } from '../../src/workflows/pipeline/contract';
import { sweepTrialsQuery, trialWorkflowId } from '../../src/workflows/sweep/contract';
import { fleetBudget } from '../../src/workflows';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import type { SimJob } from '../../sandbox/state';
import { advanceUntil, startPipeline, useWorkflowTestBed } from '../harness/workflow-env';

/**
 * A sweep held to the fleet budget on the time-skipping server against the sandbox: each trial reserves
 * its own job's budget.maxCost before creating it, waits in line while the fleet is full, and settles
 * its own job's cost when it ends. A window far longer than a test, so it never rolls during one.
 */
const WINDOW_MS = 400 * DAY_MS;
const bed = useWorkflowTestBed();

const budgets = () => fleetBudgets(bed.env.client, bed.taskQueue);
const setBudget = (amount: number) => bed.withWorker(() => budgets().set({ amount, windowMs: WINDOW_MS }));

/** A sweep of three learning rates over 2-epoch trials ($8.50 each on a100), all three at once. */
function sweepInput(name: string, budget: PipelineInput['budget'], sweep: Record<string, unknown> = {}) {
  return pipelineInput(name, {
    train: {
      ...tensoroneTrain({ config: { training: { epochs: 2 } } }),
      sweep: { parameters: { 'training.learning_rate': [1e-5, 1e-3, 1e-2] }, parallel: 3, ...sweep },
    } as PipelineInput['train'],
    ...(budget ? { budget } : {}),
    cleanup: { enabled: false, retention: { keepLastN: 2 }, maxDeletes: 1000 },
  });
}

function trialJobs(name: string): Map<number, SimJob> {
  const out = new Map<number, SimJob>();
  for (const job of bed.sandbox.state.jobs.values()) {
    const m = new RegExp(`^pipeline-${name}--r[0-9a-f]{12}--trial-(\\d+)-`).exec(job.name);
    if (m) out.set(Number(m[1]), job);
  }
  return out;
}

/** The most jobs that trained at once: each create counted against those created before and not ended. */
function mostAtOnce(jobs: SimJob[]): number {
  return Math.max(
    0,
    ...jobs.map(
      (j) =>
        jobs.filter(
          (o) => o.createdAtMs <= j.createdAtMs && (o.endedAtMs === undefined || o.endedAtMs > j.createdAtMs),
        ).length,
    ),
  );
}

beforeEach(async () => {
  // Each test starts from an empty ledger: a fresh run, not one that reads the run before.
  const workflowId = fleetBudgetId(bed.taskQueue);
  await bed.env.client.workflow
    .getHandle(workflowId)
    .terminate('next test')
    .catch(() => undefined);
  await bed.env.client.workflow.start(fleetBudget, { workflowId, taskQueue: bed.taskQueue, args: [{}] });
});

describe('a sweep under a fleet budget', () => {
  it('each trial reserves its budget.maxCost before its job: two of three train at once under $28, the third waits in line, and each settles its own job’s cost', async () => {
    await setBudget(28);
    const { result, waitingRow, pipelineId } = await bed.withWorker(async () => {
      const handle = await startPipeline(bed, sweepInput('sweep-fleet', { maxCost: 10 }));
      // Two reservations of $10 fit in $28, a third does not: the sweep's table shows it in line.
      const waitingRow = await advanceUntil(bed.env, async () =>
        (await handle.query(sweepTrialsQuery))?.trials.find((t) => t.state === 'awaiting-budget'),
      );
      return { result: await handle.result(), waitingRow, pipelineId: handle.workflowId };
    });
    expect(result.outcome).toBe('deployed');
    expect(waitingRow.why).toMatch(/^awaiting budget: fleet at \$20 of \$28 this window/);
    expect(waitingRow.jobId).toBeUndefined();

    const jobs = trialJobs('sweep-fleet');
    expect([...jobs.keys()].sort()).toEqual([0, 1, 2]);
    // The third starts once both first trials settled their $8.50 each: 17 + 10 fits in 28.
    expect(mostAtOnce([...jobs.values()])).toBe(2);

    // The ledger holds one reservation per trial, each settled to its own job's cost.
    const state = await budgets().state();
    const spent = Object.fromEntries(state!.ledger.reservations.map((r) => [r.workflowId, r.spent]));
    const expected = Object.fromEntries(
      [...jobs].map(([i, job]) => [trialWorkflowId(pipelineId, i), bed.sandbox.state.cost(job)]),
    );
    expect(Object.keys(spent).sort()).toEqual(Object.keys(expected).sort());
    for (const [holder, cost] of Object.entries(expected)) expect(spent[holder]).toBeCloseTo(cost, 1);
    // What the fleet recorded is what the sweep spent, not its winner's cost alone.
    const recorded = Object.values(spent).reduce<number>((s, x) => s + (x ?? 0), 0);
    expect(recorded).toBeCloseTo(result.sweep!.cost, 1);
    expect(state!.usage).toMatchObject({ reserved: 0, waiting: 0 });
  });

  it('a sweep whose only trial in flight waits in line shows the pipeline awaiting-budget, and training again once admitted', async () => {
    // Room for both trials once the other run settles: the second ($10) fits beside the first's $8.50.
    // With $10 it fitted only once the window rolled, days of virtual time later, and only because the
    // 400-day window (aligned to the epoch) happened to roll on 2026-12-13; after that, never in a test.
    await setBudget(20);
    // Someone else holds the whole budget.
    const other = { workflowId: 'pipeline-other', runId: randomUUID() };
    await bed.withWorker(() => budgets().reserve({ ...other, amount: 20 }));
    const seen = await bed.withWorker(async () => {
      const handle = await startPipeline(
        bed,
        sweepInput(
          'sweep-blocked',
          { maxCost: 10 },
          { parameters: { 'training.learning_rate': [1e-5, 1e-3] }, parallel: 1 },
        ),
      );
      const waiting = await advanceUntil(bed.env, async () => {
        const s = await handle.query(statusQuery);
        return s.phase === 'awaiting-budget' ? s : undefined;
      });
      expect(trialJobs('sweep-blocked').size).toBe(0);
      await budgets().settle({ ...other, spent: 0 });
      const training = await advanceUntil(bed.env, async () => {
        const s = await handle.query(statusQuery);
        return s.phase === 'training' && trialJobs('sweep-blocked').size === 1 ? s : undefined;
      });
      return { waiting, training, result: await handle.result() };
    });
    expect(seen.waiting.fleetBudget).toMatch(
      /^awaiting budget: fleet at \$20 of \$20 this window \(1 waiting;/,
    );
    expect(seen.training.phase).toBe('training');
    expect(seen.result.outcome).toBe('deployed');
  });

  it('trials paused and resumed at a rung keep their reservation, and each settles its own job’s whole cost', async () => {
    await setBudget(40);
    const { result, pipelineId } = await bed.withWorker(async () => {
      const handle = await startPipeline(
        bed,
        sweepInput(
          'sweep-rung-budget',
          { maxCost: 10 },
          {
            parameters: { 'training.learning_rate': [1e-5, 1e-4, 1e-3, 1e-2] },
            parallel: 2,
            halving: { rungs: [1], keep: 0.5 },
          },
        ),
      );
      return { result: await handle.result(), pipelineId: handle.workflowId };
    });
    expect(result.outcome).toBe('deployed');
    const jobs = trialJobs('sweep-rung-budget');
    expect(jobs.size).toBe(4);
    // A trial was paused at rung 1 (a checkpoint saved at epoch 1), then resumed and trained to the end.
    const resumed = [...jobs.values()].filter(
      (j) =>
        j.status === 'completed' &&
        bed.sandbox.state.checkpoints.everOfJob(j.id).some((c) => c.type === 'final' && c.epoch === 1),
    );
    expect(resumed.length).toBeGreaterThan(0);
    const state = await budgets().state();
    const spent = Object.fromEntries(state!.ledger.reservations.map((r) => [r.workflowId, r.spent]));
    for (const [i, job] of jobs)
      expect(spent[trialWorkflowId(pipelineId, i)]).toBeCloseTo(bed.sandbox.state.cost(job), 1);
    expect(state!.usage).toMatchObject({ reserved: 0, waiting: 0 });
  });

  it('a sweep without budget.maxCost is refused naming budget.maxCost and what each trial reserves, before any trial job is created', async () => {
    await setBudget(500);
    const failure = await bed.withWorker(async () =>
      (await startPipeline(bed, sweepInput('sweep-unbounded', undefined, { maxCost: 400 })))
        .result()
        .catch((e: unknown) => e),
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause?.message).toMatch(
      /^budget\.maxCost is needed while this task queue has a fleet budget.*each sweep trial reserves budget\.maxCost, the most its own job may cost, before its job is created; no trial job was created\)$/,
    );
    expect(trialJobs('sweep-unbounded').size).toBe(0);
    expect((await budgets().state())?.usage).toMatchObject({ spent: 0, reserved: 0, waiting: 0 });
  });
});
