import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parsePipelineInput, pipelineInputSchema } from '../../src/domain/pipeline-input';
import { validatedMemo } from '../../src/cli/start-pipeline';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import {
  PIPELINE_INPUT_SCHEMA_REVISION,
  validatedInputMemo,
  validatedRevision,
} from '../../src/domain/validated-input';

/**
 * The sources of the schema and of the rules it checks by refinement (bounds of durations and sizes,
 * sweep and provider rules), which its JSON Schema does not show.
 */
const RULE_SOURCES = [
  'src/domain/pipeline-input.ts',
  'src/domain/duration.ts',
  'src/decisions/duration.ts',
  'src/domain/tensormesh.ts',
  'src/domain/early-stop.ts',
  'src/domain/sweep-spec.ts',
  'src/domain/train-config.ts',
];
const sources = () => RULE_SOURCES.map((f) => fs.readFileSync(path.resolve(__dirname, '../..', f), 'utf8'));

/** The digest the revision must name: the schema's JSON Schema (shapes, bounds, defaults) and its rules' sources. */
function schemaDigest(schema: z.ZodType = pipelineInputSchema, ruleSources = sources()): string {
  const jsonSchema = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'output' });
  const hash = createHash('sha256').update(JSON.stringify(jsonSchema));
  for (const source of ruleSources) hash.update(source);
  return hash.digest('hex').slice(0, 16);
}

it('names the input schema it was computed from: a changed schema needs a new revision', () => {
  // A worker trusts a starter's memo only for the revision it knows itself: a schema changed without a
  // new revision would let a starter's spec in under the other schema.
  expect(PIPELINE_INPUT_SCHEMA_REVISION).toBe(schemaDigest());
});

it('changes the digest when a rule checked by refinement changes, which the JSON Schema does not show', () => {
  const [input, ...rest] = sources();
  const tightened = input!.replace(
    /\.superRefine\(/,
    '.superRefine((_, ctx) => ctx.addIssue("x")).superRefine(',
  );
  expect(tightened).not.toBe(input);
  expect(schemaDigest(pipelineInputSchema, [tightened, ...rest])).not.toBe(schemaDigest());
});

it('vouches only for a spec the parse returned: one built or copied by hand is validated by the workflow', () => {
  const parsed = parsePipelineInput(pipelineInput('vouched', { train: tensoroneTrain() }));
  expect(validatedMemo(parsed)).toEqual({ memo: validatedInputMemo() });
  expect(validatedMemo(structuredClone(parsed))).toEqual({});
  expect(validatedMemo({ ...parsed })).toEqual({});
});

it('changes the digest when the schema gains a field with a default', () => {
  const changed = pipelineInputSchema.safeExtend({ addedLater: z.string().default('changed') });
  expect(schemaDigest(changed)).not.toBe(PIPELINE_INPUT_SCHEMA_REVISION);
});

it("reads the revision a starter's memo names, and none from a start without it", () => {
  expect(validatedRevision(validatedInputMemo())).toBe(PIPELINE_INPUT_SCHEMA_REVISION);
  expect(validatedRevision({ pipelineInputSchema: 'an-older-revision' })).toBe('an-older-revision');
  expect(validatedRevision(undefined)).toBeUndefined();
  expect(validatedRevision({})).toBeUndefined();
  expect(validatedRevision({ pipelineInputSchema: 7 })).toBeUndefined();
});
