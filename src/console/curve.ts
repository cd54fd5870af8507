import { esc } from './html';

/** A checkpoint on the curve and what became of it. */
export interface CurveCheckpoint {
  id: string;
  epoch: number;
  value: number;
  mark: 'chosen' | 'kept' | 'deleted';
}

export interface CurveData {
  /** The selection metric the checkpoints are compared on (e.g. validationLoss). */
  metric: string;
  /** The checkpoints the pipeline listed when comparing (empty while the job trains). */
  checkpoints: CurveCheckpoint[];
  /** The training loss by epoch as the watch saw it, while the job trains. */
  training: { epoch: number; loss: number }[];
  threshold?: number;
  /** The figure of what serves the name, which the gate compares against. */
  champion?: number;
}

const W = 720;
const H = 300;
const PAD = { l: 58, r: 16, t: 22, b: 40 };

const finite = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n);

/**
 * The metric over checkpoints as one inline SVG: the training loss while the job trains (grey), the
 * compared checkpoints with their marks (chosen green, kept blue, deleted hollow), the gate threshold
 * (red dashes) and the champion's figure (green dots). An empty chart says what it waits for.
 */
export function curveSvg(d: CurveData): string {
  const checkpoints = d.checkpoints.filter((c) => finite(c.value)).sort((a, b) => a.epoch - b.epoch);
  const training = d.training.filter((t) => finite(t.loss)).sort((a, b) => a.epoch - b.epoch);
  const values = [
    ...checkpoints.map((c) => c.value),
    ...training.map((t) => t.loss),
    ...[d.threshold, d.champion].filter(finite),
  ];
  const open = `<svg xmlns="http://www.w3.org/2000/svg" class="curve-chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(d.metric)} over checkpoints">`;
  if (!checkpoints.length && !training.length)
    return `${open}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">no figures yet: the curve starts with the job's first epoch</text></svg>`;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || Math.abs(hi) || 1;
  const epochs = [...checkpoints.map((c) => c.epoch), ...training.map((t) => t.epoch)];
  const e0 = Math.min(...epochs);
  const e1 = Math.max(...epochs, e0 + 1);
  const x = (epoch: number) => PAD.l + ((epoch - e0) / (e1 - e0)) * (W - PAD.l - PAD.r);
  const y = (v: number) => PAD.t + (1 - (v - lo) / span) * (H - PAD.t - PAD.b);
  const path = (pts: [number, number][]) =>
    pts.map(([px, py], i) => `${i ? 'L' : 'M'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
  // The threshold's label on the right, the champion's on the left: they never cover each other.
  const level = (cls: string, v: number, label: string, side: 'start' | 'end') =>
    `<line class="${cls}" x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="${cls}-label" x="${side === 'end' ? W - PAD.r : PAD.l + 6}" y="${(y(v) - 5).toFixed(1)}" text-anchor="${side}">${esc(label)}</text>`;
  const every = Math.max(1, Math.ceil((e1 - e0 + 1) / 16));
  const ticks: string[] = [];
  for (let e = e0; e <= e1; e += every)
    ticks.push(
      `<line class="tick" x1="${x(e).toFixed(1)}" x2="${x(e).toFixed(1)}" y1="${H - PAD.b}" y2="${H - PAD.b + 4}"/><text x="${x(e).toFixed(1)}" y="${H - PAD.b + 17}" text-anchor="middle">${e}</text>`,
    );
  const dots = checkpoints.map(
    (c) =>
      `<circle class="point ${c.mark}" data-checkpoint="${esc(c.id)}" cx="${x(c.epoch).toFixed(1)}" cy="${y(c.value).toFixed(1)}" r="${c.mark === 'chosen' ? 7 : 4}"><title>${esc(`${c.id} epoch ${c.epoch} ${d.metric} ${c.value} (${c.mark})`)}</title></circle>`,
  );
  const live = training.map(
    (t) =>
      `<circle class="live-point" data-epoch="${t.epoch}" cx="${x(t.epoch).toFixed(1)}" cy="${y(t.loss).toFixed(1)}" r="2.5"><title>epoch ${t.epoch} loss ${t.loss}</title></circle>`,
  );
  return [
    open,
    `<line class="axis" x1="${PAD.l}" y1="${H - PAD.b}" x2="${W - PAD.r}" y2="${H - PAD.b}"/>`,
    `<line class="axis" x1="${PAD.l}" y1="${PAD.t}" x2="${PAD.l}" y2="${H - PAD.b}"/>`,
    ...ticks,
    `<text x="${(W + PAD.l) / 2}" y="${H - 6}" text-anchor="middle">epoch</text>`,
    `<text x="${PAD.l - 6}" y="${(y(hi) + 4).toFixed(1)}" text-anchor="end">${+hi.toFixed(4)}</text>`,
    `<text x="${PAD.l - 6}" y="${(y(lo) + 4).toFixed(1)}" text-anchor="end">${+lo.toFixed(4)}</text>`,
    finite(d.threshold) ? level('threshold', d.threshold, `gate threshold ${d.threshold}`, 'end') : '',
    finite(d.champion) ? level('champion', d.champion, `champion ${d.champion}`, 'start') : '',
    training.length
      ? `<path class="live" d="${path(training.map((t) => [t.epoch, t.loss]))}"/>${live.join('')}`
      : '',
    checkpoints.length
      ? `<path class="curve" d="${path(checkpoints.map((c) => [c.epoch, c.value]))}"/>${dots.join('')}`
      : '',
    '</svg>',
  ].join('');
}
