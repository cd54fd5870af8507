import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { createActivities } from './activities';
import { workerEnvSchema, type WorkerEnv } from './config/worker-config';
import { workflowCode } from './config/workflow-code';
import type { ProviderClients } from './providers/config';

/** The worker settings the environment sets and `loadWorkerEnv` validates (src/config/worker-config.ts). */
type WorkerSettings = Pick<
  WorkerEnv,
  | 'WORKER_MAX_CONCURRENT_ACTIVITIES'
  | 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS'
  | 'WORKER_MAX_CACHED_WORKFLOWS'
  | 'WORKER_REUSE_V8_CONTEXT'
  | 'WORKER_WORKFLOW_BUNDLE'
  | 'WORKER_SHUTDOWN_GRACE_SECONDS'
  | 'NOTIFY_WEBHOOK_URL'
>;

/** The settings of a worker whose environment sets none: the schema's defaults. */
export function defaultWorkerSettings(): WorkerSettings {
  return workerEnvSchema.parse({});
}

/** After the grace, cancelled activities get this long to return before the worker gives up on them. */
export const SHUTDOWN_FORCE_EXTRA_SECONDS = 3;

interface WorkerWiring {
  connection: NativeConnection;
  /** Default: the connection's namespace as the SDK takes it (`default`). */
  namespace?: string;
  taskQueue: string;
  /** The provider clients the activities call: from the environment, or a sandbox's. */
  providers: ProviderClients;
  settings: WorkerSettings;
  /** Payload encryption (`dataConverterFromEnv()`); none by default. */
  dataConverter?: DataConverter;
  /** Options a test or benchmark varies on top of the settings (documented where it does). */
  overrides?: Partial<WorkerOptions>;
}

/**
 * THE worker: the product's workflows and activities on one task queue, with the validated settings.
 * `npm run worker`, the main job (`npm start`), the benchmarks and the test bed all start it here.
 */
export function createWorker(w: WorkerWiring): Promise<Worker> {
  const s = w.settings;
  return Worker.create({
    connection: w.connection,
    ...(w.namespace ? { namespace: w.namespace } : {}),
    taskQueue: w.taskQueue,
    ...workflowCode(s.WORKER_WORKFLOW_BUNDLE),
    activities: createActivities(w.providers, { webhookUrl: s.NOTIFY_WEBHOOK_URL }),
    ...(w.dataConverter ? { dataConverter: w.dataConverter } : {}),
    maxConcurrentActivityTaskExecutions: s.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: s.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxCachedWorkflows: s.WORKER_MAX_CACHED_WORKFLOWS,
    reuseV8Context: s.WORKER_REUSE_V8_CONTEXT,
    shutdownGraceTime: `${s.WORKER_SHUTDOWN_GRACE_SECONDS}s`,
    // Activities that ignore their cancellation do not hold the process past the grace for long.
    shutdownForceTime: `${s.WORKER_SHUTDOWN_GRACE_SECONDS + SHUTDOWN_FORCE_EXTRA_SECONDS}s`,
    ...w.overrides,
  });
}
