import { z } from 'zod';
import { configWith, gridSize, isRange, type SweepParameters, type SweepValue } from '../decisions/halving';
import { unknownKeyMessage } from './did-you-mean';
import { tensoroneTrainConfigSchema } from './train-config';

/**
 * `train.sweep`: a hyperparameter sweep with successive halving. Each trial trains `train.config` with
 * some of its fields set to the trial's values, as its own job; at each rung (an epoch count) a trial
 * below the `keep` fraction of the trials that reached the rung before it is stopped. The best
 * checkpoint of the trials left goes through the pipeline's one compare → gate → deploy.
 */

/** Trials per sweep: each is a child workflow and a job, and every rung report lands in the pipeline's history. */
export const MAX_TRIALS = 64;

const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) => {
  const text =
    max === Number.MAX_SAFE_INTEGER
      ? `must be a whole number ≥ ${min}`
      : `must be a whole number from ${min} to ${max}`;
  return z.number({ error: text }).int({ error: text }).min(min, { error: text }).max(max, { error: text });
};

const range = z
  .object({
    min: z.number({ error: 'must be a number' }).finite(),
    max: z.number({ error: 'must be a number' }).finite(),
    scale: z.enum(['log', 'linear'], { error: 'must be "log" or "linear"' }).default('linear'),
    integer: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!(r.min < r.max))
      ctx.addIssue({ code: 'custom', path: ['max'], message: `must be above min (${r.min})` });
    if (r.scale === 'log' && !(r.min > 0))
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'must be above 0 on a log scale' });
    if (r.integer && Math.ceil(r.min) > Math.floor(r.max))
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'leaves no whole number between min and max' });
  });

const valueList = z
  .array(z.union([z.number().finite(), z.string(), z.boolean()]), {
    error: 'must be a list of values or a range { min, max, scale }',
  })
  .min(1, { error: 'must list at least one value' })
  .refine((values) => new Set(values.map((v) => JSON.stringify(v))).size === values.length, {
    message: 'lists a value twice (the same trial would run twice)',
  });

const parameter = z.union([valueList, range], {
  error: 'must be a list of values or a range { min, max, scale: log | linear }',
});

export const sweepSchema = z
  .object({
    parameters: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, {
          message: 'must be a train.config path such as "training.learning_rate"',
        }),
        parameter,
      )
      .refine((p) => Object.keys(p).length > 0, { message: 'must name at least one train.config path' })
      .describe('per train.config path (e.g. training.learning_rate): the values to try, or a range'),
    strategy: z
      .enum(['grid', 'random'], { error: 'must be "grid" or "random"' })
      .default('grid')
      .describe('grid: every combination of the lists; random: `trials` seeded draws'),
    trials: wholeNumber(1, MAX_TRIALS)
      .optional()
      .describe('how many trials (random: required; grid: the number of combinations, if given)'),
    seed: wholeNumber(0)
      .default(1)
      .describe(
        "the random draws and a grid's start order: the same seed, the same trials in the same order",
      ),
    parallel: wholeNumber(1, MAX_TRIALS).default(1).describe('at most this many trials train at once'),
    halving: z
      .object({
        rungs: z
          .array(wholeNumber(1), { error: 'must be a list of epoch counts such as [1, 2, 4]' })
          .min(1, { error: 'must list at least one epoch count' })
          .describe('the epoch counts at which trials are judged, increasing, below the epochs trained'),
        keep: z
          .number({ error: 'must be a fraction above 0 and at most 1, such as 0.5' })
          .gt(0, { error: 'must be a fraction above 0 and at most 1, such as 0.5' })
          .max(1, { error: 'must be a fraction above 0 and at most 1, such as 0.5' })
          .describe('the share of the trials at a rung that train on'),
      })
      .strict()
      .superRefine((h, ctx) => {
        h.rungs.forEach((r, i) => {
          if (i > 0 && !(r > h.rungs[i - 1]))
            ctx.addIssue({
              code: 'custom',
              path: ['rungs', i],
              message: `must be above the rung before it (${h.rungs[i - 1]}): rungs increase`,
            });
        });
      })
      .optional()
      .describe('successive halving; without it every trial trains to the end'),
    maxCost: z
      .number({ error: 'must be an amount above 0' })
      .positive({ error: 'must be an amount above 0' })
      .optional()
      .describe(
        'the whole sweep stops (every trial, saving a checkpoint) when its trials together cost this',
      ),
  })
  .strict();

export type SweepSpec = z.output<typeof sweepSchema>;

type Issue = { path: (string | number)[]; message: string };

/** The epochs a trial trains: its own value when swept, else the config's. */
function epochsOf(config: Record<string, unknown>): number | undefined {
  const training = config.training as Record<string, unknown> | undefined;
  return typeof training?.epochs === 'number' ? training.epochs : undefined;
}

/** The values a parameter can take, as far as the config's schema is concerned: each listed one, or a range's ends. */
function valuesToCheck(p: SweepParameters[string]): SweepValue[] {
  if (!isRange(p)) return [...p];
  const ends = p.integer ? [Math.ceil(p.min), Math.floor(p.max)] : [p.min, p.max];
  // A fractional draw on a field that takes whole numbers (a LoRA rank) would fail at the provider.
  const middle = (p.min + p.max) / 2;
  const fractional = Math.floor(middle) + 0.5 <= p.max ? Math.floor(middle) + 0.5 : middle;
  return p.integer ? ends : [...ends, fractional];
}

/**
 * Checks of the sweep against the rest of the pipeline: each path names a `train.config` field that
 * takes each of its values (the typed config refuses it otherwise), a grid has lists only and as many
 * trials as combinations, a random sweep says how many, and the rungs lie below the epochs trained.
 */
export function sweepIssues(config: Record<string, unknown>, sweep: SweepSpec): Issue[] {
  const issues: Issue[] = [];
  const at = (...path: (string | number)[]) => ['train', 'sweep', ...path];
  for (const [path, p] of Object.entries(sweep.parameters)) {
    for (const value of valuesToCheck(p)) {
      const parsed = tensoroneTrainConfigSchema.safeParse(configWith(config, { [path]: value }));
      if (parsed.success) continue;
      const issue = parsed.error.issues.find(
        (i) => i.path.join('.') === path || path.startsWith(i.path.join('.')),
      );
      if (!issue) continue;
      if (issue.code === 'unrecognized_keys') {
        const known = knownKeysAt(issue.path.map(String));
        issues.push({
          path: at('parameters', path),
          message: `is not a train.config field: \`${issue.keys.join('.')}\` ${unknownKeyMessage(issue.keys[0], known)}`,
        });
      } else {
        const whole = isRange(p) && !p.integer && issue.message.includes('whole number');
        issues.push({
          path: at('parameters', path),
          message: whole
            ? `${issue.message.replace(/, got .*/, '')}: add \`integer: true\` to draw whole numbers`
            : `value ${JSON.stringify(value)} ${issue.message.replace(/, got .*/, '')}`,
        });
      }
      break;
    }
  }
  const size = gridSize(sweep.parameters);
  if (sweep.strategy === 'grid') {
    const ranged = Object.entries(sweep.parameters).find(([, p]) => isRange(p));
    if (ranged)
      issues.push({
        path: at('parameters', ranged[0]),
        message: 'is a range: a grid needs a list of values (or use strategy: random)',
      });
    else if (size > MAX_TRIALS)
      issues.push({
        path: at('parameters'),
        message: `make ${size} combinations, more than the ${MAX_TRIALS} trials allowed`,
      });
    else if (sweep.trials !== undefined && sweep.trials !== size)
      issues.push({
        path: at('trials'),
        message: `must be the number of combinations of the grid (${size}), or left out`,
      });
  } else if (sweep.trials === undefined)
    issues.push({
      path: at('trials'),
      message: 'is required for strategy: random (how many trials to draw)',
    });
  if (sweep.halving) {
    const swept = sweep.parameters['training.epochs'];
    const epochs = swept
      ? Math.min(...valuesToCheck(swept).filter((v): v is number => typeof v === 'number'))
      : epochsOf(config);
    const last = sweep.halving.rungs[sweep.halving.rungs.length - 1];
    if (epochs === undefined)
      issues.push({
        path: ['train', 'config', 'training', 'epochs'],
        message: 'is required with train.sweep.halving: the rungs are judged against the epochs trained',
      });
    else if (last >= epochs)
      issues.push({
        path: at('halving', 'rungs', sweep.halving.rungs.length - 1),
        message: `must be below the ${epochs} epochs a trial trains (a rung at the end judges nothing)`,
      });
  }
  return issues;
}

/** The keys `train.config` knows at a path (its top level, or one of its sections). */
function knownKeysAt(path: string[]): string[] {
  let schema: unknown = tensoroneTrainConfigSchema;
  for (const key of path) schema = shapeOf(schema)?.[key];
  return Object.keys(shapeOf(schema) ?? {});
}

function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as {
    _zod?: { def?: { shape?: Record<string, unknown>; innerType?: unknown; in?: unknown } };
  };
  // Through optional/refinement wrappers to the object.
  for (let i = 0; i < 5 && s?._zod?.def && !s._zod.def.shape; i++)
    s = (s._zod.def.innerType ?? s._zod.def.in) as typeof s;
  return s?._zod?.def?.shape;
}
