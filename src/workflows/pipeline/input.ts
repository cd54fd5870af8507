import { ApplicationFailure } from '@temporalio/workflow';
import type * as PipelineInputModule from '../../domain/pipeline-input';
import type { PipelineSpec } from '../../domain/pipeline-input';
import { boundsInput, typesTrainConfig } from './patches';

/**
 * The input schema is loaded when a pipeline starts, not with the workflow module: each workflow gets
 * its own copy of the modules it loads, and zod's cost about 1.4 MiB per cached workflow. Pipelines are
 * few; the supervisions and cleanups that run by the thousand never load it (bench/scale.ts).
 */
function loadInputSchema(): typeof PipelineInputModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved by the bundler, not Node
  return require('../../domain/pipeline-input') as typeof PipelineInputModule;
}

/** The pipeline file as the workflow received it, checked; a bad one fails the run as INVALID_INPUT. */
export function validate(raw: unknown): PipelineSpec {
  const { parsePipelineInput, InvalidPipelineInput } = loadInputSchema();
  // Duration and size bounds came later: a pipeline started before them replays as it was accepted.
  const bounded = boundsInput();
  // So did the typed `train.config`: one started before it replays with the config it was given.
  const typedConfig = bounded && typesTrainConfig();
  try {
    return parsePipelineInput(raw, undefined, { unbounded: !bounded, untypedConfig: !typedConfig });
  } catch (err) {
    if (err instanceof InvalidPipelineInput)
      throw ApplicationFailure.nonRetryable(err.message, 'INVALID_INPUT', err.issues);
    throw err;
  }
}
