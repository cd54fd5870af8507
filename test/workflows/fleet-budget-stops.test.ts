import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { fleetBudgets } from '../../src/clients/fleet-budget';
import { DAY_MS } from '../../src/decisions/fleet-budget';
import { statusQuery } from '../../src/workflows/pipeline/contract';
import { fleetBudgetId } from '../../src/workflows/fleet-budget/contract';
import { fleetBudget } from '../../src/workflows';
import type { PipelineInput } from '../../src/domain/pipeline-input';
import { sweepTrialsQuery, trialWorkflowId } from '../../src/workflows/sweep/contract';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import {
  advanceUntil,
  startPipeline,
  useWorkflowTestBed,
  type WorkflowTestBed,
} from '../harness/workflow-env';

/**
 * The fleet budget stops the newest jobs when what the fleet spent and may still spend passes its limit:
 * on the time-skipping server against the sandbox (1 epoch of a100 costs $4.25). A window far longer
 * than a test, so it never rolls during one.
 */
const WINDOW_MS = 400 * DAY_MS;
let bed: WorkflowTestBed;
function ownBed(): void {
  const own = useWorkflowTestBed();
  beforeAll(() => {
    bed = own;
  });
}

const budgets = () => fleetBudgets(bed.env.client, bed.taskQueue);
const jobsOf = (name: string) =>
  [...bed.sandbox.state.jobs.values()].filter((j) => j.name.startsWith(`pipeline-${name}--`));
const pipeline = (name: string, epochs: number, maxCost: number) =>
  startPipeline(
    bed,
    pipelineInput(name, {
      train: tensoroneTrain({ config: { training: { epochs } } }),
      budget: { maxCost },
      cleanup: { enabled: false, retention: { keepLastN: 2 }, maxDeletes: 1000 },
    }),
  );

async function finished<T>(
  handles: { describe(): Promise<{ status: { name: string } }>; result(): Promise<T> }[],
) {
  await advanceUntil(bed.env, async () =>
    (await Promise.all(handles.map((h) => h.describe()))).every((d) => d.status.name !== 'RUNNING'),
  );
  return Promise.all(handles.map((h) => h.result()));
}

async function historyOf(workflowId: string): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  return (await bed.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

/** The inputs of the activities of this type a workflow scheduled. */
async function activityInputs<T>(workflowId: string, type: string): Promise<T[]> {
  return (await historyOf(workflowId))
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type)
    .map((e) =>
      defaultPayloadConverter.fromPayload<T>(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!),
    );
}

beforeEach(async () => {
  const workflowId = fleetBudgetId(bed.taskQueue);
  await bed.env.client.workflow
    .getHandle(workflowId)
    .terminate('next test')
    .catch(() => undefined);
  await bed.env.client.workflow.start(fleetBudget, { workflowId, taskQueue: bed.taskQueue, args: [{}] });
});

describe('a budget lowered below what the running jobs may cost', () => {
  ownBed();

  it('stops the newest job with a saved checkpoint and notifies the operator; the older keeps going, and both deploy', async () => {
    await bed.withWorker(() => budgets().set({ amount: 100, windowMs: WINDOW_MS }));
    await bed.withWorker(async () => {
      const older = await pipeline('fleet-older', 8, 40);
      await advanceUntil(bed.env, async () => jobsOf('fleet-older').length === 1);
      const newer = await pipeline('fleet-newer', 5, 22);
      // The newer job has trained an epoch (a checkpoint to go on with) and its cost reached the budget.
      const reported = await advanceUntil(bed.env, async () => {
        const state = await budgets().state();
        const r = state?.ledger.reservations.find((x) => x.workflowId === newer.workflowId);
        const trained = (jobsOf('fleet-newer')[0]?.completedEpochs ?? 0) >= 1;
        return r?.reported !== undefined && trained ? r.reported : undefined;
      });
      expect(jobsOf('fleet-newer')[0]!.status).toBe('running');

      expect(reported).toBeLessThan(21);
      // $40 + $22 may still be spent; at $61 stopping the newer (at what it reported) fits again.
      const lowered = await budgets().set({ amount: 61, windowMs: WINDOW_MS });
      expect(lowered.usage).toMatchObject({ limit: 61, reserved: 62 });

      const [olderResult, newerResult] = await finished([older, newer]);
      expect(newerResult.outcome).toBe('deployed');
      expect(newerResult.budgetStopped).toBe(true);
      expect(newerResult.fleetBudgetStopped).toMatch(
        /^the fleet budget of \$61 per 400d window is passed: spent \$0 and its running jobs may cost \$62 more; the newest job is stopped with a saved checkpoint$/,
      );
      expect(newerResult.cost).toBeGreaterThanOrEqual(reported);
      expect(newerResult.cost).toBeLessThan(22);
      const [newerJob] = jobsOf('fleet-newer');
      expect(newerJob!.status).toBe('stopped');
      expect(newerJob!.completedEpochs).toBeLessThan(5);

      expect(olderResult.outcome).toBe('deployed');
      expect(olderResult.budgetStopped).toBe(false);
      expect(olderResult.fleetBudgetStopped).toBeUndefined();
      expect(jobsOf('fleet-older')[0]!.status).toBe('completed');

      const state = await budgets().state();
      const byId = Object.fromEntries(state!.ledger.reservations.map((r) => [r.workflowId, r]));
      expect(byId[newer.workflowId]!.stopped?.reason).toBe(newerResult.fleetBudgetStopped);
      expect(byId[older.workflowId]!.stopped).toBeUndefined();
      // Each settled to its job's cost by the looks made.
      expect(byId[newer.workflowId]!.spent).toBe(newerResult.cost);
      expect(byId[older.workflowId]!.spent).toBe(olderResult.cost);

      // The operator was told, through the webhook notification, who was stopped and why.
      const notices = await activityInputs<{ kind: string; text: string }>(
        fleetBudgetId(bed.taskQueue),
        'notifyWebhook',
      );
      expect(notices).toEqual([
        expect.objectContaining({
          kind: 'fleet-budget-stopped',
          text: expect.stringMatching(
            new RegExp(
              `^the fleet budget of \\$61 .*: ${newer.workflowId} \\(cost so far \\$[\\d.]+ of \\$22\\)$`,
            ),
          ),
        }),
      ]);
      expect((await newer.query(statusQuery)).fleetBudget).toBe(
        `stopped by the fleet budget: ${newerResult.fleetBudgetStopped}`,
      );
    });
  });
});

describe('a queue with no budget', () => {
  ownBed();

  it('a pipeline makes no extra call or signal: nothing reported, no stop watched', async () => {
    const result = await bed.withWorker(async () => {
      const handle = await pipeline('fleet-none', 2, 10);
      const [result] = await finished([handle]);
      return { result: result!, workflowId: handle.workflowId };
    });
    expect(result.result.outcome).toBe('deployed');
    const events = await historyOf(result.workflowId);
    expect(events.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes)).toEqual([]);
    const markers = events
      .map((e) => e.markerRecordedEventAttributes?.details?.['patch_data']?.payloads?.[0])
      .filter((p): p is NonNullable<typeof p> => !!p)
      .map((p) => JSON.stringify(defaultPayloadConverter.fromPayload(p)));
    expect(markers.join(' ')).not.toContain('pipeline-fleet-budget-stops');
    expect(
      (await historyOf(fleetBudgetId(bed.taskQueue))).filter(
        (e) => e.workflowExecutionSignaledEventAttributes,
      ),
    ).toEqual([]);
  });
});

describe('a sweep whose trials hold the reservations', () => {
  ownBed();

  it('the newest trial is stopped as a budget stop, its best checkpoint still competing; the sweep deploys', async () => {
    // Room for both trials' reservations; each trains long enough to be stopped before it would finish.
    await bed.withWorker(() => budgets().set({ amount: 70, windowMs: WINDOW_MS }));
    const input = pipelineInput('fleet-sweep-stop', {
      train: {
        ...tensoroneTrain({ config: { training: { epochs: 6 } } }),
        sweep: { parameters: { 'training.learning_rate': [1e-5, 1e-3] }, parallel: 2 },
      } as PipelineInput['train'],
      budget: { maxCost: 30 },
      cleanup: { enabled: false, retention: { keepLastN: 2 }, maxDeletes: 1000 },
    });
    await bed.withWorker(async () => {
      const handle = await startPipeline(bed, input);
      const holders = [0, 1].map((i) => trialWorkflowId(handle.workflowId, i));
      // Both trials trained two epochs and reported what their job has cost (under $25.50, all 6 epochs).
      await advanceUntil(bed.env, async () => {
        const state = await budgets().state();
        const rows = (await handle.query(sweepTrialsQuery))?.trials ?? [];
        return (
          holders.every((h) => {
            const r = state?.ledger.reservations.find((x) => x.workflowId === h);
            return r?.reported !== undefined;
          }) && rows.every((t) => (t.epoch ?? 0) >= 2)
        );
      });
      const newest = (await budgets().state())!.ledger.reservations
        .filter((r) => holders.includes(r.workflowId))
        .sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? -1 : 1))
        .pop()!;
      const newestIndex = holders.indexOf(newest.workflowId);
      // $30 + $30 may still be spent; at $59 stopping the newest (at what it reported) fits again.
      await budgets().set({ amount: 59, windowMs: WINDOW_MS });

      const [result] = await finished([handle]);
      expect(result!.outcome).toBe('deployed');
      const rows = result!.sweep!.trials;
      expect(rows[newestIndex]).toMatchObject({
        state: 'budget-stopped',
        why: expect.stringMatching(
          /^stopped by the fleet budget: the fleet budget of \$59 per 400d window is passed/,
        ),
      });
      expect(rows[1 - newestIndex]!.state).toBe('completed');
      const state = await budgets().state();
      const byId = Object.fromEntries(state!.ledger.reservations.map((r) => [r.workflowId, r]));
      expect(byId[newest.workflowId]!.stopped).toBeDefined();
      expect(byId[holders[1 - newestIndex]!]!.stopped).toBeUndefined();
    });
  });
});
