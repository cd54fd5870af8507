/**
 * Early stopping: whether a training job's checkpoints have stopped improving, so that the epochs left
 * would be paid for and then thrown away by the compare step. Pure; the supervision acts on it.
 */

/** One checkpoint's value of the watched metric; `value` is absent when the checkpoint did not carry it. */
export interface MetricPoint {
  epoch: number;
  value?: number;
}

export interface EarlyStopRule {
  /** Checkpoints without an improvement larger than `minDelta` that stop the job (src/decisions/early-stop-trend.ts: on their trend). */
  patience: number;
  /** An improvement must be larger than this; one of exactly `minDelta` is none. */
  minDelta: number;
  metric: string;
  direction: 'minimize' | 'maximize';
  /** Never stopped before a checkpoint of this epoch exists. */
  minEpochs: number;
}

/** A pipeline file's `train.earlyStop`: the metric defaults to the selection's, the direction is the selection's. */
export interface EarlyStopAsked {
  patience: number;
  minDelta: number;
  metric?: string;
  minEpochs?: number;
}

/** The rule `train.earlyStop` sets, with the metric and direction of the pipeline's `selection`. */
export function earlyStopRule(
  asked: EarlyStopAsked,
  selection: { metric: string; direction: 'minimize' | 'maximize' },
): EarlyStopRule {
  return {
    patience: asked.patience,
    minDelta: asked.minDelta,
    metric: asked.metric ?? selection.metric,
    direction: selection.direction,
    minEpochs: asked.minEpochs ?? 0,
  };
}

export type EarlyStopVerdict =
  | {
      stop: true;
      /** The newest checkpoint's epoch: the job is stopped after it. */
      atEpoch: number;
      bestEpoch: number;
      bestValue: number;
      /** e.g. `no improvement > 0.01 in validationLoss for 3 checkpoints (best 0.4123 at epoch 7)`. */
      reason: string;
    }
  | { stop: false; reason: string };

/**
 * Two values that differ by exactly `minDelta` in decimal may differ by a hair more in binary
 * (0.4 − 0.3 = 0.10000000000000003): such a hair is no improvement.
 */
const ROUNDING = 1e-9;

const isValue = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** The history in epoch order, one point per epoch (a later listing of the same epoch replaces it). */
export function byEpoch(points: readonly MetricPoint[]): MetricPoint[] {
  const latest = new Map<number, MetricPoint>();
  for (const p of points) if (Number.isFinite(p.epoch)) latest.set(p.epoch, p);
  return [...latest.values()].sort((a, b) => a.epoch - b.epoch);
}

/** `value` improves on `best` by more than `minDelta` in the rule's direction. */
export function improves(value: number, best: number, rule: Pick<EarlyStopRule, 'minDelta' | 'direction'>) {
  const gain = rule.direction === 'minimize' ? best - value : value - best;
  return gain > rule.minDelta + ROUNDING * Math.max(1, Math.abs(best));
}

/**
 * Stop when the newest `patience` checkpoints (all carrying the metric) each failed to improve on the
 * best value before them by more than `minDelta`, once a checkpoint of `minEpochs` exists and before
 * the job's last epoch (stopping then saves nothing). A checkpoint without the metric among the newest
 * `patience` keeps the job training: unsure is no reason to stop. `totalEpochs` is the job's, when known.
 */
export function earlyStopVerdict(
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
  if (points.slice(-rule.patience).some((p) => !isValue(p.value)))
    return keep(`a recent checkpoint carries no ${rule.metric}: not judged on missing data`);

  let best: MetricPoint | undefined;
  let without = 0;
  for (const p of points) {
    if (!isValue(p.value)) continue;
    if (best === undefined || improves(p.value, best.value!, rule)) {
      best = p;
      without = 0;
    } else without += 1;
  }
  if (best === undefined || without < rule.patience)
    return keep(`${without} of ${rule.patience} checkpoints without an improvement > ${rule.minDelta}`);
  return {
    stop: true,
    atEpoch: newest.epoch,
    bestEpoch: best.epoch,
    bestValue: best.value!,
    reason: `no improvement > ${rule.minDelta} in ${rule.metric} for ${rule.patience} checkpoints (best ${best.value} at epoch ${best.epoch})`,
  };
}

export interface EarlyStopSavings {
  /** Epochs the job would still have trained. */
  epochsLeft: number;
  /** At the job's own pace: GPU-hours (and cost) per epoch so far, times the epochs left. */
  gpuHoursSaved?: number;
  costSaved?: number;
}

/**
 * What stopping after `atEpoch` of `totalEpochs` saved, at the job's own observed pace: the GPU-hours
 * and cost billed so far per epoch trained, times the epochs it would still have trained. A figure the
 * job did not report stays unknown (never guessed as 0).
 */
export function earlyStopSavings(
  atEpoch: number,
  totalEpochs: number | undefined,
  billed: { gpuHours?: number; cost?: number },
): EarlyStopSavings | undefined {
  if (totalEpochs === undefined || !(atEpoch > 0) || totalEpochs <= atEpoch) return undefined;
  const epochsLeft = totalEpochs - atEpoch;
  const atPace = (soFar: number | undefined) =>
    isValue(soFar) && soFar >= 0 ? Math.round((soFar / atEpoch) * epochsLeft * 10_000) / 10_000 : undefined;
  const gpuHoursSaved = atPace(billed.gpuHours);
  const costSaved = atPace(billed.cost);
  return {
    epochsLeft,
    ...(gpuHoursSaved !== undefined ? { gpuHoursSaved } : {}),
    ...(costSaved !== undefined ? { costSaved } : {}),
  };
}

/** The phase line: `stopped early at epoch 9 of 20 (no improvement > 0.01 for 3 checkpoints)`. */
export function stoppedEarlyText(e: {
  atEpoch: number;
  totalEpochs?: number;
  minDelta: number;
  patience: number;
}): string {
  return `stopped early at epoch ${e.atEpoch} of ${e.totalEpochs ?? '?'} (no improvement > ${e.minDelta} for ${e.patience} checkpoints)`;
}

/** What a supervision that stopped its job early reports (status, `--json`, the result, the HTML report). */
export interface EarlyStopReport extends EarlyStopSavings {
  metric: string;
  patience: number;
  minDelta: number;
  /** The newest checkpoint's epoch when the job was stopped, of `totalEpochs`. */
  atEpoch: number;
  totalEpochs?: number;
  bestEpoch: number;
  bestValue: number;
  /** `stoppedEarlyText`. */
  text: string;
  /** The decision's reason, with the best value and its epoch. */
  reason: string;
}

/** The report of an early stop after `verdict`, with what it saved at the job's pace when it stopped. */
export function earlyStopReport(
  rule: EarlyStopRule,
  verdict: Extract<EarlyStopVerdict, { stop: true }>,
  job: { totalEpochs?: number; gpuHours?: number; cost?: number },
): EarlyStopReport {
  const e = { atEpoch: verdict.atEpoch, totalEpochs: job.totalEpochs, ...rule };
  return {
    metric: rule.metric,
    patience: rule.patience,
    minDelta: rule.minDelta,
    atEpoch: verdict.atEpoch,
    ...(job.totalEpochs !== undefined ? { totalEpochs: job.totalEpochs } : {}),
    bestEpoch: verdict.bestEpoch,
    bestValue: verdict.bestValue,
    text: stoppedEarlyText(e),
    reason: verdict.reason,
    ...(earlyStopSavings(verdict.atEpoch, job.totalEpochs, job) ?? { epochsLeft: 0 }),
  };
}

/** How many metric points a supervision carries across continue-as-new: the newest. */
const KEEP_POINTS = 1000;

/** The carried history with a listing's points merged in (the newest `KEEP_POINTS` epochs). */
export function mergeMetricHistory(known: readonly MetricPoint[], listed: readonly MetricPoint[]) {
  return byEpoch([...known, ...listed]).slice(-KEEP_POINTS);
}

/** One line for status, the Web UI and notices: the phase line, the best value, and the savings. */
export function earlyStopLine(e: EarlyStopReport): string {
  const saved = [
    e.gpuHoursSaved !== undefined ? `${e.gpuHoursSaved.toFixed(2)} GPU-hours` : undefined,
    e.costSaved !== undefined ? `$${e.costSaved.toFixed(2)}` : undefined,
  ].filter(Boolean);
  return (
    `${e.text}: best ${e.metric} ${e.bestValue} at epoch ${e.bestEpoch}` +
    (saved.length ? `; saved ${saved.join(' and ')} (${e.epochsLeft} epochs at the job's pace)` : '')
  );
}
