import { z } from 'zod';

/**
 * Fault injection, set per run through `POST /admin/faults` or the SANDBOX_FAULTS environment variable
 * (JSON). Rates are probabilities per request, drawn from the sandbox's seeded generator.
 */
export const faultConfigSchema = z.object({
  /** Share of provider requests answered 500/502/503. */
  errorRate: z.number().min(0).max(1).default(0),
  /** The status of those answers (default: 500, 502 or 503 at random); e.g. 403 for a refusal no retry fixes. */
  errorStatus: z.number().int().min(400).max(599).optional(),
  /** Share of provider requests answered 429 with `Retry-After`. */
  rateLimitRate: z.number().min(0).max(1).default(0),
  retryAfterSeconds: z.number().min(0).default(1),
  /** Extra latency on every provider request, and the share of requests that get a spike. */
  latencyMs: z.number().min(0).default(0),
  latencySpikeRate: z.number().min(0).max(1).default(0),
  latencySpikeMs: z.number().min(0).default(2000),
  /** Share of requests whose connection is reset before any answer. */
  resetRate: z.number().min(0).max(1).default(0),
  /**
   * The next `count` provider requests whose path matches `routePattern` have their connection reset
   * before any answer (the count goes down as they are used): a run of transport failures in a row.
   */
  resetsInARow: z.object({ routePattern: z.string(), count: z.number().int().min(0) }).optional(),
  /** Share of create requests (POST that makes a resource) performed and then answered by a reset. */
  lostCreateRate: z.number().min(0).max(1).default(0),
  /** Share of DELETE requests performed and then answered by a reset: a deletion whose answer is lost. */
  lostDeleteRate: z.number().min(0).max(1).default(0),
  /** Jobs whose name contains this text fail at `failAtEpoch` (empty text: every job). */
  failAtEpoch: z.number().int().positive().optional(),
  failJobNameContains: z.string().default(''),
  /** Jobs stall (no step progress, still "running") when they reach this epoch, until stopped and resumed. */
  stallAtEpoch: z.number().int().positive().optional(),
  stallJobNameContains: z.string().default(''),
  /** GPU types for which job creation answers INSUFFICIENT_RESOURCES. */
  unavailableGpuTypes: z.array(z.string()).default([]),
  /** Deployments (TensorOne endpoints, registry deployments, TensorMesh models) end up failed. */
  failDeployments: z.boolean().default(false),
  /** Deployed endpoints answer runsync / completions with a 500. */
  failInference: z.boolean().default(false),
  /**
   * TensorOne endpoints answer runsync 200 with this job status and no output (e.g. `FAILED`: the worker
   * ran the request and it failed; `IN_QUEUE`: not run within the synchronous wait) instead of `COMPLETED`.
   */
  inferenceStatus: z.string().min(1).optional(),
  /**
   * TensorOne endpoints whose name contains the text answer runsync `latencyMs` later and fail
   * `errorRate` of them with a 500: a challenger worse than the champion it would replace.
   */
  degradedInference: z
    .object({
      endpointNameContains: z.string().min(1),
      latencyMs: z.number().min(0).default(0),
      errorRate: z.number().min(0).max(1).default(0),
    })
    .optional(),
  /**
   * Creates (POST that makes a resource) whose path matches `routePattern`: acted on `actAfterMs` after
   * they arrive and answered `answerAfterMs` after that, in real time — a provider slower than the
   * client's timeout, or an answer held up on the way back. Only the next `count` such creates (the
   * count goes down as they are used). Not limited by `routePattern` below.
   */
  slowCreates: z
    .object({
      routePattern: z.string(),
      actAfterMs: z.number().min(0).default(0),
      answerAfterMs: z.number().min(0).default(0),
      count: z.number().int().min(0).default(1),
    })
    .optional(),
  /** The registry list ignores its `trainingJobId` filter and answers every model (a provider defect). */
  registryIgnoresJobFilter: z.boolean().default(false),
  /** Only requests whose path matches this regular expression get the random faults above. */
  routePattern: z.string().optional(),
  /**
   * One odd answer per job: the job GET or the job list answers this status once, the first time it is asked while the
   * job trains epoch `spuriousStatusAtEpoch` or later (jobs whose name contains the text; empty: every job).
   */
  spuriousStatus: z.string().min(1).optional(),
  spuriousStatusAtEpoch: z.number().int().positive().default(1),
  spuriousStatusJobNameContains: z.string().default(''),
  /** A stalled job's step counter wobbles: every other answer shows this many steps fewer (1500 ↔ 1400). */
  stallWobbleSteps: z.number().int().min(0).default(0),
  /**
   * The next this-many provider GETs (whose path matches `htmlAnswerRoutePattern`, when set) are answered
   * 200 with a gateway's HTML page instead of the resource; counts down as they are sent.
   */
  htmlAnswers: z.number().int().min(0).default(0),
  htmlAnswerRoutePattern: z.string().optional(),
  /**
   * A provider that lies about a training job for several looks in a row: the next `looks` answers
   * (job list entries and job GETs, TensorOne and Marqtune) about a job that trains epoch `atEpoch` or
   * later, whose name contains the text (empty: every job), say `status` instead of its own, progress
   * unchanged. Counts down as they are sent (see sandbox/status-lie.ts).
   */
  statusLie: z
    .object({
      status: z.string().min(1),
      atEpoch: z.number().int().positive().default(1),
      looks: z.number().int().min(0).default(1),
      jobNameContains: z.string().default(''),
    })
    .optional(),
});

export type FaultConfig = z.infer<typeof faultConfigSchema>;
export type FaultConfigInput = z.input<typeof faultConfigSchema>;

export const NO_FAULTS: FaultConfig = faultConfigSchema.parse({});
