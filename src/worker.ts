/**
 * The worker: runs the workflows and activities on a task queue of a Temporal server (the local dev
 * server, a cluster, or Temporal Cloud). Configuration comes from the environment and is validated at
 * start: one message lists every bad variable (exit 1). SIGINT/SIGTERM let running activities finish.
 * Scale by running more of these processes: Temporal spreads the work.
 */
import {
  DefaultLogger,
  makeTelemetryFilterString,
  Runtime,
  Worker,
  type LogLevel,
  type LogMetadata,
} from '@temporalio/worker';
import { createActivities } from './activities';
import { connectWorkerConnection, dataConverterFromEnv } from './config/temporal-connection';
import { loadWorkerEnv, type WorkerEnv } from './config/worker-config';
import { workflowCode } from './config/workflow-code';
import { ConfigError } from './config/temporal-connection';
import { createProviderClients, providerEndpointsFromEnv } from './providers/config';
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

export async function createWorker(env: WorkerEnv): Promise<Worker> {
  const connection = await connectWorkerConnection(env);
  const activities = createActivities(
    createProviderClients(providerEndpointsFromEnv(env as unknown as NodeJS.ProcessEnv)),
    {
      webhookUrl: env.NOTIFY_WEBHOOK_URL,
    },
  );
  return Worker.create({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    ...workflowCode(env.WORKER_WORKFLOW_BUNDLE),
    activities,
    dataConverter: dataConverterFromEnv(),
    maxConcurrentActivityTaskExecutions: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
    reuseV8Context: env.WORKER_REUSE_V8_CONTEXT,
    shutdownGraceTime: `${env.WORKER_SHUTDOWN_GRACE_SECONDS}s`,
  });
}

async function main(): Promise<void> {
  const env = loadWorkerEnv();
  installRuntime(env);
  const worker = await createWorker(env);
  process.stderr.write(
    `worker polling ${env.TEMPORAL_TASK_QUEUE} on ${env.TEMPORAL_ADDRESS}/${env.TEMPORAL_NAMESPACE}${env.WORKER_METRICS_ADDRESS ? `; metrics on http://${env.WORKER_METRICS_ADDRESS}/metrics` : ''}\n`,
  );
  // Worker.run() handles SIGINT/SIGTERM itself: stops polling, lets activities finish within the grace time.
  await worker.run();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`worker: ${err.message}\n`);
    } else {
      process.stderr.write(`worker: ${redactText((err as Error)?.stack ?? String(err))}\n`);
    }
    process.exit(1);
  });
}
