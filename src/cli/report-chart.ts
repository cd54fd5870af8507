/** What the report's two charts (a pipeline's curve, a sweep's trials) share: escaping and the frame. */

export const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export interface ChartFrame {
  width: number;
  height: number;
  pad: { l: number; r: number; t: number; b: number };
  metric: string;
  ariaLabel: string;
  /** The metric's range as drawn, and where a value lands on the chart. */
  lo: number;
  hi: number;
  y: (value: number) => number;
  /** The epoch ticks along the bottom axis. */
  ticks: string;
}

/** An inline SVG chart of a metric over epochs: both axes, their labels and range, then `content`. */
export function chartSvg(f: ChartFrame, content: string): string {
  const { width: W, height: H, pad } = f;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(f.ariaLabel)}">
  <line class="axis" x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}"/>
  <line class="axis" x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}"/>
  ${f.ticks}
  <text x="${W / 2}" y="${H - 6}" text-anchor="middle">epoch</text>
  <text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">${esc(f.metric)}</text>
  <text x="${pad.l - 6}" y="${f.y(f.hi) + 4}" text-anchor="end">${f.hi.toFixed(3)}</text>
  <text x="${pad.l - 6}" y="${f.y(f.lo) + 4}" text-anchor="end">${f.lo.toFixed(3)}</text>
  ${content}
</svg>`;
}
