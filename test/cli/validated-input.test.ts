import { createHash } from 'node:crypto';
import { z } from 'zod';
import { pipelineInputSchema } from '../../src/domain/pipeline-input';
import {
  PIPELINE_INPUT_SCHEMA_REVISION,
  validatedInputMemo,
  validatedRevision,
} from '../../src/domain/validated-input';

/** The digest of the input schema's JSON Schema (shapes, bounds, defaults) the revision must name. */
function schemaDigest(): string {
  const jsonSchema = z.toJSONSchema(pipelineInputSchema, { unrepresentable: 'any', io: 'output' });
  return createHash('sha256').update(JSON.stringify(jsonSchema)).digest('hex').slice(0, 16);
}

it('names the input schema it was computed from: a changed schema needs a new revision', () => {
  // A worker trusts a starter's memo only for the revision it knows itself: a schema changed without a
  // new revision would let a starter's spec in under the other schema.
  expect(PIPELINE_INPUT_SCHEMA_REVISION).toBe(schemaDigest());
});

it('changes the digest when the schema gains a field with a default', () => {
  const changed = pipelineInputSchema.safeExtend({ addedLater: z.string().default('changed') });
  const digest = createHash('sha256')
    .update(JSON.stringify(z.toJSONSchema(changed, { unrepresentable: 'any', io: 'output' })))
    .digest('hex')
    .slice(0, 16);
  expect(digest).not.toBe(PIPELINE_INPUT_SCHEMA_REVISION);
});

it("reads the revision a starter's memo names, and none from a start without it", () => {
  expect(validatedRevision(validatedInputMemo())).toBe(PIPELINE_INPUT_SCHEMA_REVISION);
  expect(validatedRevision({ pipelineInputSchema: 'an-older-revision' })).toBe('an-older-revision');
  expect(validatedRevision(undefined)).toBeUndefined();
  expect(validatedRevision({})).toBeUndefined();
  expect(validatedRevision({ pipelineInputSchema: 7 })).toBeUndefined();
});
