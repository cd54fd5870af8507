import type { Checkpoint } from '../domain/types';
import { chooseCandidate, type SelectionPolicy } from './candidate';
import { seededRandom } from './seeded-random';

/**
 * Hyperparameter sweeps with successive halving (ASHA): which trials a sweep runs, and at each rung
 * whether a trial trains on. Pure: the pipeline's sweep (src/workflows/sweep) carries the decisions out.
 */

/** A value a swept config field takes. */
export type SweepValue = number | string | boolean;

/** A range a random sweep draws from; `integer` draws whole numbers (e.g. a LoRA rank). */
export interface SweepRange {
  min: number;
  max: number;
  scale: 'log' | 'linear';
  integer?: boolean;
}

/** Per config path (`training.learning_rate`): the values to try, or a range to draw from. */
export type SweepParameters = Record<string, readonly SweepValue[] | SweepRange>;

export interface Trial {
  /** 0-based, in the order the trials are started. */
  index: number;
  /** Config path → value. */
  params: Record<string, SweepValue>;
}

export const isRange = (p: readonly SweepValue[] | SweepRange): p is SweepRange => !Array.isArray(p);

/** How many combinations a grid of these lists has (a range has none: 0). */
export function gridSize(parameters: SweepParameters): number {
  let size = 1;
  for (const p of Object.values(parameters)) size *= isRange(p) ? 0 : p.length;
  return size;
}

/** Every combination of the lists, the first parameter varying slowest (as the file lists them). */
export function gridTrials(parameters: SweepParameters): Trial[] {
  let combos: Record<string, SweepValue>[] = [{}];
  for (const [path, p] of Object.entries(parameters)) {
    if (isRange(p)) throw new Error(`${path} is a range: a grid needs a list of values`);
    combos = combos.flatMap((c) => p.map((v) => ({ ...c, [path]: v })));
  }
  return Object.keys(parameters).length === 0 ? [] : combos.map((params, index) => ({ index, params }));
}

/** A draw from a range; `u` in [0, 1). Log ranges are uniform in the exponent; bounds included for whole numbers. */
export function drawFromRange(range: SweepRange, u: number): number {
  const { min, max } = range;
  if (range.integer) {
    const lo = Math.ceil(min);
    const hi = Math.floor(max);
    if (range.scale === 'linear') return Math.min(hi, lo + Math.floor(u * (hi - lo + 1)));
    // Uniform in log over [lo - 0.5, hi + 0.5), rounded: every whole number in range can come up.
    const a = Math.log(Math.max(lo - 0.5, lo / 2));
    const b = Math.log(hi + 0.5);
    return Math.min(hi, Math.max(lo, Math.round(Math.exp(a + u * (b - a)))));
  }
  if (range.scale === 'log') return Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min)));
  return min + u * (max - min);
}

/** `count` trials, each parameter drawn independently (a list: one of its values, uniformly). */
export function randomTrials(parameters: SweepParameters, count: number, seed: number): Trial[] {
  const rand = seededRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const params: Record<string, SweepValue> = {};
    for (const [path, p] of Object.entries(parameters)) {
      const u = rand();
      params[path] = isRange(p) ? drawFromRange(p, u) : p[Math.min(p.length - 1, Math.floor(u * p.length))];
    }
    return { index, params };
  });
}

export interface SweepPlan {
  parameters: SweepParameters;
  strategy: 'grid' | 'random';
  trials?: number;
  seed?: number;
}

/** The same items in a seeded random order (Fisher–Yates). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rand = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * The sweep's trials in the order they start (their index): `trials` random draws, or the whole grid
 * in a seeded random order. ASHA judges a trial against those that reached a rung before it, so a grid
 * started as listed — often from worse to better values — would keep nearly every trial.
 */
export function planTrials(plan: SweepPlan): Trial[] {
  if (plan.strategy === 'random') return randomTrials(plan.parameters, plan.trials ?? 0, plan.seed ?? 1);
  return shuffled(gridTrials(plan.parameters), plan.seed ?? 1).map((t, index) => ({ ...t, index }));
}

/** The config with each `a.b.c` path set to its value (a copy; sections missing on the way are added). */
export function configWith(
  config: Record<string, unknown>,
  params: Record<string, SweepValue>,
): Record<string, unknown> {
  const out = structuredCloneOf(config);
  for (const [path, value] of Object.entries(params)) {
    const keys = path.split('.');
    let at = out;
    for (const key of keys.slice(0, -1)) {
      const next = at[key];
      if (!next || typeof next !== 'object' || Array.isArray(next)) at[key] = {};
      at = at[key] as Record<string, unknown>;
    }
    at[keys[keys.length - 1]] = value;
  }
  return out;
}

/** JSON-shaped copy (configs are JSON: structuredClone is not in every runtime the workflow code runs in). */
function structuredCloneOf(value: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

/** A trial's value at a rung: its best checkpoint up to the rung's epoch by the selection (NaN: none). */
export function rungValue(checkpoints: Checkpoint[], rungEpoch: number, selection: SelectionPolicy): number {
  const upToRung = checkpoints.filter((c) => c.epoch !== undefined && c.epoch <= rungEpoch);
  return chooseCandidate(upToRung, selection)?.value ?? Number.NaN;
}

export interface RungVerdict {
  stop: boolean;
  /** 1-based among the trials with a value at this rung (ties share the better rank). */
  rank?: number;
  /** Trials with a value at this rung so far, this one included. */
  of: number;
  /** How many of them the keep fraction keeps. */
  kept: number;
  why: string;
}

/**
 * ASHA's decision when a trial reaches a rung: it is judged against the trials that reached the rung
 * before it (not against all), and stopped when it ranks outside the best `keep` fraction of them,
 * itself included. The fraction keeps at least one, so the first trial at a rung trains on. Ties share
 * the better rank, and a trial with no value (NaN: the metric is missing) is unsure: kept, and not
 * counted against the others.
 */
export function rungVerdict(
  earlier: readonly number[],
  value: number,
  keep: number,
  direction: SelectionPolicy['direction'],
): RungVerdict {
  const ranked = earlier.filter((v) => Number.isFinite(v));
  if (!Number.isFinite(value))
    return {
      stop: false,
      of: ranked.length,
      kept: ranked.length,
      why: 'no metric at this rung: unsure, trains on',
    };
  const of = ranked.length + 1;
  const better = (v: number) => (direction === 'minimize' ? v < value : v > value);
  const rank = 1 + ranked.filter(better).length;
  // The small allowance keeps 0.3 × 10 at 3 although floating point says 2.9999…
  const kept = Math.max(1, Math.floor(keep * of + 1e-9));
  const stop = rank > kept;
  return {
    stop,
    rank,
    of,
    kept,
    why: `rank ${rank} of ${of} at this rung, the best ${kept} train on`,
  };
}

/** How a trial ended, as far as choosing the sweep's winner goes. */
export type TrialEnd = 'completed' | 'rung-stopped' | 'budget-stopped' | 'failed';

/**
 * The trial whose best checkpoint the pipeline deploys: the best value among the trials that were not
 * stopped at a rung (they completed, or the sweep's budget stopped them); ties go to the earlier
 * trial. Undefined when none has a value (nothing to deploy: never act on an empty answer).
 */
export function sweepWinner(
  trials: readonly { index: number; end: TrialEnd; value: number }[],
  direction: SelectionPolicy['direction'],
): number | undefined {
  const contenders = trials.filter(
    (t) => (t.end === 'completed' || t.end === 'budget-stopped') && Number.isFinite(t.value),
  );
  const sign = direction === 'minimize' ? 1 : -1;
  const best = [...contenders].sort((a, b) => sign * (a.value - b.value) || a.index - b.index)[0];
  return best?.index;
}

/** The sweep's cost has reached its budget: every trial's cost so far, summed. */
export function sweepBudgetReached(
  costs: readonly (number | undefined)[],
  maxCost: number | undefined,
): boolean {
  if (maxCost === undefined) return false;
  const spent = costs.reduce<number>((sum, c) => sum + (c !== undefined && Number.isFinite(c) ? c : 0), 0);
  return spent >= maxCost;
}

/** What a look at a job shows of its progress. */
export interface ProgressSeen {
  status: string;
  /** The provider's current epoch: while running, the one in progress. */
  epoch?: number;
  totalEpochs?: number;
  step?: number;
  totalSteps?: number;
}

/**
 * Epochs the job has finished: while it runs, from its steps (its `currentEpoch` is the one in
 * progress); once it has ended, its epoch. Unsure (no steps while running): one less than the epoch.
 */
export function epochsDone(p: ProgressSeen): number {
  if (p.status !== 'running') return p.epoch ?? 0;
  if (p.step !== undefined && p.totalSteps && p.totalEpochs)
    return Math.floor((p.step * p.totalEpochs) / p.totalSteps + 1e-9);
  return Math.max(0, (p.epoch ?? 1) - 1);
}

/**
 * When to look again for a rung: when the job should reach it at its pace (`remainingMs` to the end
 * from `step` of `totalSteps`), never sooner than `minIntervalMs` nor later than `freshnessMs`.
 */
export function nextRungLookMs(
  p: ProgressSeen & { remainingMs?: number },
  rungEpoch: number,
  timings: { minIntervalMs: number; freshnessMs: number },
): number {
  const { minIntervalMs, freshnessMs } = timings;
  const clamp = (ms: number) => Math.min(freshnessMs, Math.max(minIntervalMs, ms));
  if (p.status !== 'running' || p.remainingMs === undefined || !p.totalSteps || !p.totalEpochs)
    return clamp(freshnessMs);
  const step = p.step ?? 0;
  const left = p.totalSteps - step;
  if (left <= 0) return clamp(minIntervalMs);
  const rungStep = (rungEpoch * p.totalSteps) / p.totalEpochs;
  return clamp((p.remainingMs * Math.max(0, rungStep - step)) / left);
}
