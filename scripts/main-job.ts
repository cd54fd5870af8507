/**
 * `npm start [pipeline file]`: the main job on the embedded default. Brings up the local Temporal dev
 * server (Web UI on :8233, state in .data/temporal.db), the provider sandbox and a worker, then runs
 * examples/pipeline.yaml to a serving endpoint with live progress, through the same code as
 * `starter run`. Ctrl-C stops everything cleanly. With TEMPORAL_ADDRESS set, your server is used.
 * The terminal shows progress and results; the worker's and the dev server's logs go to .data/logs/.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  DefaultLogger,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  type LogLevel,
} from '@temporalio/worker';
import { EngineProvisionError, ensureEngines } from '../engine';
import { createProviderClients } from '../src/providers/config';
import { startSandbox, type Sandbox } from '../sandbox/server';
import {
  ConfigError,
  connectClient,
  dataConverterFromEnv,
  parseEnv,
  temporalEnvSchema,
} from '../src/config/temporal-connection';
import { upsertCleanupSchedule } from '../src/schedules/cleanup-schedule';
import { main as starter } from '../src/starter';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes';
import { startLoggedDevServer } from '../engine/logged-dev-server';
import { jsonLogLine } from '../src/logging/json-log';
import { appendJsonLine, logDir, logFile, shownPath } from '../src/logging/log-files';
import { redactText } from '../src/providers/http/redact';
import { codecFromEnv } from '../src/codec/aes-gcm-codec';
import { codecServerOptionsFromEnv, startCodecServer } from '../src/codec/codec-server';
import { loadWorkerEnv } from '../src/config/worker-config';
import { createWorkerGroup } from '../src/worker-factory';
import { sandboxProfileFromEnv } from '../sandbox/profile';
import { startConsoleFromEnv } from '../src/console/server';

const say = (line: string) => process.stderr.write(`${line}\n`);

async function mainJob(): Promise<number> {
  const file = process.argv[2] ?? 'examples/pipeline.yaml';
  const taskQueue = process.env.TEMPORAL_TASK_QUEUE ?? 'finetune-pipelines';
  const stops: (() => Promise<void>)[] = [];
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  process.once('SIGINT', () => {
    say('\nstopping: worker, sandbox, dev server…');
    void stopAll().then(() => process.exit(130));
  });

  try {
    // The worker's settings, validated as `npm run worker` validates them, before anything starts.
    const settings = loadWorkerEnv();
    // The worker's logs (and the SDK core's, forwarded) as JSON lines in a file, not over the progress.
    const workerLog = fs.openSync(logFile('worker'), 'a');
    Runtime.install({
      logger: new DefaultLogger(settings.LOG_LEVEL as LogLevel, (entry) =>
        fs.writeSync(workerLog, `${jsonLogLine(entry)}\n`),
      ),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
      // The job handles Ctrl-C itself, stopping worker, sandbox and dev server in order.
      shutdownSignals: [],
    });
    say(
      `logs: ${shownPath(logDir())}/ (worker.log${process.env.TEMPORAL_ADDRESS ? '' : ', dev-server.log'})`,
    );
    let address = process.env.TEMPORAL_ADDRESS;
    // With payload keys set, the Web UI decodes through a codec server on this machine (keys stay here).
    const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
    const codec = codecFromEnv();
    let codecEndpoint: string | undefined;
    if (codec) {
      const options = codecServerOptionsFromEnv();
      const server = await startCodecServer(codec, options);
      stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      codecEndpoint = `http://127.0.0.1:${options.port}`;
      say(`codec server on ${codecEndpoint} for ${options.allowedOrigins!.join(', ')}`);
    }
    if (!address) {
      const engines = await ensureEngines({ testServer: false, log: say });
      fs.mkdirSync('.data', { recursive: true });
      const devServer = await startLoggedDevServer(engines.devServer!, {
        ip: '127.0.0.1',
        port: Number(process.env.TEMPORAL_PORT ?? 7233),
        uiPort,
        // The UI's "Codec Server" setting, preset: encrypted payloads show decoded in the browser.
        ...(codecEndpoint ? { extraArgs: ['--ui-codec-endpoint', codecEndpoint] } : {}),
        dbFilename: path.resolve('.data/temporal.db'),
        searchAttributes: CUSTOM_SEARCH_ATTRIBUTES,
        logFile: logFile('dev-server'),
      });
      stops.push(() => devServer.teardown());
      address = devServer.address;
      say(
        `Temporal dev server on ${address}; Web UI http://localhost:${uiPort}${codecEndpoint ? ` (codec server ${codecEndpoint})` : ''}`,
      );
    }

    let sandbox: Sandbox | undefined;
    if (!process.env.TENSORONE_BASE_URL) {
      sandbox = await startSandbox({
        port: Number(process.env.SANDBOX_PORT ?? 8787),
        // Two seconds an epoch: the example looks at least every second, so the bar shows each epoch.
        epochMs: Number(process.env.SANDBOX_EPOCH_MS ?? 2000),
        queueMs: 500,
        deployMs: 1500,
        ...sandboxProfileFromEnv(),
      });
      stops.push(() => sandbox!.close());
      say(`provider sandbox on ${sandbox.url} (TensorOne, TensorMesh, Marqtune; ${sandbox.profile} profile)`);
    }
    const endpoints =
      sandbox?.endpoints ?? (await import('../src/providers/config')).providerEndpointsFromEnv();

    const connection = await NativeConnection.connect({ address });
    // As `npm run worker` runs: provider activities on their own task queues, at the configured rates.
    const workers = await createWorkerGroup({
      connection,
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue,
      providers: createProviderClients(endpoints),
      settings,
      dataConverter: dataConverterFromEnv(),
      providerQueues: true,
    });
    const running = workers.run();
    stops.push(async () => {
      workers.shutdown();
      await running;
      await connection.close();
    });
    say(`worker polling task queue ${taskQueue}\n`);

    process.env.TEMPORAL_ADDRESS = address;
    process.env.TEMPORAL_TASK_QUEUE = taskQueue;
    await ensureCleanupSchedule(taskQueue);
    // The console is a convenience: a port in use leaves it out, not the run.
    const pipelineConsole = await startConsoleFromEnv().catch((e: unknown) => {
      say(`pipeline console not started: ${(e as Error).message} (CONSOLE_PORT)`);
    });
    if (pipelineConsole) {
      stops.push(() => pipelineConsole.close());
      say(`pipeline console on ${pipelineConsole.url} (beside the Web UI http://localhost:${uiPort})`);
    }
    const code = await starter(['node', 'starter', 'run', file]);
    if (process.stdin.isTTY && !process.env.CI) {
      // Leave everything up so the run can be explored: Web UI, `starter status|list|schedule …`.
      say(
        `\nstill running: Web UI http://localhost:${uiPort}, ${pipelineConsole ? `console ${pipelineConsole.url}, ` : ''}TEMPORAL_ADDRESS=${address}. Ctrl-C stops everything.`,
      );
      await new Promise<never>(() => undefined);
    }
    return code;
  } finally {
    await stopAll();
  }
}

/** The embedded default cleans checkpoints of completed jobs daily, as a Temporal Schedule. */
async function ensureCleanupSchedule(taskQueue: string): Promise<void> {
  const { client, connection } = await connectClient(parseEnv(temporalEnvSchema, process.env));
  try {
    await upsertCleanupSchedule(client, {
      scheduleId: 'checkpoint-cleanup',
      taskQueue,
      every: '1d',
      input: { jobFilter: { status: 'completed' }, retention: { keepLastN: 3 }, maxDeletes: 1000 },
    });
    say(
      'cleanup schedule "checkpoint-cleanup": daily, keeps the newest 3 automatic checkpoints per completed job',
    );
  } finally {
    await connection.close();
  }
}

mainJob()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    if (err instanceof EngineProvisionError || err instanceof ConfigError) say(err.message);
    else {
      // Unexpected: one line here, the stack in the job's log.
      const file = logFile('main-job');
      const message = redactText((err as Error)?.message ?? String(err)).split('\n')[0];
      appendJsonLine(file, {
        time: new Date().toISOString(),
        level: 'ERROR',
        message,
        stack: redactText(String((err as Error)?.stack ?? err)),
      });
      say(`main job failed: ${message} (details: ${shownPath(file)})`);
    }
    process.exit(1);
  });
