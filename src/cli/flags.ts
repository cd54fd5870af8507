import { Argument, InvalidArgumentError } from 'commander';
import type { z } from 'zod';
import { durationProblem, type BoundedDurationField } from '../decisions/duration';
import type * as PipelineInput from '../domain/pipeline-input';

/**
 * Parsers for the CLI's flags and arguments, built on the pipeline file's own field schemas and
 * duration bounds. Commander calls them while parsing: a bad value is refused naming the flag (exit 2)
 * before any command runs.
 */

type FieldName = keyof typeof PipelineInput.fieldSchemas;

let pipelineInputModule: typeof PipelineInput | undefined;
/**
 * The pipeline file's schemas, loaded the first time a flag is checked: zod and the schemas are a
 * good part of the CLI's start-up, which `--help` and most commands do not need.
 */
export function pipelineInput(): typeof PipelineInput {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (see above)
  return (pipelineInputModule ??= require('../domain/pipeline-input') as typeof PipelineInput);
}

const firstIssue = (schema: z.ZodType, value: unknown): string | undefined => {
  const parsed = schema.safeParse(value);
  return parsed.success ? undefined : parsed.error.issues[0]?.message;
};

/** A plain decimal number: `Number()` alone takes "", " ", "0x10" and "Infinity". */
const DECIMAL = /^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** A number flag checked by the schema of the pipeline field it sets. */
export function numberFlag(field: FieldName): (value: string) => number {
  return (value) => {
    const n = DECIMAL.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isFinite(n))
      throw new InvalidArgumentError(`must be a number (as ${field} in a pipeline file).`);
    const problem = firstIssue(pipelineInput().fieldSchemas[field], n);
    if (problem) throw new InvalidArgumentError(`${problem} (as ${field} in a pipeline file).`);
    return n;
  };
}

/** A whole number within [min, max], for flags that no pipeline field has (`list --limit`). */
export function wholeNumberFlag(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    return n;
  };
}

/** A duration flag within the bounds of the field it sets (DURATION_BOUNDS); kept as text. */
export function durationFlag(field: BoundedDurationField): (value: string) => string {
  return (value) => {
    const problem = durationProblem(value, field);
    if (problem) throw new InvalidArgumentError(`${problem} (as ${field}).`);
    return value.trim();
  };
}

/** An id argument or flag checked like the pipeline field it names. */
export function idFlag(field: 'train.jobId' | 'train.modelId' | 'checkpointId'): (value: string) => string {
  return (value) => {
    const problem = firstIssue(pipelineInput().fieldSchemas[field], value);
    if (problem) throw new InvalidArgumentError(`${problem}.`);
    return value;
  };
}

/** Variadic form of `idFlag` (`--job a b c`): commander hands each value with the ones before it. */
export function idListFlag(field: 'train.jobId'): (value: string, previous?: string[]) => string[] {
  const one = idFlag(field);
  return (value, previous) => [...(previous ?? []), one(value)];
}

/**
 * A workflow or schedule id (`starter status <workflowId>`, `--id`): Temporal takes almost any text,
 * but an empty or blank one, a control character or surrounding spaces is a typo, never an id.
 */
export function workflowIdFlag(name = 'workflowId'): (value: string) => string {
  return (value) => {
    if (!value.trim()) throw new InvalidArgumentError(`${name} must not be empty.`);
    if (value !== value.trim() || /[\p{Cc}]/u.test(value))
      throw new InvalidArgumentError(`${name} must not have control characters or surrounding spaces.`);
    if (Buffer.byteLength(value) > 1000) throw new InvalidArgumentError(`${name} is longer than 1000 bytes.`);
    return value;
  };
}

/** Free text (`--reason`, `--by`): not blank, at most `max` characters, no control characters. */
export function textFlag(name: string, max: number): (value: string) => string {
  return (value) => {
    if (!value.trim()) throw new InvalidArgumentError(`${name} must not be empty.`);
    if (value.length > max) throw new InvalidArgumentError(`${name} must be at most ${max} characters.`);
    if (/[\p{Cc}]/u.test(value)) throw new InvalidArgumentError(`${name} must not have control characters.`);
    return value;
  };
}

/** Five cron fields (minute hour day month weekday) or a Temporal shorthand such as `@daily`. */
export function cronFlag(): (value: string) => string {
  return (value) => {
    const v = value.trim();
    const shorthand = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(v);
    const fields = v.split(/\s+/);
    if (!shorthand && (fields.length !== 5 || !fields.every((f) => /^[\d*/,\-A-Za-z?LW#]+$/.test(f))))
      throw new InvalidArgumentError(
        `must be a cron expression of five fields such as "0 3 * * *" (or @daily), got "${value}".`,
      );
    return v;
  };
}

/** The `<workflowId>` argument of the commands that address one pipeline. */
export const pipelineIdArgument = () =>
  new Argument('<workflowId>', 'the pipeline').argParser(workflowIdFlag());

/** The `<checkpointId>` argument of `pin` and `unpin`. */
export const checkpointArgument = () =>
  new Argument('<checkpointId>', 'a checkpoint of the pipeline’s job').argParser(idFlag('checkpointId'));
