import { renderSweep, type SweepTrialCurve } from '../../src/cli/report-sweep';
import type { SweepStatus, TrialRow } from '../../src/workflows/sweep/contract';

/** Where each trial's curve starts on the chart: the path's first point. */
const firstPoints = (html: string) =>
  [...html.matchAll(/<path class="trial-curve[^"]*" data-trial="(\d+)" d="M([\d.]+),([\d.]+)/g)].map(
    ([, trial, x, y]) => ({ trial: Number(trial), x: Number(x), y: Number(y) }),
  );

const row = (index: number): TrialRow => ({
  index,
  params: { learning_rate: 0.001 * (index + 1) },
  state: 'rung-stopped',
  rungs: [],
});

it("draws every trial's points at their own values: the worst first epoch is not clamped onto another's", () => {
  // Twenty trials whose first epochs lie between 1.0 and 1.95, and one poor trial far above them.
  const trials: SweepTrialCurve[] = Array.from({ length: 21 }, (_, i) => ({
    row: row(i),
    points: [
      { epoch: 1, value: i === 20 ? 3.0 : 1 + i * 0.05 },
      { epoch: 2, value: 0.9 },
    ],
  }));
  const table: SweepStatus = {
    strategy: 'grid',
    parallel: 4,
    metric: 'validationLoss',
    direction: 'minimize',
    rungs: [1],
    cost: 10,
    trials: trials.map((t) => t.row),
  };
  const starts = firstPoints(renderSweep({ table, trials }));
  expect(starts).toHaveLength(21);
  const poor = starts.find((s) => s.trial === 20)!;
  const nextWorst = starts.find((s) => s.trial === 19)!;
  // Higher loss is higher on the chart (smaller y): the poor trial stands clear above the next worst.
  expect(poor.y).toBeLessThan(nextWorst.y - 20);
});

it("a trial stopped at a rung is placed among the trials there then, beside how many of the rung's go on", () => {
  const stopped: TrialRow = {
    ...row(1),
    rungs: [{ epoch: 1, value: 2.13, stop: true, rank: 5, of: 8, kept: 4 }],
  };
  const paused: TrialRow = {
    ...row(2),
    state: 'paused',
    rungs: [{ epoch: 1, value: 1.5, waiting: true, stop: false, rank: 2, of: 8, kept: 4 }],
  };
  const table: SweepStatus = {
    strategy: 'grid',
    parallel: 4,
    metric: 'validationLoss',
    direction: 'minimize',
    rungs: [1],
    cost: 10,
    trials: [stopped, paused],
  };
  const html = renderSweep({
    table,
    trials: [stopped, paused].map((r) => ({ row: r, points: [{ epoch: 1, value: r.rungs[0].value }] })),
  });
  // Not "rank 5 of 8": its rank was among the five there when it was judged.
  expect(html).toContain('epoch 1: 2.13 ✗ rank 5 (4 of 8 go on)');
  expect(html).toContain('epoch 1: 1.5 paused, rank 2 so far (4 of 8 go on)');
});
