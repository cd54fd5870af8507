import type { SweepStatus } from '../../src/workflows/sweep/contract';
import {
  decideRungs,
  hasPromoted,
  resumeOrders,
  trainingCount,
  type SweepOrder,
} from '../../src/workflows/sweep/promotions';
import { sweepAwaitingBudget, takeReport, type RungsSoFar } from '../../src/workflows/sweep/reports';

function table(over: Partial<SweepStatus> = {}, trials = 4): SweepStatus {
  return {
    strategy: 'grid',
    parallel: trials,
    metric: 'validationLoss',
    direction: 'minimize',
    rungs: [1, 2],
    keep: 0.5,
    cost: 0,
    trials: Array.from({ length: trials }, (_, index) => ({
      index,
      params: { 'training.learning_rate': index },
      state: 'training' as const,
      rungs: [],
    })),
    ...over,
  };
}

describe("the sweep's trial reports", () => {
  it('a rung report judges the trial against those at the rung before it, and stops a loser once', () => {
    const t = table();
    const soFar: RungsSoFar = new Map();
    expect(takeReport(t, soFar, { index: 0, rung: { epoch: 1, value: 0.5 } })).toEqual([]);
    const stops = takeReport(t, soFar, { index: 1, rung: { epoch: 1, value: 0.6 } });
    expect(stops).toEqual([
      {
        index: 1,
        order: {
          end: 'rung-stopped',
          reason: 'at epoch 1 validationLoss 0.6: rank 2 of 2 at this rung, the best 1 train on',
        },
      },
    ]);
    expect(t.trials[1]).toMatchObject({ state: 'stopping', rungs: [{ epoch: 1, value: 0.6, stop: true }] });
    // The same rung again (a repeated report) is not judged twice.
    expect(takeReport(t, soFar, { index: 1, rung: { epoch: 1, value: 0.6 } })).toEqual([]);
    expect(soFar.get(1)).toEqual([0.5, 0.6]);
  });

  it('a trial told to stop that reaches the next rung first is not judged there, nor counted against the others', () => {
    const t = table();
    const soFar: RungsSoFar = new Map();
    takeReport(t, soFar, { index: 0, rung: { epoch: 1, value: 0.5 } });
    takeReport(t, soFar, { index: 1, rung: { epoch: 1, value: 0.6 } });
    // Trial 1's stop has not landed yet: it reports rung 2, with a value better than trial 0 will have.
    expect(takeReport(t, soFar, { index: 1, rung: { epoch: 2, value: 0.1 } })).toEqual([]);
    expect(t.trials[1].rungs.map((g) => g.epoch)).toEqual([1]);
    expect(soFar.get(2)).toBeUndefined();
    // Trial 0 is then the first at rung 2: it trains on.
    expect(takeReport(t, soFar, { index: 0, rung: { epoch: 2, value: 0.3 } })).toEqual([]);
    expect(t.trials[0].rungs[1]).toMatchObject({ epoch: 2, stop: false, rank: 1, of: 1 });
  });

  it('no metric at a rung (null in JSON) is unsure: the trial trains on', () => {
    const t = table();
    const soFar: RungsSoFar = new Map();
    takeReport(t, soFar, { index: 0, rung: { epoch: 1, value: 0.5 } });
    expect(takeReport(t, soFar, { index: 1, rung: { epoch: 1, value: null } })).toEqual([]);
    expect(t.trials[1].state).toBe('training');
  });

  it("the sweep's budget, reached exactly, stops every trial still training, once; without halving no rung is judged", () => {
    const t = table({ maxCost: 10, keep: undefined, rungs: [] });
    const soFar: RungsSoFar = new Map();
    t.trials[3].state = 'completed';
    expect(takeReport(t, soFar, { index: 0, cost: 4, rung: { epoch: 1, value: 9 } })).toEqual([]);
    expect(t.trials[0].rungs).toEqual([]);
    const stops = takeReport(t, soFar, { index: 1, cost: 6 });
    expect(stops.map((s) => [s.index, 'order' in s && s.order.end])).toEqual([
      [0, 'budget-stopped'],
      [1, 'budget-stopped'],
      [2, 'budget-stopped'],
    ]);
    expect('order' in stops[0] && stops[0].order.reason).toBe("the sweep's cost 10 reached its budget 10");
    expect(t.budgetReached).toBe(true);
    expect(takeReport(t, soFar, { index: 2, cost: 1 })).toEqual([]);
  });

  it('a trial in line for the fleet budget shows it, and trains once it tells its job', () => {
    const t = table();
    const why = 'awaiting budget: fleet at $20 of $28 today (1 waiting; the window rolls at …)';
    expect(takeReport(t, new Map(), { index: 2, awaitingBudget: why })).toEqual([]);
    expect(t.trials[2]).toMatchObject({ state: 'awaiting-budget', why });
    expect(t.trials[2].jobId).toBeUndefined();
    takeReport(t, new Map(), { index: 2, jobId: 'job_2', status: 'pending' });
    expect(t.trials[2]).toMatchObject({ state: 'training', jobId: 'job_2' });
    expect(t.trials[2].why).toBeUndefined();
  });

  it("a late in-line report does not take back a trial already stopped; the sweep's budget stops one in line too", () => {
    const t = table({ maxCost: 10, keep: undefined, rungs: [] });
    const soFar: RungsSoFar = new Map();
    t.trials[0].state = 'stopping';
    takeReport(t, soFar, { index: 0, awaitingBudget: 'awaiting budget: …' });
    expect(t.trials[0].state).toBe('stopping');
    takeReport(t, soFar, { index: 3, awaitingBudget: 'awaiting budget: …' });
    expect(t.trials[3].state).toBe('awaiting-budget');
    const stops = takeReport(t, soFar, { index: 1, cost: 10 });
    expect(stops.map((s) => s.index)).toEqual([1, 2, 3]);
    expect(t.trials[3].state).toBe('stopping');
  });

  it("each look's metric and each rung's value keep the trial's best seen; a worse look or none keeps it", () => {
    const t = table();
    const soFar: RungsSoFar = new Map();
    takeReport(t, soFar, { index: 0, metric: 1.4 });
    takeReport(t, soFar, { index: 0, metric: 1.1 });
    expect(t.trials[0]).toMatchObject({ metric: 1.1, bestSeen: 1.1 });
    takeReport(t, soFar, { index: 0, metric: 1.3 });
    takeReport(t, soFar, { index: 0, cost: 5 });
    expect(t.trials[0]).toMatchObject({ metric: 1.3, bestSeen: 1.1 });
    // A rung's value is its best checkpoint up to there: better than any look saw.
    takeReport(t, soFar, { index: 0, rung: { epoch: 1, value: 0.95 } });
    expect(t.trials[0].bestSeen).toBe(0.95);
    takeReport(t, soFar, { index: 1, rung: { epoch: 1, value: null } });
    expect(t.trials[1].bestSeen).toBeUndefined();
  });

  it('a report from an unknown trial changes nothing', () => {
    const t = table();
    expect(takeReport(t, new Map(), { index: 9, cost: 100 })).toEqual([]);
    expect(t.cost).toBe(0);
  });
});

describe('the whole sweep awaiting the fleet budget', () => {
  it('a trial in line takes a slot of `parallel`, and counts as coming to the rungs', () => {
    const t = table({}, 3);
    t.trials[0].state = 'awaiting-budget';
    t.trials[1].state = 'paused';
    t.trials[2].state = 'waiting';
    expect(trainingCount(t)).toBe(1);
  });

  const why = 'awaiting budget: fleet at $10 of $10 today (1 waiting; the window rolls at …)';
  const states = (...s: SweepStatus['trials'][number]['state'][]) => {
    const t = table({}, s.length);
    s.forEach((state, i) => {
      t.trials[i].state = state;
      if (state === 'awaiting-budget') t.trials[i].why = why;
    });
    return t;
  };

  it('waits when a trial is in line and none trains: ended and unstarted trials do not count', () => {
    expect(sweepAwaitingBudget(states('awaiting-budget', 'waiting'))).toBe(why);
    expect(sweepAwaitingBudget(states('completed', 'rung-stopped', 'awaiting-budget', 'waiting'))).toBe(why);
  });

  it('does not wait while a trial trains or is stopping, nor with nobody in line, nor with no trials', () => {
    expect(sweepAwaitingBudget(states('awaiting-budget', 'training'))).toBeUndefined();
    expect(sweepAwaitingBudget(states('stopping', 'awaiting-budget'))).toBeUndefined();
    expect(sweepAwaitingBudget(states('completed', 'waiting'))).toBeUndefined();
    expect(sweepAwaitingBudget({ trials: [] })).toBeUndefined();
  });
});

describe("the sweep's rungs with pauses (a trial waits at a rung until it is sure to be among the best)", () => {
  // 4 trials, rungs at epochs 1 and 2, keep 1/2: 4 can reach epoch 1, 2 epoch 2.
  const quotas = [4, 2];
  const holds = (orders: SweepOrder[]) =>
    orders.map((o) => ('hold' in o ? [o.index, o.hold.hold] : [o.index, o.order.end]));

  it('the first trial at a rung is paused, not trained on; the last to come decides them all', () => {
    const t = table();
    const soFar: RungsSoFar = new Map();
    expect(holds(takeReport(t, soFar, { index: 0, rung: { epoch: 1, value: 0.5 } }, quotas))).toEqual([
      [0, 'pause'],
    ]);
    expect(t.trials[0]).toMatchObject({ state: 'paused', pausedAt: 1, rungs: [{ epoch: 1, waiting: true }] });
    // Trial 1 is better than trial 0 but two more are to come: it waits too.
    expect(holds(takeReport(t, soFar, { index: 1, rung: { epoch: 1, value: 0.2 } }, quotas))).toEqual([
      [1, 'pause'],
    ]);
    // Two already do better than 0.9 and only 2 of 4 train on: stopped for good at once. Trial 1, best
    // with one to come, is sure to be among the 2: promoted (resumed once a slot is free).
    expect(holds(takeReport(t, soFar, { index: 2, rung: { epoch: 1, value: 0.9 } }, quotas))).toEqual([
      [2, 'rung-stopped'],
    ]);
    // The last decides the rest: trial 3 trains on, trial 0 is stopped for good.
    expect(holds(takeReport(t, soFar, { index: 3, rung: { epoch: 1, value: 0.1 } }, quotas))).toEqual([
      [0, 'rung-stopped'],
    ]);
    expect(t.trials.map((r) => r.state)).toEqual(['stopping', 'promoted', 'stopping', 'training']);
    expect(t.trials[1].rungs[0]).toEqual({ epoch: 1, value: 0.2, stop: false, rank: 1, of: 4, kept: 2 });
    expect(t.trials[0].rungs[0]).toMatchObject({ stop: true, rank: 3 });
  });

  it('a trial sure to be among the best trains on without a pause', () => {
    const t = table({ rungs: [1] }, 4);
    const soFar: RungsSoFar = new Map();
    takeReport(t, soFar, { index: 0, rung: { epoch: 1, value: 0.5 } }, [4]);
    takeReport(t, soFar, { index: 1, rung: { epoch: 1, value: 0.6 } }, [4]);
    // 2 kept of 4; the third, best so far, with one to come: rank 1 + 1 ≤ 2, and trial 1 (now 3rd) is out.
    const orders = takeReport(t, soFar, { index: 2, rung: { epoch: 1, value: 0.1 } }, [4]);
    expect(holds(orders)).toEqual([[1, 'rung-stopped']]);
    expect(t.trials[2].state).toBe('training');
    expect(t.trials[2].rungs[0]).toEqual({ epoch: 1, value: 0.1, stop: false, rank: 1, of: 4, kept: 2 });
  });

  it('a trial that ends below a rung no longer counts as coming to it: the rung decides without it', () => {
    const t = table();
    const soFar: RungsSoFar = new Map();
    takeReport(t, soFar, { index: 0, rung: { epoch: 1, value: 0.5 } }, quotas);
    takeReport(t, soFar, { index: 1, rung: { epoch: 1, value: 0.2 } }, quotas);
    t.trials[2].state = 'failed';
    t.trials[3].state = 'failed';
    // 2 at the rung, none to come: the best 1 trains on.
    expect(holds(decideRungs(t, quotas))).toEqual([[0, 'rung-stopped']]);
    expect(t.trials[1].state).toBe('promoted');
  });

  it('a trial judged at a later rung with no value at an earlier one is not awaited there: the two rungs do not wait on each other', () => {
    // Rungs at epochs 1, 2 and 4. Trial 1's report at epoch 2 was not taken (it came while it was being
    // paused at epoch 1); resumed, it reported epoch 4 and waits there for trial 3, which waits at
    // epoch 2 for trial 1: without the rule, both wait for good.
    const t = table({ rungs: [1, 2, 4] });
    const at = (epoch: number, value: number, decided?: 'promoted' | 'stopped') => ({
      epoch,
      value,
      stop: decided === 'stopped',
      of: 4,
      kept: 2,
      ...(decided ? {} : { waiting: true }),
    });
    t.trials[0] = {
      ...t.trials[0],
      state: 'stopping',
      rungs: [at(1, 1.9, 'promoted'), at(2, 0.5, 'stopped')],
    };
    t.trials[1] = {
      ...t.trials[1],
      state: 'paused',
      pausedAt: 4,
      rungs: [at(1, 1.8, 'promoted'), at(4, 0.3)],
    };
    t.trials[2] = {
      ...t.trials[2],
      state: 'completed',
      rungs: [at(1, 1.7, 'promoted'), at(2, 0.2, 'promoted')],
    };
    t.trials[3] = {
      ...t.trials[3],
      state: 'paused',
      pausedAt: 2,
      rungs: [at(1, 2.0, 'promoted'), at(2, 0.4)],
    };
    expect(holds(decideRungs(t, [4, 4, 2]))).toEqual([[3, 'rung-stopped']]);
    expect(t.trials[1].state).toBe('promoted');
  });

  it('promoted trials resume only into free slots, the furthest rung first; none once the budget is reached', () => {
    const t = table({ parallel: 2 });
    t.trials[0] = { ...t.trials[0], state: 'promoted', pausedAt: 1 };
    t.trials[1] = { ...t.trials[1], state: 'promoted', pausedAt: 2 };
    t.trials[2] = { ...t.trials[2], state: 'promoted', pausedAt: 1 };
    t.trials[3] = { ...t.trials[3], state: 'training' };
    expect(holds(resumeOrders(t, 2))).toEqual([[1, 'resume']]);
    expect(t.trials[1]).toMatchObject({ state: 'training' });
    expect(t.trials[1].pausedAt).toBeUndefined();
    expect(resumeOrders(t, 2)).toEqual([]);
    t.trials[3].state = 'completed';
    t.budgetReached = true;
    expect(resumeOrders(t, 2)).toEqual([]);
    expect(hasPromoted(t)).toBe(true);
  });

  it("the sweep's budget stops paused and promoted trials too, and they no longer take a slot", () => {
    const t = table({ maxCost: 10 });
    t.trials[0] = { ...t.trials[0], state: 'paused', pausedAt: 1 };
    t.trials[1] = { ...t.trials[1], state: 'promoted', pausedAt: 1 };
    const orders = takeReport(t, new Map(), { index: 2, cost: 10 }, quotas);
    expect(holds(orders)).toEqual([
      [0, 'budget-stopped'],
      [1, 'budget-stopped'],
      [2, 'budget-stopped'],
      [3, 'budget-stopped'],
    ]);
    // Stopping a paused trial stops no training: only trials 2 and 3 were training.
    expect(trainingCount(t)).toBe(2);
  });
});
