import { hashString, seededRandom } from './rng';

export interface EpochMetrics {
  loss: number;
  accuracy: number;
  validationLoss: number;
  validationAccuracy: number;
}

/** What a job trains on and with: its curve depends on both (`hyperparameterShift`). */
export interface TrainingSetup {
  datasetId?: string;
  config?: Record<string, unknown>;
}

/**
 * The hyperparameters a config gets when it sets none: a curve with these is the job's plain curve.
 * They are also the examples' values (LoRA rank 16, learning rate 2e-4).
 */
export const REFERENCE_HYPERPARAMETERS = { learningRate: 2e-4, rank: 16 } as const;

/** The best learning rate and LoRA rank for a dataset: fixed per (seed, dataset), so a sweep has a right answer. */
export function optimumHyperparameters(
  seed: number,
  datasetId: string,
): { learningRate: number; rank: number } {
  const rand = seededRandom(hashString(`${seed}:${datasetId}:optimum`));
  const learningRate = 10 ** (-4.3 + 1.3 * rand()); // 5e-5 … 1e-3, log-uniform
  const rank = [8, 16, 32, 64][Math.min(3, Math.floor(rand() * 4))];
  return { learningRate, rank };
}

/** The learning rate and rank a config sets (either spelling TensorOne shows), the reference ones otherwise. */
export function hyperparametersOf(config: Record<string, unknown> = {}): {
  learningRate: number;
  rank: number;
} {
  const section = (name: string) => {
    const value = config[name];
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  };
  const positive = (...values: unknown[]) =>
    values.find((v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0);
  const training = section('training');
  return {
    learningRate:
      positive(training.learning_rate, training.learningRate) ?? REFERENCE_HYPERPARAMETERS.learningRate,
    rank: positive(section('parameters').rank) ?? REFERENCE_HYPERPARAMETERS.rank,
  };
}

/** How far from the dataset's optimum: squared distance in decades of learning rate and doublings of rank. */
function penalty(h: { learningRate: number; rank: number }, optimum: { learningRate: number; rank: number }) {
  const decades = Math.log10(h.learningRate) - Math.log10(optimum.learningRate);
  const doublings = Math.log2(h.rank) - Math.log2(optimum.rank);
  return 0.15 * decades * decades + 0.02 * doublings * doublings;
}

/**
 * How much higher (or lower) a job's loss floor lies than its plain curve's, for its hyperparameters:
 * 0 for the reference ones, lower the closer they are to the dataset's optimum.
 */
export function hyperparameterShift(seed: number, setup: TrainingSetup = {}): number {
  const optimum = optimumHyperparameters(seed, setup.datasetId ?? 'ds_sandbox');
  return penalty(hyperparametersOf(setup.config), optimum) - penalty(REFERENCE_HYPERPARAMETERS, optimum);
}

/**
 * A plausible training curve: training loss decays towards a floor, validation loss follows it with a
 * gap and turns up late in training (mild overfitting), so the best checkpoint is usually not the last.
 * Deterministic per (seed, job name, epoch, hyperparameters). A pipeline names its job after its run
 * (`…--r<12 hex of the run id>--…`); that part is left out, so a pipeline's curve is the same in every
 * run and tests can rely on its shape. The trials of a sweep (`…--trial-<n>-…`) train one model on one
 * dataset: they share the curve's shape, and differ by their hyperparameters and their own noise.
 */
export function epochMetrics(
  seed: number,
  jobName: string,
  epoch: number,
  totalEpochs: number,
  setup: TrainingSetup = {},
): EpochMetrics {
  jobName = jobName.replace(/--r[0-9a-f]{12}(?=--)/, '');
  const rand = seededRandom(hashString(`${seed}:${jobName}:${epoch}`));
  const noise = (scale: number) => (rand() - 0.5) * 2 * scale;
  const shape = seededRandom(hashString(`${seed}:${jobName.replace(/--trial-\d+-/, '--')}`));
  const floor = 0.25 + shape() * 0.2 + hyperparameterShift(seed, setup);
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
