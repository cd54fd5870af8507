import { z } from 'zod';
import { DURATION_BOUNDS } from '../../src/decisions/duration';
import { INPUT_LIMITS, pipelineInputSchema } from '../../src/domain/pipeline-input';

/**
 * The pipeline file's field reference, walked from the zod schema's JSON Schema (what a user writes:
 * defaults optional), so the page says what the parser accepts and cannot drift from it.
 */

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
};

export type FieldRow = {
  field: string;
  /** The union variant the field belongs to, e.g. `kind: tensorone`. */
  when: string;
  type: string;
  default: string;
  constraints: string;
  description: string;
};

const code = (text: string) => `\`${text}\``;
const json = (value: unknown) => JSON.stringify(value);
/** A table cell: one line, pipes escaped. */
const cell = (text: string) => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');

const variants = (s: JsonSchema) => s.oneOf ?? s.anyOf;
const isObject = (s: JsonSchema) => s.type === 'object' || s.properties !== undefined;

/** The property every variant of a union fixes to a constant (`kind`, `target`), if there is one. */
function discriminator(options: JsonSchema[]): string | undefined {
  const first = options[0]?.properties ?? {};
  return Object.keys(first).find((key) => options.every((o) => o.properties?.[key]?.const !== undefined));
}

function typeOf(s: JsonSchema, path: string): string {
  if (path in DURATION_BOUNDS) return 'duration';
  if (s.const !== undefined) return code(json(s.const));
  if (s.enum) return s.enum.map((v) => code(json(v))).join(' | ');
  const options = variants(s);
  if (options) return options.map((o) => typeOf(o, path)).join(' or ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items, `${path}[]`) : 'anything'}`;
  if (isObject(s)) return s.properties && Object.keys(s.properties).length ? 'object' : 'map (any keys)';
  if (Array.isArray(s.type)) return s.type.join(' or ');
  return s.type ?? 'anything';
}

function constraintsOf(s: JsonSchema, path: string): string {
  const parts: string[] = [];
  const bounds = (DURATION_BOUNDS as Record<string, { min: string; max: string }>)[path];
  if (bounds) parts.push(`${bounds.min} to ${bounds.max}`);
  if (s.minimum !== undefined && s.minimum > Number.MIN_SAFE_INTEGER) parts.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) parts.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  if (s.minLength === 1) parts.push('not empty');
  else if (s.minLength !== undefined && s.minLength > 1) parts.push(`at least ${s.minLength} characters`);
  if (s.maxLength !== undefined) parts.push(`at most ${s.maxLength} characters`);
  if (s.minItems === 1) parts.push('not empty');
  else if (s.minItems !== undefined && s.minItems > 1) parts.push(`at least ${s.minItems} items`);
  if (s.maxItems !== undefined) parts.push(`at most ${s.maxItems} items`);
  // A format (uuid, email …) says more than the regular expression zod writes for it.
  if (s.format !== undefined) parts.push(`a ${s.format}`);
  else if (s.pattern !== undefined) parts.push(`matches ${code(s.pattern)}`);
  if (s.items && !isObject(s.items)) {
    const inner = constraintsOf(s.items, `${path}[]`);
    if (inner) parts.push(`each ${inner}`);
  }
  if (path === 'train.config') parts.push(`at most ${INPUT_LIMITS.configBytes / 1024} KiB as JSON`);
  if (isObject(s) && s.additionalProperties === false) parts.push('no other keys');
  return parts.join('; ');
}

function defaultOf(s: JsonSchema, required: boolean): string {
  if (s.default === undefined) return required ? 'required' : '';
  // An object with fields of its own: each field's row says its default.
  if (s.properties && Object.keys(s.properties).length && s.default && typeof s.default === 'object')
    return Object.keys(s.default).length ? 'the defaults below' : code('{}');
  return code(json(s.default));
}

function walk(s: JsonSchema, path: string, required: boolean, when: string, rows: FieldRow[]): void {
  const options = variants(s);
  const key = options && discriminator(options);
  rows.push({
    field: path,
    when,
    type: key ? `object, by ${code(key)}` : typeOf(s, path),
    default: defaultOf(s, required),
    constraints: key ? '' : constraintsOf(s, path),
    description: s.description ?? '',
  });
  if (options && key) {
    for (const option of options) {
      const value = option.properties?.[key]?.const;
      walkProperties(option, path, `${key}: ${String(value)}`, rows);
    }
    return;
  }
  if (s.items && isObject(s.items) && s.items.properties) walkProperties(s.items, `${path}[]`, when, rows);
  if (isObject(s)) walkProperties(s, path, when, rows);
}

function walkProperties(s: JsonSchema, path: string, when: string, rows: FieldRow[]): void {
  for (const [name, child] of Object.entries(s.properties ?? {})) {
    const childPath = path ? `${path}.${name}` : name;
    walk(child, childPath, (s.required ?? []).includes(name), when, rows);
  }
}

/** One row per field of the pipeline file, in the schema's order, union variants after their field. */
export function pipelineFieldRows(schema: z.ZodType = pipelineInputSchema): FieldRow[] {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const rows: FieldRow[] = [];
  walkProperties(root, '', '', rows);
  return rows;
}

export function renderPipelineFields(rows: FieldRow[] = pipelineFieldRows()): string {
  const lines = [
    '| field | type | default | constraints | description |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${[
          code(r.field) + (r.when ? ` (with ${code(r.when)})` : ''),
          r.type,
          r.default,
          r.constraints,
          r.description,
        ]
          .map(cell)
          .join(' | ')} |`,
    ),
  ];
  return lines.join('\n');
}
