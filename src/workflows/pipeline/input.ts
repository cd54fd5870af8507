import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type * as PipelineInputModule from '../../domain/pipeline-input';
import type { PipelineSpec } from '../../domain/pipeline-input';
import { PIPELINE_INPUT_SCHEMA_REVISION, validatedRevision } from '../../domain/validated-input';
import { boundsInput, trustsStarterValidation, typesTrainConfig } from './patches';

/**
 * The input schema is loaded when a pipeline starts, not with the workflow module: each workflow gets
 * its own copy of the modules it loads, and zod's cost about 1.4 MiB per cached workflow. Pipelines are
 * few; the supervisions and cleanups that run by the thousand never load it (bench/scale.ts).
 */
function loadInputSchema(): typeof PipelineInputModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved by the bundler, not Node
  return require('../../domain/pipeline-input') as typeof PipelineInputModule;
}

/**
 * Whether the starter validated the input against this worker's schema revision. The patch is asked only
 * by starts with the memo, and its marker records the answer: a replay follows it whatever the revision
 * of the worker replaying (one of another revision may replay a run that trusted its starter).
 */
function starterValidated(): boolean {
  const info = workflowInfo();
  const revision = validatedRevision(info.memo);
  if (revision === undefined) return false;
  return (
    (revision === PIPELINE_INPUT_SCHEMA_REVISION || info.unsafe.isReplaying) && trustsStarterValidation()
  );
}

/**
 * The pipeline file as the workflow received it, checked; a bad one fails the run as INVALID_INPUT. An
 * input the starter validated against this worker's schema revision (its memo says so) is taken as is.
 */
export function validate(raw: unknown): PipelineSpec {
  if (starterValidated()) return raw as PipelineSpec;
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
