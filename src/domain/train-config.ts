import { z } from 'zod';

/**
 * `train.config` per provider: exactly the fields the provider's document shows in its training create
 * request, with their types and the ranges it states; any other key is refused (with a suggestion). A
 * typo here would otherwise start paid training with the provider's defaults.
 *
 * TensorOne (`POST /v2/training/jobs`, `config`): the document's examples write the same field in
 * snake_case (REST, Python) and camelCase (JavaScript SDK); both spellings it shows are accepted, one
 * at a time. TensorMesh and Marqtune document no training create request: their pipelines name an
 * existing job or model and carry no `config`.
 */

/** A message that also shows the value given, e.g. `must be a whole number ≥ 1, got "eight"`. */
const refusal =
  (text: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? text : `${text}, got ${JSON.stringify(issue.input) ?? String(issue.input)}`;

const wholeNumber = (min: number) => {
  const text = `must be a whole number ≥ ${min}`;
  return z
    .number({ error: refusal(text) })
    .int({ error: refusal(text) })
    .min(min, { error: refusal(text) });
};
const numberBetween = (min: number, max: number, text = `must be a number from ${min} to ${max}`) =>
  z
    .number({ error: refusal(text) })
    .min(min, { error: refusal(text) })
    .max(max, { error: refusal(text) });
const positiveNumber = () => {
  const text = 'must be a number above 0';
  return z.number({ error: refusal(text) }).positive({ error: refusal(text) });
};
const nonNegativeNumber = () => {
  const text = 'must be a number ≥ 0';
  return z.number({ error: refusal(text) }).min(0, { error: refusal(text) });
};
const text = () => z.string({ error: refusal('must be text') }).min(1, { error: 'must not be empty' });
const flag = () => z.boolean({ error: refusal('must be true or false') });
const names = () =>
  z
    .array(text(), { error: refusal('must be a list of names') })
    .min(1, { error: 'must list at least one name' });

/** Pairs of spellings of one field, as the document shows both; a config may use one of each pair. */
const SPELLINGS: readonly (readonly [string, string])[] = [
  ['base_model', 'baseModel'],
  ['target_modules', 'targetModules'],
  ['batch_size', 'batchSize'],
  ['learning_rate', 'learningRate'],
  ['weight_decay', 'weightDecay'],
];

/** Refuses an object that sets one field under both of its spellings (which one would win is unsaid). */
function oneSpellingEach(value: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const [snake, camel] of SPELLINGS)
    if (value[snake] !== undefined && value[camel] !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [camel],
        message: `is \`${snake}\` spelled another way: set only one of them`,
      });
}

const parameters = z
  .object({
    rank: wholeNumber(1),
    alpha: positiveNumber(),
    dropout: numberBetween(0, 1),
    target_modules: names(),
    targetModules: names(),
  })
  .partial()
  .strict()
  .superRefine(oneSpellingEach);

/** The learning rate's range is the one the document's CONFIGURATION_ERROR example states. */
const learningRate = numberBetween(1e-6, 1e-1, 'must be a number from 0.000001 to 0.1');

const training = z
  .object({
    epochs: wholeNumber(1),
    batch_size: wholeNumber(1),
    batchSize: wholeNumber(1),
    learning_rate: learningRate,
    learningRate,
    weight_decay: nonNegativeNumber(),
    weightDecay: nonNegativeNumber(),
    warmup_steps: wholeNumber(0),
    gradient_accumulation_steps: wholeNumber(1),
    momentum: numberBetween(0, 1),
  })
  .partial()
  .strict()
  .superRefine(oneSpellingEach);

const optimization = z
  .object({
    mixed_precision: text(),
    gradient_checkpointing: flag(),
    max_grad_norm: positiveNumber(),
  })
  .partial()
  .strict();

const augmentation = z
  .object({
    mixup: numberBetween(0, 1),
    copy_paste: numberBetween(0, 1),
    hsv_h: numberBetween(0, 1),
    hsv_s: numberBetween(0, 1),
    hsv_v: numberBetween(0, 1),
  })
  .partial()
  .strict();

const section = <T extends z.ZodType>(schema: T) => schema.optional();

export const tensoroneTrainConfigSchema = z
  .object({
    baseModel: text(),
    base_model: text(),
    strategy: text(),
    parameters: section(parameters),
    training: section(training),
    optimization: section(optimization),
    architecture: text(),
    input_size: z
      .array(wholeNumber(1), { error: refusal('must be a list of sizes such as [640, 640]') })
      .min(1, { error: 'must list at least one size' }),
    num_classes: wholeNumber(1),
    augmentation: section(augmentation),
  })
  .partial()
  .strict()
  .superRefine(oneSpellingEach)
  .describe(
    "TensorOne's training configuration, exactly the fields its document shows (either spelling it uses, one at a time)",
  );

/** The typed `train.config` of each train kind that creates a job. */
export const TRAIN_CONFIG_SCHEMAS = { tensorone: tensoroneTrainConfigSchema } as const;
