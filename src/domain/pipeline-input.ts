import { z } from 'zod';
import { DURATION_BOUNDS, durationProblem } from '../decisions/duration';
import { closeKeys, unknownKeyMessage } from './did-you-mean';
import { parseDuration } from './duration';
import {
  DEFAULT_SERVED_MODEL_REQUEST,
  TENSORMESH_CLOUD_PROVIDERS,
  TENSORMESH_DEPLOY_GPU_TYPES,
} from './tensormesh';
import { earlyStopSchema } from './early-stop';
import { sweepIssues, sweepSchema } from './sweep-spec';
import { tensoroneTrainConfigSchema } from './train-config';

/**
 * The fine-tune → deploy pipeline's input: one typed object, validated before any workflow starts (by
 * the CLI and `startPipeline`) and again inside the workflow. Secrets never appear here: provider keys,
 * `hfToken` and served-model keys come from the worker's environment.
 */

/**
 * Size limits, far below Temporal's: a payload over 512 KiB draws a warning and over 2 MiB fails the
 * request (a 10 MB file ended in RESOURCE_EXHAUSTED after 39 s), a history over 50 MiB ends the
 * workflow. The input is stored in the start event and `train.config` again in the create-job
 * activity's input, so a few copies of the largest input stay under 1 MiB of history.
 */
export const INPUT_LIMITS = {
  /** The pipeline file on disk (YAML comments and layout included). */
  fileBytes: 256 * 1024,
  /** The whole input, as the JSON the workflow receives. */
  inputBytes: 256 * 1024,
  /** `train.config`, as JSON: hyperparameters, not data (real configs are a few KiB). */
  configBytes: 64 * 1024,
} as const;

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((s) => parseDuration(s) !== undefined, {
      message: 'must be a duration such as "90s", "5m", "2h" or "7d"',
    });

/** Ids as the providers' documents show them (job_…, model_…, UUIDs): no spaces, slashes or controls. */
const providerId = (example: string) =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/,
      `must be an id such as "${example}" (up to 128 letters, digits, "_", ".", ":" or "-")`,
    );

/**
 * Fields the CLI's flags also set (`starter supervise --max-cost`, `cleanup --keep` …): the flags are
 * checked by these very schemas, so a flag and a file refuse the same values with the same words.
 */
export const fieldSchemas = {
  'train.jobId': providerId('job_1234567890abcdef'),
  'train.modelId': providerId('model_1234567890abcdef'),
  /** No pipeline field: `starter pin`/`unpin`/`approve --checkpoint`, as the providers show them. */
  checkpointId: providerId('ckpt_1234567890abcdef'),
  'supervision.resumeBudget': z
    .number()
    .int('must be a whole number from 0 to 20')
    .min(0, 'must be a whole number from 0 to 20')
    .max(20, 'must be a whole number from 0 to 20'),
  'budget.maxCost': z.number().positive('must be an amount above 0'),
  'cleanup.retention.keepLastN': z
    .number()
    .int('must be a whole number ≥ 0')
    .min(0, 'must be a whole number ≥ 0'),
  'cleanup.retention.keepWithinDays': z.number().min(0, 'must be a number of days ≥ 0'),
  'cleanup.maxDeletes': z
    .number()
    .int('must be a whole number from 1 to 100000')
    .min(1, 'must be a whole number from 1 to 100000')
    .max(100_000, 'must be a whole number from 1 to 100000'),
} as const;

const metricName = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9]*$/, 'must be a camelCase metric name such as "validationLoss"');
const gpuType = z.string().min(1);

/** `config` untyped: what pipelines started before it was typed were checked against. */
const anyConfig = z.record(z.string(), z.unknown());

const tensoroneTrainWith = (config: z.ZodType<Record<string, unknown>>) =>
  z
    .object({
      kind: z.literal('tensorone'),
      modelType: z.enum(['llm', 'vision', 'multimodal', 'custom']),
      datasetId: z
        .string()
        .regex(/^ds_[A-Za-z0-9_]+$/, 'must be a TensorOne dataset id such as "ds_1234567890abcdef"'),
      config,
      /** Preference order; on INSUFFICIENT_RESOURCES the next one the provider reports available is tried. */
      gpuTypes: z.array(gpuType).min(1, 'must list at least one GPU type').default(['a100']),
      maxWorkers: z.number().int().min(1).max(32).default(1),
      priority: z.enum(['high', 'normal', 'low']).default('normal'),
      description: z.string().max(500).optional(),
      tags: z.array(z.string()).default([]),
      earlyStop: earlyStopSchema,
      /** A hyperparameter sweep with successive halving (src/domain/sweep-spec.ts). */
      sweep: sweepSchema.optional(),
    })
    .strict();

const existingJob = z
  .object({
    kind: z.literal('tensorone-existing'),
    jobId: fieldSchemas['train.jobId'],
    earlyStop: earlyStopSchema,
  })
  .strict();
const marqtuneModel = z
  .object({ kind: z.literal('marqtune'), modelId: fieldSchemas['train.modelId'], earlyStop: earlyStopSchema })
  .strict();

const supervision = z
  .object({
    freshness: duration('5m').describe('a completion is noticed at most this late'),
    minInterval: duration('30s').describe('shortest gap between two looks at the job; never above freshness'),
    stallAfter: duration('30m').describe('no step progress for this long while running counts as a stall'),
    resumeBudget: fieldSchemas['supervision.resumeBudget']
      .default(2)
      .describe('stop-and-resume attempts for stalls, preemptions and resumable failures'),
    unknownStatusGrace: duration('30m').describe(
      'a status the documents never named ends the wait with a failure after this long',
    ),
    reportEvery: duration('30m').describe(
      'longest gap between progress reports while training runs steadily (never below freshness)',
    ),
    terminalStatusWindow: z
      .string()
      .refine((s) => parseDuration(s) !== undefined, {
        message: 'must be a duration such as "90s", "5m", "2h" or "7d"',
      })
      .optional()
      .describe(
        'a failed, cancelled or stopped status is acted on once it held this long (default: 3 × freshness or 10 × minInterval)',
      ),
  })
  .strict()
  .default({
    freshness: '5m',
    minInterval: '30s',
    stallAfter: '30m',
    resumeBudget: 2,
    unknownStatusGrace: '30m',
    reportEvery: '30m',
  });

const selection = z
  .object({
    metric: metricName
      .default('validationLoss')
      .describe('the checkpoint metric to choose by; only deployable checkpoints that carry it count'),
    direction: z
      .enum(['minimize', 'maximize'])
      .default('minimize')
      .describe('whether lower or higher is better'),
    tieBreak: z
      .enum(['latest-epoch', 'earliest-epoch'])
      .default('earliest-epoch')
      .describe('which of two checkpoints with the same value wins'),
  })
  .strict()
  .default({ metric: 'validationLoss', direction: 'minimize', tieBreak: 'earliest-epoch' });

const gate = z
  .object({
    threshold: z
      .number()
      .finite()
      .optional()
      .describe("the candidate's metric must be at least this good (≤ when minimizing, ≥ when maximizing)"),
    servingModelId: z
      .string()
      .min(1)
      .optional()
      .describe('registry id of the model now serving: the candidate must beat it (the registry compares)'),
    minImprovement: z
      .number()
      .min(0)
      .optional()
      .describe('the margin by which the candidate must beat the serving model or the champion'),
    compareWithChampion: z
      .boolean()
      .optional()
      .describe(
        "false: not compared with what serves the pipeline's name (a retrain on a new validation set); default compared",
      ),
    approval: z
      .object({
        required: z.boolean().default(true).describe('a person approves (starter approve) before deploying'),
        timeout: duration('24h').describe('how long to wait for the decision'),
        onTimeout: z
          .enum(['approve', 'reject'])
          .default('reject')
          .describe('what happens when nobody decides'),
      })
      .strict()
      .optional()
      .describe('wait for an operator to approve the candidate'),
  })
  .strict()
  .default({});

const smokeTest = z
  .object({ input: z.record(z.string(), z.unknown()).default({ prompt: 'Hello' }) })
  .strict()
  .default({ input: { prompt: 'Hello' } });
/**
 * Sample requests sent through runsync to the challenger and the champion before promotion (see
 * src/decisions/probe.ts); TensorOne endpoints only (TensorMesh documents no runsync).
 */
const probe = z
  .object({
    inputs: z
      .array(z.record(z.string(), z.unknown()))
      .min(1, 'must hold at least one sample input')
      .max(50, 'must hold at most 50 sample inputs')
      .describe('sample requests, sent one at a time to the challenger and the champion'),
    maxErrorRate: z
      .number()
      .min(0, 'must be a share from 0 to 1 (0.05 is 5 %)')
      .max(1, 'must be a share from 0 to 1 (0.05 is 5 %)')
      .default(0)
      .describe("the share of the challenger's requests that may fail"),
    maxP95: z
      .string()
      .refine((s) => parseDuration(s) !== undefined, {
        message: 'must be a duration such as "500ms" or "2s"',
      })
      .optional()
      .describe("the challenger's p95 latency may not be above this"),
    maxP95OverChampion: duration('250ms').describe(
      "the challenger's p95 may be at most this much above the champion's",
    ),
  })
  .strict()
  .optional();
/**
 * The served model's smoke request (TensorMesh documents no serving protocol): path under its
 * endpoint, JSON body (`{prompt}`, `{modelName}` filled in) and the answer field that must be present.
 * Unset: DEFAULT_SERVED_MODEL_REQUEST.
 */
const servedModelRequest = z
  .object({
    path: z
      .string()
      .max(200, 'must be at most 200 characters')
      .regex(
        /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/,
        'must be a path under the endpoint, starting with "/" (no host, query or spaces)',
      )
      .refine((p) => !p.split('/').includes('..'), {
        message: 'must not climb out of the endpoint with ".."',
      })
      .default(DEFAULT_SERVED_MODEL_REQUEST.path)
      .describe("path under the served model's endpoint"),
    body: z
      .record(z.string(), z.unknown())
      .refine((b) => JSON.stringify(b).length <= 4096, { message: 'must be at most 4 KiB of JSON' })
      .default(DEFAULT_SERVED_MODEL_REQUEST.body)
      .describe('JSON body; the string values {prompt} and {modelName} are filled in'),
    answerField: z
      .string()
      .max(200, 'must be at most 200 characters')
      .regex(
        /^[A-Za-z_$][\w$-]*(\.([0-9]+|[A-Za-z_$][\w$-]*))*$/,
        'must be a dotted field path such as "choices.0.text"',
      )
      .optional()
      .describe('a dotted path in the answer that must hold a value; unset: any 2xx answer counts'),
  })
  .strict()
  .optional()
  .describe(
    'how the served model is smoke-tested (an assumption: TensorMesh documents no serving protocol); default POST /v1/completions {model, prompt, max_tokens: 8}',
  );
const deployTimeout = duration('30m').describe(
  'the deployment must serve and pass its smoke test within this',
);
const retireAfter = duration('10m').describe(
  'the former champion drains this long after a promotion: starter rollback puts it back meanwhile',
);

/** How a TensorOne deployment is verified and how long its predecessor drains: the same for both targets. */
const tensoroneVerification = { smokeTest, probe, timeout: deployTimeout, retireAfter };

const deploy = z.discriminatedUnion('target', [
  z
    .object({
      target: z.literal('tensorone-endpoint'),
      gpuIds: z.array(gpuType).min(1).default(['a100']),
      workerCount: z.number().int().min(1).max(100).default(1),
      ...tensoroneVerification,
    })
    .strict(),
  z
    .object({
      target: z.literal('tensorone-registry'),
      environment: z.string().default('production'),
      gpuType: gpuType.default('a100'),
      workers: z.number().int().min(1).max(100).default(1),
      /** Registers the trained model as a new version of this registry model before deploying. */
      versionOf: z
        .object({ modelId: z.string().min(1), version: z.string().min(1) })
        .strict()
        .optional(),
      ...tensoroneVerification,
    })
    .strict(),
  z
    .object({
      target: z.literal('tensormesh'),
      userId: z.string().uuid('must be the TensorMesh user id (a UUID)'),
      /** Defaults to the chosen checkpoint's TensorOne reference. */
      modelPath: z.string().min(1).optional(),
      gpuType: z.enum(TENSORMESH_DEPLOY_GPU_TYPES).default('GPU_TYPE_A100'),
      gpuCount: z.number().int().min(1).max(64).default(1),
      infra: z
        .object({
          cloudProvider: z.enum(TENSORMESH_CLOUD_PROVIDERS).optional(),
          nebiusRegion: z.string().optional(),
          lambdaRegion: z.string().optional(),
          onpremRegion: z.string().optional(),
        })
        .strict()
        .optional(),
      kvCacheEnabled: z.boolean().optional(),
      cpuOffloadingEnabled: z.boolean().optional(),
      smokePrompt: z.string().default('Hello'),
      smokeRequest: servedModelRequest,
      timeout: deployTimeout,
      retireAfter,
    })
    .strict(),
]);

const retentionSchema = z
  .object({
    keepLastN: fieldSchemas['cleanup.retention.keepLastN']
      .default(3)
      .describe('newest automatic checkpoints kept per job (best, final and protected ones are always kept)'),
    keepWithinDays: fieldSchemas['cleanup.retention.keepWithinDays']
      .optional()
      .describe('also keep checkpoints younger than this many days'),
    maxTotalBytes: z.number().int().min(0).optional().describe('delete the oldest beyond this total size'),
    includeManual: z.boolean().default(false).describe('manual checkpoints may be deleted too'),
  })
  .strict();

const cleanup = z
  .object({
    enabled: z.boolean().default(true).describe("run the pipeline's own cleanup after it deploys"),
    retention: retentionSchema.default({ keepLastN: 3, includeManual: false }),
    maxDeletes: fieldSchemas['cleanup.maxDeletes']
      .default(1000)
      .describe('at most this many deletions per run'),
  })
  .strict()
  .default({ enabled: true, retention: { keepLastN: 3, includeManual: false }, maxDeletes: 1000 });

/** A pipeline's name: its workflow id and its serving slot are named after it. */
export const PIPELINE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The schema without bounds, with `train.config` as given. */
const pipelineSchemaWith = (config: z.ZodType<Record<string, unknown>>) =>
  z
    .object({
      /** Lower-case name; the workflow id is derived from it. */
      name: z
        .string()
        .regex(
          PIPELINE_NAME,
          'must be 1-63 lower-case letters, digits or dashes, starting with a letter or digit',
        ),
      train: z.discriminatedUnion('kind', [tensoroneTrainWith(config), existingJob, marqtuneModel]),
      supervision,
      selection,
      gate,
      deploy,
      cleanup,
      budget: z
        .object({
          maxCost: fieldSchemas['budget.maxCost'],
          whenFleetFull: z
            .enum(['wait', 'fail'])
            .optional()
            .describe(
              'when the task queue’s fleet budget is full: wait in line (phase awaiting-budget, the default) or fail before the job is created',
            ),
        })
        .strict()
        .optional(),
    })
    .strict()
    .superRefine((input, ctx) => {
      if (input.train.kind === 'tensorone' && input.train.sweep)
        for (const issue of sweepIssues(input.train.config, input.train.sweep))
          ctx.addIssue({ code: 'custom', ...issue });
      if (input.train.kind === 'marqtune' && input.deploy.target !== 'tensormesh') {
        ctx.addIssue({
          code: 'custom',
          path: ['deploy', 'target'],
          message: 'a Marqtune model can only be deployed to "tensormesh"',
        });
      }
      if (input.train.kind === 'marqtune' && input.train.earlyStop !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['train', 'earlyStop'],
          message:
            'Marqtune cannot stop a model and reports no checkpoint metric: early stopping needs a TensorOne job',
        });
      }
      // Marqtune reports no metric for its checkpoints: a metric gate could only ever reject.
      if (input.train.kind === 'marqtune') {
        for (const field of ['threshold', 'servingModelId'] as const) {
          if (input.gate[field] === undefined) continue;
          ctx.addIssue({
            code: 'custom',
            path: ['gate', field],
            message: `Marqtune checkpoints carry no metric to compare, so "gate.${field}" would always reject: remove it (use gate.approval for a human check)`,
          });
        }
      }
    });

type Issue = { path: (string | number)[]; message: string };

/**
 * Bounds on durations and sizes (DURATION_BOUNDS, INPUT_LIMITS), checked on the parsed input. Zod runs
 * this also when other fields are wrong (so one message lists everything): nothing here trusts shapes.
 */
function boundsIssues(spec: z.output<ReturnType<typeof pipelineSchemaWith>>): Issue[] {
  const issues: Issue[] = [];
  const durations: Partial<Record<keyof typeof DURATION_BOUNDS, string | undefined>> = {
    'supervision.freshness': spec.supervision?.freshness,
    'supervision.minInterval': spec.supervision?.minInterval,
    'supervision.stallAfter': spec.supervision?.stallAfter,
    'supervision.unknownStatusGrace': spec.supervision?.unknownStatusGrace,
    'supervision.reportEvery': spec.supervision?.reportEvery,
    'supervision.terminalStatusWindow': spec.supervision?.terminalStatusWindow,
    'gate.approval.timeout': spec.gate?.approval?.timeout,
    'deploy.timeout': spec.deploy?.timeout,
    'deploy.retireAfter': spec.deploy?.retireAfter,
    ...(spec.deploy && 'probe' in spec.deploy && spec.deploy.probe
      ? {
          'deploy.probe.maxP95': spec.deploy.probe.maxP95,
          'deploy.probe.maxP95OverChampion': spec.deploy.probe.maxP95OverChampion,
        }
      : {}),
  };
  for (const [field, value] of Object.entries(durations) as [keyof typeof DURATION_BOUNDS, unknown][]) {
    // Not a duration at all: the field's own schema has said so already.
    if (typeof value !== 'string' || parseDuration(value) === undefined) continue;
    const problem = durationProblem(value, field);
    if (problem) issues.push({ path: field.split('.'), message: problem });
  }
  const freshness = parseDuration(String(spec.supervision?.freshness));
  const minInterval = parseDuration(String(spec.supervision?.minInterval));
  if (freshness !== undefined && minInterval !== undefined && minInterval > freshness)
    issues.push({
      path: ['supervision', 'minInterval'],
      message: `must not exceed supervision.freshness (${spec.supervision.freshness})`,
    });
  const badString = illFormedStringAt(spec, []);
  if (badString)
    issues.push({ path: badString, message: 'holds text that is not valid Unicode (a lone surrogate)' });
  if (spec.train?.kind === 'tensorone') {
    const bytes = jsonBytes(spec.train.config);
    if (bytes > INPUT_LIMITS.configBytes)
      issues.push({
        path: ['train', 'config'],
        message: `is ${kib(bytes)} as JSON, more than the ${kib(INPUT_LIMITS.configBytes)} allowed (hyperparameters belong here, data belongs in the dataset)`,
      });
  }
  const total = jsonBytes(spec);
  if (total > INPUT_LIMITS.inputBytes)
    issues.push({
      path: [],
      message: `is ${kib(total)} as JSON, more than the ${kib(INPUT_LIMITS.inputBytes)} allowed`,
    });
  return issues;
}

const kib = (bytes: number) => `${Math.ceil(bytes / 1024)} KiB`;

/** UTF-8 length of the value's JSON, without Node's Buffer (workflow code runs this too). */
function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value) ?? '';
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4; // a surrogate pair: one four-byte character
      i++;
    } else bytes += 3;
  }
  return bytes;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first string (value or key) that UTF-8 cannot encode, if any. */
function illFormedStringAt(value: unknown, path: (string | number)[]): (string | number)[] | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = illFormedStringAt(value[i], [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (LONE_SURROGATE.test(k)) return [...path, k];
      const found = illFormedStringAt(v, [...path, k]);
      if (found) return found;
    }
  return undefined;
}

const bounded = <T extends ReturnType<typeof pipelineSchemaWith>>(schema: T) =>
  schema.superRefine((spec, ctx) => {
    for (const issue of boundsIssues(spec)) ctx.addIssue({ code: 'custom', ...issue });
  });

/** The pipeline input as checked today: bounds, and `train.config` typed per provider. */
export const pipelineInputSchema = bounded(pipelineSchemaWith(tensoroneTrainConfigSchema));

/**
 * The schemas pipelines started earlier were checked against, built only when one replays: without
 * bounds (and with `train.config` untyped), and with bounds but `train.config` untyped.
 */
const earlierSchemas = (() => {
  let unbounded: ReturnType<typeof pipelineSchemaWith> | undefined;
  let untypedConfig: ReturnType<typeof bounded> | undefined;
  return {
    unbounded: () => (unbounded ??= pipelineSchemaWith(anyConfig)),
    untypedConfig: () => (untypedConfig ??= bounded(pipelineSchemaWith(anyConfig))),
  };
})();

/** What a user writes (defaults optional). */
export type PipelineInput = z.input<typeof pipelineInputSchema>;
/** What the workflow works with (defaults filled in). */
export type PipelineSpec = z.output<typeof pipelineInputSchema>;

export class InvalidPipelineInput extends Error {
  constructor(
    readonly issues: { field: string; message: string }[],
    readonly source = 'pipeline input',
  ) {
    super(`${source} is invalid:\n${issues.map((i) => `  - ${i.field}: ${i.message}`).join('\n')}`);
    this.name = 'InvalidPipelineInput';
  }
}

export interface ParseOptions {
  /** Skip the duration and size bounds (and type no config): only to replay pipelines started before them. */
  unbounded?: boolean;
  /** Take `train.config` as any object: only to replay pipelines started before it was typed. */
  untypedConfig?: boolean;
}

/** Validates a pipeline input, throwing an error that names every bad field, one line per mistake. */
/** The specs this process's parse returned (as they came out of it): what a starter may vouch for. */
const parsedSpecs = new WeakSet<object>();

/** Whether `spec` is an object `parsePipelineInput` returned, not one built or copied by hand. */
export function cameFromTheParse(spec: object): boolean {
  return parsedSpecs.has(spec);
}

export function parsePipelineInput(input: unknown, source?: string, opts: ParseOptions = {}): PipelineSpec {
  const schema = opts.unbounded
    ? earlierSchemas.unbounded()
    : opts.untypedConfig
      ? earlierSchemas.untypedConfig()
      : pipelineInputSchema;
  // The keys an object knows, by the object's path, for the suggestions on an unknown key.
  const knownKeys = new Map<string, string[]>();
  const parsed = schema.safeParse(input, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') knownKeys.set(pathKey(issue.path ?? []), shapeKeys(issue.inst));
      return undefined;
    },
  });
  if (parsed.success) {
    parsedSpecs.add(parsed.data);
    return parsed.data as PipelineSpec;
  }
  throw new InvalidPipelineInput(explainIssues(parsed.error.issues, input, knownKeys), source);
}

const pathKey = (path: readonly PropertyKey[]) => JSON.stringify(path.map(String));

function shapeKeys(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def
    ?.shape;
  return shape ? Object.keys(shape) : [];
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (!value || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** A key beside a missing one that is its likely misspelling, as an unknown-key line. */
function misspellingBeside(
  input: unknown,
  path: readonly PropertyKey[],
): { field: string; message: string } | undefined {
  const missing = String(path[path.length - 1]);
  const parent = valueAt(input, path.slice(0, -1));
  if (!parent || typeof parent !== 'object' || Array.isArray(parent)) return undefined;
  const typo = Object.keys(parent).find((k) => closeKeys(k, [missing]).length > 0);
  if (typo === undefined) return undefined;
  return {
    field: [...path.slice(0, -1), typo].map(String).join('.'),
    message: unknownKeyMessage(typo, [missing]),
  };
}

/**
 * Zod's issues as one line per mistake: each unknown key on its own line with a "did you mean"; a
 * required field left out is not reported again when an unknown key beside it is its likely misspelling.
 */
function explainIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  knownKeys: ReadonlyMap<string, string[]>,
): { field: string; message: string }[] {
  // An empty key is shown as "" so that every line names something.
  const field = (path: readonly PropertyKey[]) =>
    path.length ? path.map((k) => (String(k) === '' ? '""' : String(k))).join('.') : '(root)';
  const explained: { field: string; message: string }[] = [];
  const misspelled = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const known = knownKeys.get(pathKey(issue.path)) ?? [];
    for (const key of issue.keys) {
      explained.push({ field: field([...issue.path, key]), message: unknownKeyMessage(key, known) });
      for (const close of closeKeys(key, known)) misspelled.add(pathKey([...issue.path, close]));
    }
  }
  const others = issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return [];
    const absent = issue.path.length > 0 && valueAt(input, issue.path) === undefined;
    const missing = issue.code === 'invalid_type' && absent;
    if (missing && misspelled.has(pathKey(issue.path))) return [];
    // A misspelled discriminator (`kin: tensorone`): zod cannot tell which keys are known there.
    const typo = absent && issue.code === 'invalid_union' ? misspellingBeside(input, issue.path) : undefined;
    if (typo) return [typo];
    return [
      {
        field: field(issue.path),
        message: missing && issue.message.startsWith('Invalid input') ? 'is required' : issue.message,
      },
    ];
  });
  return [...others, ...explained];
}

export function pipelineWorkflowId(name: string): string {
  return `pipeline-${name}`;
}
