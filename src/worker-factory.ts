import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { createActivities, type Activities } from './activities';
import { createProviderWorkers, PROVIDER_QUEUE_INTERCEPTORS } from './provider-rate/workers';
import { providerRateLimits } from './provider-rate/limits';
import { providerRate } from './provider-rate';
import { workerEnvSchema, type WorkerEnv } from './config/worker-config';
import { workflowCode } from './config/workflow-code';
import type { ProviderClients } from './providers/config';
import { withProviders } from './providers';
import type { BoundProvider } from './providers/plugin';

/** The worker settings the environment sets and `loadWorkerEnv` validates (src/config/worker-config.ts). */
type WorkerSettings = Pick<
  WorkerEnv,
  | 'WORKER_MAX_CONCURRENT_ACTIVITIES'
  | 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS'
  | 'WORKER_MAX_CACHED_WORKFLOWS'
  | 'WORKER_REUSE_V8_CONTEXT'
  | 'WORKER_WORKFLOW_BUNDLE'
  | 'WORKER_SHUTDOWN_GRACE_SECONDS'
  | 'WORKER_FLEET_SWEEP'
  | 'NOTIFY_WEBHOOK_URL'
  | 'TENSORONE_MAX_RPS'
  | 'TENSORMESH_MAX_RPS'
  | 'MARQTUNE_MAX_RPS'
>;

/** The settings of a worker whose environment sets none: the schema's defaults. */
export function defaultWorkerSettings(): WorkerSettings {
  return workerEnvSchema.parse({});
}

/** After the grace, cancelled activities get this long to return before the worker gives up on them. */
export const SHUTDOWN_FORCE_EXTRA_SECONDS = 3;

export interface WorkerWiring {
  connection: NativeConnection;
  /** Default: the connection's namespace as the SDK takes it (`default`). */
  namespace?: string;
  taskQueue: string;
  /** The provider clients the activities call: from the environment, or a sandbox's. */
  providers: ProviderClients;
  /**
   * Providers besides the built-in ones (src/providers/index.ts), each a plug-in bound to its client
   * (`bindProvider`): their activities are registered with the rest, on the workflow's task queue.
   */
  moreProviders?: readonly BoundProvider[];
  settings: WorkerSettings;
  /** Payload encryption (`dataConverterFromEnv()`); none by default. */
  dataConverter?: DataConverter;
  /** Options a test or benchmark varies on top of the settings (documented where it does). */
  overrides?: Partial<WorkerOptions>;
  /**
   * Provider activities on a task queue per provider, each held by the server to its `*_MAX_RPS`
   * (src/provider-rate/workers.ts). The worker process and the main job set it; a prebuilt bundle has the
   * interceptor built in, so a worker running one always needs the provider queues' workers.
   */
  providerQueues?: boolean;
}

/**
 * THE worker: the product's workflows and activities on one task queue, with the validated settings.
 * `npm run worker`, the main job (`npm start`), the benchmarks and the test bed all start it here.
 */
export function createWorker(w: WorkerWiring, activities: Activities = activitiesOf(w)): Promise<Worker> {
  const s = w.settings;
  return Worker.create({
    connection: w.connection,
    ...(w.namespace ? { namespace: w.namespace } : {}),
    taskQueue: w.taskQueue,
    ...workflowCode(s.WORKER_WORKFLOW_BUNDLE),
    ...(w.providerQueues && !s.WORKER_WORKFLOW_BUNDLE
      ? { interceptors: { workflowModules: [PROVIDER_QUEUE_INTERCEPTORS] } }
      : {}),
    activities,
    ...(w.dataConverter ? { dataConverter: w.dataConverter } : {}),
    maxConcurrentActivityTaskExecutions: s.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: s.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxCachedWorkflows: s.WORKER_MAX_CACHED_WORKFLOWS,
    reuseV8Context: s.WORKER_REUSE_V8_CONTEXT,
    ...shutdownTimes(s),
    ...w.overrides,
  });
}

/** The main worker and, with `providerQueues`, the provider queues' workers: one set of activities. */
export interface WorkerGroup {
  workers: Worker[];
  /** Runs them all; one that stops (a fatal error, a signal) stops the others. */
  run(): Promise<void>;
  shutdown(): void;
}

export async function createWorkerGroup(w: WorkerWiring): Promise<WorkerGroup> {
  // One set of provider clients for the process: what a client learns (a route the provider lacks) holds for all.
  const activities = activitiesOf(w);
  const main = await createWorker(w, activities);
  const providerWorkers = w.providerQueues
    ? await createProviderWorkers(w, {
        activities,
        ...(w.dataConverter ? { dataConverter: w.dataConverter } : {}),
        maxConcurrentActivityTaskExecutions: w.settings.WORKER_MAX_CONCURRENT_ACTIVITIES,
        ...shutdownTimes(w.settings),
        ...w.overrides,
      })
    : [];
  const workers = [main, ...providerWorkers];
  const shutdown = () => {
    for (const x of workers) if (x.getState() === 'RUNNING') x.shutdown();
  };
  return {
    workers,
    shutdown,
    run: async () => {
      await Promise.all(workers.map((x) => x.run().finally(shutdown)));
    },
  };
}

/**
 * The process's activities. The limits hold only where the provider queues run: there, and only there,
 * the reads of a limited provider go through its queue (chosen here, once).
 */
function activitiesOf(w: WorkerWiring): Activities {
  const limits = w.providerQueues ? providerRateLimits(w.settings) : {};
  return withProviders(
    createActivities(w.providers, {
      webhookUrl: w.settings.NOTIFY_WEBHOOK_URL,
      providerRate: providerRate(w.providers, limits),
      fleetSweep: w.settings.WORKER_FLEET_SWEEP,
    }),
    w.moreProviders ?? [],
  );
}

/** Running activities get the grace to finish; those that ignore their cancellation do not hold the process long. */
function shutdownTimes(s: WorkerSettings): Pick<WorkerOptions, 'shutdownGraceTime' | 'shutdownForceTime'> {
  return {
    shutdownGraceTime: `${s.WORKER_SHUTDOWN_GRACE_SECONDS}s`,
    shutdownForceTime: `${s.WORKER_SHUTDOWN_GRACE_SECONDS + SHUTDOWN_FORCE_EXTRA_SECONDS}s`,
  };
}
