import { z } from 'zod';

const metricName = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9]*$/, 'must be a camelCase metric name such as "validationLoss"');

/**
 * `train.earlyStop`: stop a TensorOne job (saving a checkpoint) once its checkpoints stop improving;
 * the pipeline then compares, gates and deploys the best checkpoint seen. The metric and direction
 * default to the pipeline's `selection`, so the stop judges by what the compare step chooses by.
 */
export const earlyStopSchema = z
  .object({
    patience: z
      .number()
      .int('must be a whole number of checkpoints from 1 to 100')
      .min(1, 'must be a whole number of checkpoints from 1 to 100')
      .max(100, 'must be a whole number of checkpoints from 1 to 100')
      .describe(
        'the job stops when the trend of its newest 2 × patience + 1 checkpoints gains no more than minDelta over patience checkpoints',
      ),
    minDelta: z
      .number()
      .finite('must be a number ≥ 0')
      .min(0, 'must be a number ≥ 0')
      .describe('an improvement must be larger than this (one of exactly minDelta is none)'),
    metric: metricName
      .optional()
      .describe("the checkpoint metric judged; default selection.metric, in selection's direction"),
    minEpochs: z
      .number()
      .int('must be a whole number of epochs ≥ 0')
      .min(0, 'must be a whole number of epochs ≥ 0')
      .optional()
      .describe('never stopped before a checkpoint of this epoch exists (default 0)'),
  })
  .strict()
  .optional()
  .describe('stop training early when the checkpoints stop improving (TensorOne)');

export type EarlyStopInput = z.output<typeof earlyStopSchema>;
