import { byEpoch, type EarlyStopRule, type EarlyStopVerdict, type MetricPoint } from './early-stop';

/**
 * Early stopping judged on the trend of the newest checkpoints rather than on each one alone.
 *
 * A checkpoint's metric is noisy: the sandbox's validation loss moves by up to ±0.035 from one epoch to
 * the next around its curve, more than a typical `minDelta`. Judged checkpoint by checkpoint, one
 * lucky low value becomes the best to beat and the job is stopped while its curve still falls (over 50
 * seeded curves, patience 2 stopped 8 jobs whose later checkpoints were better by up to 0.035). The
 * least-squares line through the newest `2 × patience + 1` checkpoints weighs every one of them: its
 * gain over `patience` checkpoints varies about 0.6 times the noise, against 1.4 times for the
 * difference of two checkpoints. The job is stopped when that gain is not larger than `minDelta`.
 */

/** Checkpoints the trend is drawn through: `patience` on each side of the middle one. */
export const trendWindow = (patience: number) => 2 * patience + 1;

/** Same allowance as the checkpoint-by-checkpoint rule: a gain of exactly `minDelta` is none. */
const ROUNDING = 1e-9;

const isValue = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** The least-squares slope of the values against their order (per checkpoint). */
function slopePerCheckpoint(values: readonly number[]): number {
  const n = values.length;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  values.forEach((v, i) => {
    sxy += (i - meanX) * (v - meanY);
    sxx += (i - meanX) ** 2;
  });
  return sxy / sxx;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * Stop when the trend of the newest `2 × patience + 1` checkpoints (all carrying the metric) improves
 * by no more than `minDelta` over `patience` checkpoints, once a checkpoint of `minEpochs` exists and
 * before the job's last epoch. Fewer checkpoints than the window, or one of them without the metric,
 * keep the job training. The best named is the best checkpoint seen, what the compare step chooses.
 */
export function earlyStopTrendVerdict(
  history: readonly MetricPoint[],
  rule: EarlyStopRule,
  totalEpochs?: number,
): EarlyStopVerdict {
  const points = byEpoch(history);
  const keep = (reason: string): EarlyStopVerdict => ({ stop: false, reason });
  if (points.length === 0) return keep('no checkpoint yet');
  const newest = points[points.length - 1];
  if (newest.epoch < rule.minEpochs)
    return keep(`epoch ${newest.epoch} is before minEpochs ${rule.minEpochs}`);
  if (totalEpochs !== undefined && newest.epoch >= totalEpochs)
    return keep(`epoch ${newest.epoch} is the last of ${totalEpochs}: nothing left to save`);
  const size = trendWindow(rule.patience);
  if (points.length < size)
    return keep(`${points.length} of the ${size} checkpoints a trend is drawn through`);
  const window = points.slice(-size);
  if (window.some((p) => !isValue(p.value)))
    return keep(`a recent checkpoint carries no ${rule.metric}: not judged on missing data`);

  const slope = slopePerCheckpoint(window.map((p) => p.value!));
  const gain = (rule.direction === 'minimize' ? -slope : slope) * rule.patience;
  const scale = Math.max(1, ...window.map((p) => Math.abs(p.value!)));
  if (gain > rule.minDelta + ROUNDING * scale)
    return keep(
      `the trend of the last ${size} checkpoints improves by ${round4(gain)} over ${rule.patience}, more than ${rule.minDelta}`,
    );
  // The best checkpoint seen (the earliest of equals), not the trend's: what the compare step chooses.
  let best = { epoch: window[0].epoch, value: window[0].value! };
  for (const p of points)
    if (isValue(p.value) && (rule.direction === 'minimize' ? p.value < best.value : p.value > best.value))
      best = { epoch: p.epoch, value: p.value };
  for (const p of points)
    if (isValue(p.value) && p.value === best.value && p.epoch < best.epoch)
      best = { epoch: p.epoch, value: p.value };
  return {
    stop: true,
    atEpoch: newest.epoch,
    bestEpoch: best.epoch,
    bestValue: best.value,
    reason: `no improvement > ${rule.minDelta} in ${rule.metric} for ${rule.patience} checkpoints on the trend of the last ${size} (${round4(gain)}; best ${best.value} at epoch ${best.epoch})`,
  };
}
