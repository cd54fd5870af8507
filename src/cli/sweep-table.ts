import type { SweepStatus, TrialRow } from '../workflows/sweep/contract';

const money = (n: number | undefined) => (n === undefined ? '-' : `$${n.toFixed(2)}`);
const figure = (n: number | null | undefined) =>
  typeof n === 'number' && Number.isFinite(n) ? String(Math.round(n * 10000) / 10000) : '-';

/** `learning_rate=0.001 rank=16`: the last part of each config path, with the trial's value. */
export function paramsText(params: TrialRow['params']): string {
  return Object.entries(params)
    .map(([path, v]) => `${path.split('.').pop()}=${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`)
    .join(' ');
}

/**
 * Each rung a trial reached: `e1 1.82 ✓`, `e2 0.91 ✗ #3 (2/4 on)` (its rank among the trials there
 * then; the best 2 of the rung's 4 go on), or `e1 1.5 … #2 (8/16 on)` while it waits there paused.
 */
function rungsText(row: TrialRow): string {
  return row.rungs
    .map((g) => {
      const place = `#${g.rank ?? '-'}${g.kept !== undefined ? ` (${g.kept}/${g.of} on)` : `/${g.of}`}`;
      const verdict = g.waiting ? `… ${place}` : g.stop ? `✗ ${place}` : '✓';
      return `e${g.epoch} ${figure(g.value)} ${verdict}`;
    })
    .join('  ');
}

/** States in which a trial may still train: its latest look, and its best seen when that differs. */
const UNDER_WAY = new Set<TrialRow['state']>(['waiting', 'training', 'stopping', 'paused', 'promoted']);

/**
 * The metric column: while a trial is under way its latest look's value, with the best seen so far
 * when that is better (`0.71 (best 0.65)`); once it ended its best — the best seen when it ended
 * without one (failed, cancelled).
 */
function metricText(r: TrialRow): string {
  if (!UNDER_WAY.has(r.state)) return figure(r.best ?? r.bestSeen ?? r.metric);
  if (r.metric === undefined) return figure(r.bestSeen);
  if (r.bestSeen === undefined || r.bestSeen === r.metric) return figure(r.metric);
  return `${figure(r.metric)} (best ${figure(r.bestSeen)})`;
}

/**
 * The sweep as a few lines: what it is, what it cost, which trial goes on to deploy, and a table of
 * its trials (params, state, epoch, metric — the best once a trial ended —, rung verdicts, job).
 */
export function sweepLines(sweep: SweepStatus): string[] {
  const halving = sweep.rungs.length
    ? `, halving at epochs ${sweep.rungs.join('/')} keeping ${sweep.keep}`
    : '';
  const budget =
    sweep.maxCost !== undefined
      ? ` of ${money(sweep.maxCost)}${sweep.budgetReached ? ' (reached)' : ''}`
      : '';
  const winner = sweep.winner !== undefined ? `; deploying trial ${sweep.winner}` : '';
  const header = `  sweep: ${sweep.strategy}, ${sweep.trials.length} trials, ${sweep.parallel} at a time${halving}; cost ${money(sweep.cost)}${budget}${winner}`;
  const rows = sweep.trials.map((r) => [
    String(r.index),
    paramsText(r.params),
    r.state,
    `${r.epoch ?? '-'}/${r.totalEpochs ?? '-'}`,
    metricText(r),
    rungsText(r),
    r.jobId ?? '-',
  ]);
  const head = ['trial', 'params', 'state', 'epoch', sweep.metric, 'rungs', 'job'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `    ${cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd()}`;
  return [header, line(head), ...rows.map(line)];
}
