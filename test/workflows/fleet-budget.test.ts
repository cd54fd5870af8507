import { WorkflowFailedError, type WorkflowUpdateFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { fleetBudgets } from '../../src/clients/fleet-budget';
import { DAY_MS } from '../../src/decisions/fleet-budget';
import { cancelUpdate, statusQuery } from '../../src/workflows/pipeline/contract';
import { fleetBudgetId } from '../../src/workflows/fleet-budget/contract';
import { fleetBudget } from '../../src/workflows';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import {
  advanceUntil,
  startPipeline,
  useWorkflowTestBed,
  type WorkflowTestBed,
} from '../harness/workflow-env';

/**
 * A task queue's fleet budget on the time-skipping server against the sandbox: pipelines reserve their
 * job's budget.maxCost before creating it, wait in line while the fleet is at its limit, and go on when
 * a job's end frees enough. A window far longer than a test, so it never rolls during one.
 */
const WINDOW_MS = 400 * DAY_MS;
let bed: WorkflowTestBed;
/** A bed of its own for each block: a pipeline started on a bed that has run the others stalled. */
function ownBed(): void {
  const own = useWorkflowTestBed();
  beforeAll(() => {
    bed = own;
  });
}

const budgets = () => fleetBudgets(bed.env.client, bed.taskQueue);
/** Updates need the worker running. */
const setBudget = (amount: number) => bed.withWorker(() => budgets().set({ amount, windowMs: WINDOW_MS }));
const jobsOf = (name: string) =>
  [...bed.sandbox.state.jobs.values()].filter((j) => j.name.startsWith(`pipeline-${name}--`));
/** 1 epoch of a100 costs $4.25 in the sandbox; each pipeline reserves $10. */
const pipeline = (name: string, epochs: number, maxCost = 10, whenFleetFull?: 'wait' | 'fail') =>
  startPipeline(
    bed,
    pipelineInput(name, {
      train: tensoroneTrain({ config: { training: { epochs } } }),
      budget: { maxCost, ...(whenFleetFull ? { whenFleetFull } : {}) },
      cleanup: { enabled: false, retention: { keepLastN: 2 }, maxDeletes: 1000 },
    }),
  );

/**
 * Their results, virtual time stepped until each has ended: with several pipelines and the budget in
 * flight the server's own skipping stalls (it waits in real time).
 */
async function finished<T>(
  handles: { describe(): Promise<{ status: { name: string } }>; result(): Promise<T> }[],
) {
  await advanceUntil(bed.env, async () =>
    (await Promise.all(handles.map((h) => h.describe()))).every((d) => d.status.name !== 'RUNNING'),
  );
  return Promise.all(handles.map((h) => h.result()));
}

/** The summaries of the timers a workflow started, as the Web UI shows them. */
async function timerSummaries(workflowId: string): Promise<string[]> {
  const { events } = await bed.env.client.workflow.getHandle(workflowId).fetchHistory();
  return (events ?? [])
    .filter((e) => e.timerStartedEventAttributes && e.userMetadata?.summary)
    .map((e) => defaultPayloadConverter.fromPayload<string>(e.userMetadata!.summary!));
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

describe('pipelines in line', () => {
  ownBed();

  it('three pipelines against a budget of $25 at $10 each: the third waits, then starts when the shortest job ends', async () => {
    await setBudget(25);
    await bed.withWorker(async () => {
      const short = await pipeline('fleet-short', 1);
      const long = await pipeline('fleet-long', 4);
      await advanceUntil(
        bed.env,
        async () => jobsOf('fleet-short').length + jobsOf('fleet-long').length === 2,
      );
      const third = await pipeline('fleet-third', 1);

      const waiting = await advanceUntil(bed.env, async () => {
        const s = await third.query(statusQuery);
        return s.phase === 'awaiting-budget' ? s : undefined;
      });
      expect(waiting.fleetBudget).toMatch(/^awaiting budget: fleet at \$20 of \$25 this window \(1 waiting;/);
      // The Web UI shows why it waits on the wait's timer.
      expect(await timerSummaries(third.workflowId)).toContainEqual(
        expect.stringMatching(/^awaiting budget: fleet at \$20 of \$25 this window \(1 waiting;/),
      );
      expect(jobsOf('fleet-third')).toHaveLength(0);
      expect((await budgets().state())?.ledger.waiters.map((w) => w.workflowId)).toEqual([third.workflowId]);

      const results = await finished([short, long, third]);
      expect(results.map((r) => r.outcome)).toEqual(['deployed', 'deployed', 'deployed']);
      // Started once the short job ended ($4.25 of its $10: 4.25 + 10 + 10 fits in 25), while the long one trained.
      const [shortJob] = jobsOf('fleet-short');
      const [longJob] = jobsOf('fleet-long');
      const [thirdJob] = jobsOf('fleet-third');
      expect(thirdJob!.createdAtMs).toBeGreaterThanOrEqual(shortJob!.endedAtMs!);
      expect(thirdJob!.createdAtMs).toBeLessThan(longJob!.endedAtMs!);
      // Each reservation settled to what its job cost, as the looks reported it.
      const state = await budgets().state();
      const spent = Object.fromEntries(state!.ledger.reservations.map((r) => [r.workflowId, r.spent]));
      expect(spent).toEqual({
        [short.workflowId]: results[0].cost,
        [long.workflowId]: results[1].cost,
        [third.workflowId]: results[2].cost,
      });
      expect(state!.usage).toMatchObject({ reserved: 0, waiting: 0 });
    });
  });
});

describe('cancelled in line', () => {
  ownBed();

  it('a pipeline cancelled while it waits for the budget creates no job and leaves the line', async () => {
    await setBudget(10);
    await bed.withWorker(async () => {
      const first = await pipeline('fleet-first', 2);
      await advanceUntil(bed.env, async () => jobsOf('fleet-first').length === 1);
      const waiting = await pipeline('fleet-cancelled', 1);
      await advanceUntil(bed.env, async () => (await waiting.query(statusQuery)).phase === 'awaiting-budget');
      const answer = await waiting.executeUpdate(cancelUpdate, { args: [{ reason: 'test' }] });
      expect(answer.effects).toEqual(['the wait for the fleet budget ends: no training job is created']);
      const [cancelled] = await finished([waiting]);
      expect(cancelled!.outcome).toBe('cancelled');
      expect((await budgets().state())?.ledger.waiters).toEqual([]);
      await finished([first]);
    });
    expect(jobsOf('fleet-cancelled')).toHaveLength(0);
    expect((await budgets().state())?.usage).toMatchObject({ reserved: 0, waiting: 0 });
  });
});

describe('terminated in line', () => {
  ownBed();

  it('a pipeline terminated while it waits leaves the line once silent for three asks: the one behind it starts while the first job still trains', async () => {
    // $250: the holder's $100 (15 epochs of 10 minutes) leaves $150, too little for the $200 first in line.
    await setBudget(250);
    await bed.withWorker(async () => {
      const holder = await pipeline('fleet-holder', 15, 100);
      await advanceUntil(bed.env, async () => jobsOf('fleet-holder').length === 1);
      const terminated = await pipeline('fleet-terminated', 1, 200);
      await advanceUntil(
        bed.env,
        async () => (await terminated.query(statusQuery)).phase === 'awaiting-budget',
      );
      const behind = await pipeline('fleet-behind', 1, 50);
      await advanceUntil(bed.env, async () => (await behind.query(statusQuery)).phase === 'awaiting-budget');
      await terminated.terminate('terminated in line by the operator');

      const [behindResult] = await finished([behind]);
      expect(behindResult!.outcome).toBe('deployed');
      // $150 was free all along; before, the terminated $200 first in line held it until the holder's job ended.
      const [holderJob] = jobsOf('fleet-holder');
      const [behindJob] = jobsOf('fleet-behind');
      expect(holderJob!.endedAtMs ?? Number.POSITIVE_INFINITY).toBeGreaterThan(behindJob!.createdAtMs);
      expect(jobsOf('fleet-terminated')).toHaveLength(0);
      expect((await budgets().state())?.ledger.waiters).toEqual([]);
      await finished([holder]);
    });
  });
});

describe('refusals', () => {
  ownBed();

  it('a budget.maxCost larger than the whole fleet budget is refused, naming the field, before any job is created', async () => {
    await setBudget(10);
    const failure = await bed.withWorker(async () => {
      const handle = await pipeline('fleet-too-big', 1, 11);
      return handle.result().catch((e: unknown) => e);
    });
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String(((failure as WorkflowFailedError).cause?.cause as Error | undefined)?.message)).toMatch(
      /^budget\.maxCost \(\$11\) is more than the whole fleet budget \(\$10 per 400d window\)/,
    );
    expect(jobsOf('fleet-too-big')).toHaveLength(0);
  });

  it('budget.whenFleetFull fail: a pipeline the full fleet would hold fails naming the field, creating no job and joining no line', async () => {
    await setBudget(10);
    const failure = await bed.withWorker(async () => {
      const first = await pipeline('fleet-holder', 2);
      await advanceUntil(bed.env, async () => jobsOf('fleet-holder').length === 1);
      const refused = await pipeline('fleet-no-wait', 1, 10, 'fail');
      const failure = await refused.result().catch((e: unknown) => e);
      expect((await budgets().state())?.ledger.waiters).toEqual([]);
      await finished([first]);
      return failure;
    });
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String(((failure as WorkflowFailedError).cause?.cause as Error | undefined)?.message)).toMatch(
      /^budget\.whenFleetFull is "fail" and the fleet budget is full \(fleet at \$10 of \$10 this window/,
    );
    expect(jobsOf('fleet-no-wait')).toHaveLength(0);
  });

  it('a budget of NaN is refused by the update, naming the flag, and changes nothing', async () => {
    const refusal = await setBudget(NaN).catch(
      (e: unknown) => (e as WorkflowUpdateFailedError).cause?.message,
    );
    expect(refusal).toMatch(/^--per-day must be an amount above 0/);
    expect((await budgets().state())?.ledger.limit).toBeUndefined();
  });
});
