/**
 * The worker: runs the workflows and activities on a task queue of a Temporal server (the local dev
 * server, a cluster, or Temporal Cloud). Configuration comes from the environment and is validated at
 * start: one message lists every bad variable (exit 2). SIGINT/SIGTERM let running activities finish
 * within WORKER_SHUTDOWN_GRACE_SECONDS, then the connection closes and the process exits (0).
 * Scale by running more of these processes: Temporal spreads the work.
 */
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogLevel } from '@temporalio/worker';
import { ConfigError, connectWorkerConnection, dataConverterFromEnv } from './config/temporal-connection';
import { loadWorkerEnv, type WorkerEnv } from './config/worker-config';
import { createProviderClients, providerEndpointsFromEnv } from './providers/config';
import { jsonLogLine } from './logging/json-log';
import { redactText } from './providers/http/redact';
import { createWorkerGroup, SHUTDOWN_FORCE_EXTRA_SECONDS } from './worker-factory';

/** Buckets of the domain histograms (seconds): minutes to a day, not the SDK's milliseconds. */
const DOMAIN_HISTOGRAM_BUCKETS: Record<string, number[]> = {
  ftp_pipeline_time_to_deploy_seconds: [60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400],
  ftp_approval_wait_seconds: [60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400],
  ftp_provider_retry_after_seconds: [1, 2, 5, 10, 30, 60, 120, 300, 900],
};

/** Structured JSON logs (workflow id, run id, activity in the SDK's metadata), secrets scrubbed. */
function installRuntime(env: WorkerEnv): void {
  Runtime.install({
    logger: new DefaultLogger(env.LOG_LEVEL as LogLevel, (entry) =>
      process.stderr.write(`${jsonLogLine(entry)}\n`),
    ),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(env.WORKER_METRICS_ADDRESS
        ? {
            metrics: {
              prometheus: {
                bindAddress: env.WORKER_METRICS_ADDRESS,
                histogramBucketOverrides: DOMAIN_HISTOGRAM_BUCKETS,
              },
            },
          }
        : {}),
    },
  });
}

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
    const group = await createWorkerGroup({
      connection,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      providers: createProviderClients(providerEndpointsFromEnv(env as unknown as NodeJS.ProcessEnv)),
      settings: env,
      dataConverter: dataConverterFromEnv(),
      providerQueues: true,
    });
    process.stderr.write(
      `worker polling ${env.TEMPORAL_TASK_QUEUE} and its provider queues on ${env.TEMPORAL_ADDRESS}/${env.TEMPORAL_NAMESPACE}${env.WORKER_METRICS_ADDRESS ? `; metrics on http://${env.WORKER_METRICS_ADDRESS}/metrics` : ''}\n`,
    );
    exitAfterSignal(env.WORKER_SHUTDOWN_GRACE_SECONDS);
    // Worker.run() handles SIGINT/SIGTERM itself: stops polling, lets activities finish within the grace time.
    await group.run();
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
      // A bad environment is bad input: exit 2, as the CLI does.
      if (err instanceof ConfigError) {
        process.stderr.write(`worker: ${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`worker: ${redactText((err as Error)?.stack ?? String(err))}\n`);
      process.exit(1);
    },
  );
}
