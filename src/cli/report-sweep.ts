import type { Client } from '@temporalio/client';
import type { Checkpoint, CheckpointPage } from '../domain/types';
import { trialWorkflowId, type SweepStatus, type TrialRow } from '../workflows/sweep/contract';
import { payloadReader } from './payloads';
import { chartSvg, esc } from './report-chart';

/** One trial as the report draws it: its row in the sweep's table and its curve, epoch by epoch. */
export interface SweepTrialCurve {
  row: TrialRow;
  points: { epoch: number; value: number }[];
}

export interface SweepReport {
  table: SweepStatus;
  trials: SweepTrialCurve[];
}

/**
 * Every trial's curve, from the checkpoints each trial workflow listed (its rung looks and its last
 * listing, in its own history). A trial whose history cannot be read is drawn from its rungs alone.
 */
export async function loadSweepReport(
  client: Client,
  pipelineWorkflowId: string,
  table: SweepStatus,
): Promise<SweepReport> {
  const payloads = payloadReader();
  const trials: SweepTrialCurve[] = [];
  for (const row of table.trials) {
    const byId = new Map<string, Checkpoint>();
    if (row.state !== 'not-started' && row.state !== 'waiting') {
      const history = await client.workflow
        .getHandle(trialWorkflowId(pipelineWorkflowId, row.index))
        .fetchHistory()
        .catch(() => undefined);
      const listCalls = new Set<string>();
      for (const e of history?.events ?? []) {
        if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'listCheckpoints')
          listCalls.add(String(e.eventId));
        const done = e.activityTaskCompletedEventAttributes;
        if (done && listCalls.has(String(done.scheduledEventId))) {
          const page = await payloads.first<CheckpointPage>(done.result?.payloads);
          for (const c of page.checkpoints) byId.set(c.id, c);
        }
      }
    }
    trials.push({ row, points: trialCurve([...byId.values()], table.metric, row) });
  }
  return { table, trials };
}

/** One value per epoch: the automatic checkpoints that carry the metric, or the rungs' values when none do. */
export function trialCurve(
  checkpoints: Checkpoint[],
  metric: string,
  row: Pick<TrialRow, 'rungs'>,
): { epoch: number; value: number }[] {
  const byEpoch = new Map<number, number>();
  for (const c of checkpoints) {
    const v = c.metrics[metric];
    if (c.type === 'automatic' && c.epoch !== undefined && typeof v === 'number' && Number.isFinite(v))
      byEpoch.set(c.epoch, v);
  }
  if (byEpoch.size === 0)
    for (const g of row.rungs) if (Number.isFinite(g.value)) byEpoch.set(g.epoch, g.value);
  return [...byEpoch].map(([epoch, value]) => ({ epoch, value })).sort((a, b) => a.epoch - b.epoch);
}

/** Distinct colours for up to 16 trials (then they repeat); the winner is drawn thicker on top. */
const COLOURS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#393b79',
  '#ad494a',
  '#637939',
  '#843c39',
  '#7b4173',
  '#3182bd',
];

const paramsText = (row: TrialRow) =>
  Object.entries(row.params)
    .map(([k, v]) => `${k.split('.').pop()}=${v}`)
    .join(' ');

/**
 * The sweep as one chart: every trial's curve, a dashed line at each rung, a cross where a trial was
 * stopped (its last epoch trained) and a ring on the winner's best; then a table of the trials.
 */
export function renderSweep(s: SweepReport): string {
  const { table } = s;
  const W = 760;
  const H = 380;
  const pad = { l: 60, r: 20, t: 30, b: 45 };
  const values = s.trials.flatMap((t) => t.points.map((p) => p.value));
  const epochs = s.trials.flatMap((t) => t.points.map((p) => p.epoch));
  const totalEpochs = Math.max(1, ...epochs, ...s.trials.map((t) => t.row.totalEpochs ?? 0));
  // Every value on the scale: a scale cut short would draw a poor trial's early points at values it
  // never had, on top of another trial's marks.
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const span = hi - lo || 1;
  // From epoch 0, so the first rung's line and marks stand clear of the axis.
  const x = (epoch: number) => pad.l + (epoch / totalEpochs) * (W - pad.l - pad.r);
  const clampY = (v: number) => Math.max(pad.t, Math.min(H - pad.b, v));
  const y = (v: number) => clampY(pad.t + (1 - (v - lo) / span) * (H - pad.t - pad.b));
  const colour = (i: number) => COLOURS[i % COLOURS.length];

  const rungs = table.rungs
    .map(
      (r) =>
        `<line class="rung" x1="${x(r).toFixed(1)}" x2="${x(r).toFixed(1)}" y1="${pad.t}" y2="${H - pad.b}"/><text class="rung-label" x="${x(r).toFixed(1)}" y="${pad.t - 8}" text-anchor="middle">rung ${r}</text>`,
    )
    .join('\n  ');
  const ordered = [...s.trials].sort(
    (a, b) => Number(a.row.index === table.winner) - Number(b.row.index === table.winner),
  );
  const curves = ordered
    .map(({ row, points }) => {
      const won = row.index === table.winner;
      const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.epoch).toFixed(1)},${y(p.value).toFixed(1)}`);
      const label = `trial ${row.index} (${paramsText(row)}): ${row.state}`;
      const stopped =
        row.state === 'rung-stopped' || row.state === 'budget-stopped' || row.state === 'cancelled';
      const last = points[points.length - 1];
      const mark =
        stopped && last
          ? `<path class="trial-stopped" data-trial="${row.index}" d="M${(x(last.epoch) - 5).toFixed(1)},${(y(last.value) - 5).toFixed(1)} l10,10 m0,-10 l-10,10" stroke="${colour(row.index)}"><title>${esc(`${label} after epoch ${last.epoch}${row.why ? `: ${row.why}` : ''}`)}</title></path>`
          : '';
      // A trial stopped at the first rung has one point: a dot, so its colour shows.
      const dot =
        points.length === 1
          ? `<circle class="trial-point" cx="${x(points[0].epoch).toFixed(1)}" cy="${y(points[0].value).toFixed(1)}" r="3" fill="${colour(row.index)}"/>`
          : '';
      const best = won ? points.find((p) => p.value === row.best) : undefined;
      const ring = best
        ? `<circle class="trial-best" cx="${x(best.epoch).toFixed(1)}" cy="${y(best.value).toFixed(1)}" r="7"><title>${esc(`deployed: trial ${row.index}'s best, epoch ${best.epoch}, ${table.metric} ${best.value}`)}</title></circle>`
        : '';
      return `<path class="trial-curve${won ? ' winner' : ''}" data-trial="${row.index}" d="${d.join(' ')}" stroke="${colour(row.index)}"><title>${esc(label)}</title></path>${dot}${mark}${ring}`;
    })
    .join('\n  ');
  const ticks = Array.from({ length: totalEpochs }, (_, i) => i + 1)
    .map((e) => {
      const tx = x(e).toFixed(1);
      return `<line class="tick" x1="${tx}" x2="${tx}" y1="${H - pad.b}" y2="${H - pad.b + 5}"/><text x="${tx}" y="${H - pad.b + 18}" text-anchor="middle">${e}</text>`;
    })
    .join('');
  const rows = s.trials
    .map(({ row }) => {
      const verdicts = row.rungs
        .map(
          (g) =>
            `epoch ${g.epoch}: ${g.value} ${g.waiting ? `paused, rank ${g.rank} so far${goOn(g)}` : g.stop ? `✗ rank ${g.rank}${goOn(g)}` : '✓'}`,
        )
        .join('<br>');
      return `<tr class="${row.index === table.winner ? 'chosen' : ''}"><td><span class="swatch" style="background:${colour(row.index)}"></span>${row.index}</td><td>${esc(paramsText(row))}</td><td>${esc(row.state)}${row.index === table.winner ? ' (deployed)' : ''}</td><td>${row.epoch ?? '-'}/${row.totalEpochs ?? '-'}</td><td>${row.best ?? row.bestSeen ?? '-'}</td><td class="rungs">${verdicts || '-'}</td></tr>`;
    })
    .join('\n');
  const budget = table.maxCost !== undefined ? ` of $${table.maxCost.toFixed(2)}` : '';
  return `<h2>Sweep</h2>
<p>${table.strategy}, ${table.trials.length} trials, ${table.parallel} at a time${table.keep !== undefined ? `, halving at epochs ${table.rungs.join('/')} keeping ${table.keep}` : ''}; cost $${table.cost.toFixed(2)}${budget}${table.winner !== undefined ? `; deployed trial ${table.winner}` : ''}</p>
${chartSvg(
  {
    width: W,
    height: H,
    pad,
    metric: table.metric,
    ariaLabel: `${table.metric} of every trial`,
    lo,
    hi,
    y,
    ticks,
  },
  `${rungs}
  ${curves}`,
)}
<p>a line per trial, coloured as in the table &nbsp; ✕ stopped (its last epoch trained) &nbsp; ◯ deployed &nbsp; <span style="color:#888">┆</span> rung</p>
<table><thead><tr><th>trial</th><th>params</th><th>state</th><th>epochs</th><th>best ${esc(table.metric)}</th><th>at each rung</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

/** The report's styles for the sweep's chart and table. */
export const SWEEP_STYLES = `.trial-curve{fill:none;stroke-width:1.5;opacity:.85}.trial-curve.winner{stroke-width:3.5;opacity:1}
.trial-stopped{fill:none;stroke-width:2.5}.trial-best{fill:none;stroke:#14521d;stroke-width:2.5}
.rung{stroke:#888;stroke-dasharray:4 4}.rung-label{fill:#666}.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}td.rungs{white-space:nowrap;font-size:12px}`;

/**
 * How many of the rung's trials go on: its rank was among the trials there when it was judged, while
 * `of` counts those still to come too, so "rank 5 of 8" would read as a rank among all 8.
 */
function goOn(g: { kept?: number; of?: number }): string {
  return g.kept !== undefined && g.of !== undefined ? ` (${g.kept} of ${g.of} go on)` : '';
}
