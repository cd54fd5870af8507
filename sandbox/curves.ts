import { hashString, seededRandom } from './rng';

export interface EpochMetrics {
  loss: number;
  accuracy: number;
  validationLoss: number;
  validationAccuracy: number;
}

/**
 * A plausible training curve: training loss decays towards a floor, validation loss follows it with a
 * gap and turns up late in training (mild overfitting), so the best checkpoint is usually not the last.
 * Deterministic per (seed, job name, epoch). A pipeline names its job after its run
 * (`…--r<12 hex of the run id>--…`); that part is left out, so a pipeline's curve is the same in every
 * run and tests can rely on its shape.
 */
export function epochMetrics(
  seed: number,
  jobName: string,
  epoch: number,
  totalEpochs: number,
): EpochMetrics {
  jobName = jobName.replace(/--r[0-9a-f]{12}(?=--)/, '');
  const rand = seededRandom(hashString(`${seed}:${jobName}:${epoch}`));
  const noise = (scale: number) => (rand() - 0.5) * 2 * scale;
  const shape = seededRandom(hashString(`${seed}:${jobName}`));
  const floor = 0.25 + shape() * 0.2;
  const decay = 0.25 + shape() * 0.25;
  const loss = floor + 2.2 * Math.exp(-decay * epoch) + noise(0.015);
  const overfit = Math.max(0, epoch - 0.65 * totalEpochs);
  const validationLoss = loss + 0.06 + 0.01 * overfit * overfit + noise(0.02);
  const round = (x: number) => Math.round(x * 10000) / 10000;
  return {
    loss: round(loss),
    accuracy: round(Math.min(0.99, 1 - loss / 3)),
    validationLoss: round(validationLoss),
    validationAccuracy: round(Math.min(0.99, 1 - validationLoss / 3)),
  };
}
