/**
 * The worker: runs the workflows and activities on a task queue of a Temporal server (the local dev
 * server, a cluster, or Temporal Cloud). Configuration comes from the environment and is validated at
 * start: one message lists every bad variable (exit 2). SIGINT/SIGTERM let running activities finish
 * within WORKER_SHUTDOWN_GRACE_SECONDS, then the connection closes and the process exits (0).
 * Scale by running more of these processes: Temporal spreads the work.
 */
import {
  DefaultLogger,
  makeTelemetryFilterString,
  Runtime,
  Worker,
  type LogLevel,
  type NativeConnection,
  type WorkerOptions,
  type LogMetadata,
} from '@temporalio/worker';
import { createActivities, type Activities } from './activities';
import { connectWorkerConnection, dataConverterFromEnv } from './config/temporal-connection';
import { loadWorkerEnv, type WorkerEnv } from './config/worker-config';
import { workflowCode } from './config/workflow-code';
import { ConfigError } from './config/temporal-connection';
import { createProviderClients, providerEndpointsFromEnv } from './providers/config';
import { createProviderWorkers, PROVIDER_QUEUE_INTERCEPTORS } from './provider-workers';
import { redact, redactText } from './providers/http/redact';

/** Structured JSON logs (workflow id, run id, activity in the SDK's metadata), secrets scrubbed. */
function installRuntime(env: WorkerEnv): void {
  Runtime.install({
    logger: new DefaultLogger(env.LOG_LEVEL as LogLevel, (entry) => {
      const line = {
        level: entry.level,
        time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
        message: redactText(entry.message),
        ...redact((entry.meta ?? {}) as LogMetadata),
      };
      process.stderr.write(`${JSON.stringify(line)}\n`);
    }),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(env.WORKER_METRICS_ADDRESS
        ? { metrics: { prometheus: { bindAddress: env.WORKER_METRICS_ADDRESS } } }
        : {}),
    },
  });
}

/** The process's activities: one set of provider clients, so what a client learns (a route the provider lacks) holds for the process. */
function activitiesFromEnv(env: WorkerEnv): Activities {
  return createActivities(
    createProviderClients(providerEndpointsFromEnv(env as unknown as NodeJS.ProcessEnv)),
    {
      webhookUrl: env.NOTIFY_WEBHOOK_URL,
    },
  );
}

export async function createWorker(
  env: WorkerEnv,
  connection: NativeConnection,
  activities: Activities = activitiesFromEnv(env),
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    ...workflowCode(env.WORKER_WORKFLOW_BUNDLE),
    // A prebuilt bundle has the interceptor built in (scripts/bundle-workflows.ts).
    ...(env.WORKER_WORKFLOW_BUNDLE
      ? {}
      : { interceptors: { workflowModules: [PROVIDER_QUEUE_INTERCEPTORS] } }),
    activities,
    dataConverter: dataConverterFromEnv(),
    maxConcurrentActivityTaskExecutions: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
    reuseV8Context: env.WORKER_REUSE_V8_CONTEXT,
    ...shutdownTimes(env),
  });
}

/** Running activities get the grace to finish; those that ignore their cancellation do not hold the process long. */
function shutdownTimes(env: WorkerEnv): Pick<WorkerOptions, 'shutdownGraceTime' | 'shutdownForceTime'> {
  return {
    shutdownGraceTime: `${env.WORKER_SHUTDOWN_GRACE_SECONDS}s`,
    shutdownForceTime: `${env.WORKER_SHUTDOWN_GRACE_SECONDS + SHUTDOWN_FORCE_EXTRA_SECONDS}s`,
  };
}

/** The workers of the provider task queues (src/provider-workers.ts), with the process's activities. */
function createProviderQueueWorkers(
  env: WorkerEnv,
  connection: NativeConnection,
  activities: Activities,
): Promise<Worker[]> {
  return createProviderWorkers(env, connection, {
    activities,
    dataConverter: dataConverterFromEnv(),
    maxConcurrentActivityTaskExecutions: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
    ...shutdownTimes(env),
  });
}

/** After the grace, cancelled activities get this long to return before the worker gives up on them. */
const SHUTDOWN_FORCE_EXTRA_SECONDS = 3;

/**
 * Last resort: if anything still holds the event loop after a signal (a socket the SDK or an activity
 * left open), exit anyway once the grace and the force time have passed.
 */
function exitAfterSignal(graceSeconds: number): void {
  const arm = (signal: string) => {
    setTimeout(
      () => {
        process.stderr.write(`worker: still running ${graceSeconds}s+ after ${signal}; exiting\n`);
        process.exit(1);
      },
      (graceSeconds + SHUTDOWN_FORCE_EXTRA_SECONDS + 2) * 1000,
    ).unref();
  };
  process.once('SIGTERM', () => arm('SIGTERM'));
  process.once('SIGINT', () => arm('SIGINT'));
}

async function main(): Promise<void> {
  const env = loadWorkerEnv();
  installRuntime(env);
  const connection = await connectWorkerConnection(env);
  try {
    const activities = activitiesFromEnv(env);
    const worker = await createWorker(env, connection, activities);
    const providerWorkers = await createProviderQueueWorkers(env, connection, activities);
    process.stderr.write(
      `worker polling ${env.TEMPORAL_TASK_QUEUE} and its provider queues on ${env.TEMPORAL_ADDRESS}/${env.TEMPORAL_NAMESPACE}${env.WORKER_METRICS_ADDRESS ? `; metrics on http://${env.WORKER_METRICS_ADDRESS}/metrics` : ''}\n`,
    );
    exitAfterSignal(env.WORKER_SHUTDOWN_GRACE_SECONDS);
    // Worker.run() handles SIGINT/SIGTERM itself: stops polling, lets activities finish within the grace
    // time. One worker that stops (a fatal error) stops the others.
    const all = [worker, ...providerWorkers];
    await Promise.all(
      all.map((w) =>
        w.run().finally(() => {
          for (const other of all) if (other.getState() === 'RUNNING') other.shutdown();
        }),
      ),
    );
  } finally {
    // The open connection alone kept the process alive after the worker had stopped.
    await connection.close();
  }
  process.stderr.write('worker: stopped\n');
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      if (err instanceof ConfigError) {
        process.stderr.write(`worker: ${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`worker: ${redactText((err as Error)?.stack ?? String(err))}\n`);
      process.exit(1);
    },
  );
}
