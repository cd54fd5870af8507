/**
 * How a starter that validated a pipeline file says so beside the input it starts the workflow with: a
 * memo naming the revision of the input schema it validated against. A pipeline whose memo names this
 * worker's revision takes its input as that schema's output and does not load the schema itself (zod
 * and the schema are evaluated anew in every workflow, the larger part of a pipeline's first task).
 * Any other start (no memo, another revision) is validated inside the workflow as before.
 *
 * No zod here: the workflow bundle imports this module on its hot path.
 */
export const VALIDATED_INPUT_MEMO = 'pipelineInputSchema';

/**
 * The input schema's revision: a digest of its JSON Schema (shapes, bounds, defaults), checked against
 * the schema by test/domain/validated-input.test.ts, which prints the new digest when the schema changes.
 */
export const PIPELINE_INPUT_SCHEMA_REVISION = 'be581d8a461c9eea';

/** The memo a starter sets beside an input it parsed with `parsePipelineInput` (this revision's schema). */
export function validatedInputMemo(): Record<string, string> {
  return { [VALIDATED_INPUT_MEMO]: PIPELINE_INPUT_SCHEMA_REVISION };
}

/** The schema revision a workflow's memo says its input was validated against; none without the memo. */
export function validatedRevision(memo: Record<string, unknown> | undefined): string | undefined {
  const revision = memo?.[VALIDATED_INPUT_MEMO];
  return typeof revision === 'string' ? revision : undefined;
}
