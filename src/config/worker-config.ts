import fs from 'node:fs';
import { z } from 'zod';
import { webhookUrlProblem } from '../activities/notify';
import { parseEnv, temporalEnvSchema } from './temporal-connection';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const url = z.string().url('must be a URL such as https://api.example.com');
/**
 * A provider's rate limit, requests per second over the whole fleet: its activities run on a task
 * queue of their own (src/provider-rate/activity-queues.ts) whose dispatch rate the Temporal server holds
 * to this, whichever worker processes poll it. Unset: no limit.
 */
const maxRps = z.coerce
  .number({ message: 'must be a number of requests per second, such as 5 or 0.5' })
  .refine((n) => Number.isFinite(n) && n > 0, {
    message: 'must be a number of requests per second above 0, such as 5 or 0.5',
  })
  .optional();

/**
 * Everything the worker reads from its environment. Provider keys live here and only here; defaults
 * point every provider at the local sandbox.
 */
export const workerEnvSchema = temporalEnvSchema.extend({
  /**
   * Activities in flight at once. Provider calls are I/O-bound: 100 keeps one worker busy without
   * exceeding provider rate limits; raise it with more providers' quota.
   */
  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt(100),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: positiveInt(40),
  /**
   * One V8 context shared by all workflows (the SDK's default). Off gives each workflow its own context:
   * kept on because per-workflow memory is what bounds a supervising worker (bench/RESULTS.md).
   */
  WORKER_REUSE_V8_CONTEXT: z.stringbool().default(true),
  /**
   * Workflows kept in the sticky cache, about 0.37 MiB each. 1,000 keeps one worker supervising 10,000
   * jobs under 1 GiB (bench/RESULTS.md): a supervision wakes only to report (every 30 minutes by
   * default; its looks are activity retries), so an uncached one costs a replay of a short history at a
   * report, not at every look. Raise it with the heap for a worker that runs many pipelines at once.
   */
  WORKER_MAX_CACHED_WORKFLOWS: positiveInt(1000),
  /**
   * A workflow bundle made by `npm run build` (dist/workflow-bundle.js). Without it the worker bundles
   * the workflows with webpack at start, which costs seconds and leaves hundreds of MiB in the heap.
   */
  WORKER_WORKFLOW_BUNDLE: z.string().optional(),
  /**
   * One sweep of the TensorOne job list per freshness window for all the worker processes of the task
   * queue (docs/fleet-sweep.md). `false`: each process sweeps by itself, as before it (a rollout's way back).
   */
  WORKER_FLEET_SWEEP: z.stringbool().default(true),
  /** Seconds running activities get to finish on SIGINT/SIGTERM before the worker exits. */
  WORKER_SHUTDOWN_GRACE_SECONDS: positiveInt(30),
  /** Prometheus metrics from the SDK runtime, e.g. 0.0.0.0:9464; off when unset. */
  WORKER_METRICS_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be host:port')
    .optional(),
  LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Slack-compatible webhook for phase changes, approval requests, failures and results; http(s) only. */
  NOTIFY_WEBHOOK_URL: z
    .string()
    .superRefine((v, ctx) => {
      const problem = webhookUrlProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  /** Payload encryption keys (`id:base64,…`) and the active key id; off when unset. */
  FTP_PAYLOAD_KEYS: z
    .string()
    .regex(/^[\w-]+:[A-Za-z0-9+/=]+(,[\w-]+:[A-Za-z0-9+/=]+)*$/, 'must be id:base64key[,id:base64key…]')
    .optional(),
  FTP_PAYLOAD_KEY_ID: z.string().optional(),
  SANDBOX_URL: url.optional(),
  TENSORONE_BASE_URL: url.optional(),
  TENSORONE_API_KEY: z.string().min(8, 'looks too short for an API key').optional(),
  TENSORMESH_BASE_URL: url.optional(),
  TENSORMESH_API_KEY: z.string().min(8, 'looks too short for an API key').optional(),
  TENSORMESH_HF_TOKEN: z.string().min(8).optional(),
  MARQTUNE_BASE_URL: url.optional(),
  MARQTUNE_API_KEY: z.string().min(8, 'looks too short for an API key').optional(),
  TENSORONE_MAX_RPS: maxRps,
  TENSORMESH_MAX_RPS: maxRps,
  MARQTUNE_MAX_RPS: maxRps,
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

/** Validates the worker's environment; a provider pointed at a real URL must come with its key. */
export function loadWorkerEnv(env: NodeJS.ProcessEnv = process.env): WorkerEnv {
  const withPairs = workerEnvSchema.superRefine((e, ctx) => {
    for (const [base, key] of [
      ['TENSORONE_BASE_URL', 'TENSORONE_API_KEY'],
      ['TENSORMESH_BASE_URL', 'TENSORMESH_API_KEY'],
      ['MARQTUNE_BASE_URL', 'MARQTUNE_API_KEY'],
    ] as const) {
      if (e[base] && !e[key])
        ctx.addIssue({ code: 'custom', path: [key], message: `is required when ${base} is set` });
    }
    if (e.WORKER_WORKFLOW_BUNDLE && !fs.existsSync(e.WORKER_WORKFLOW_BUNDLE))
      ctx.addIssue({
        code: 'custom',
        path: ['WORKER_WORKFLOW_BUNDLE'],
        message: `${e.WORKER_WORKFLOW_BUNDLE} does not exist (npm run build makes dist/workflow-bundle.js)`,
      });
  });
  return parseEnv(withPairs, env);
}
