import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkerOptions } from '@temporalio/worker';
import { ensureEngines } from '../engine';
import { startDevServer } from '../engine/dev-server-tuning';
import { createProviderClients, type ProviderClients } from '../src/providers/config';
import { startSandbox, type Sandbox, type SandboxConfig } from '../sandbox/server';
import { createWorkerGroup, defaultWorkerSettings } from '../src/worker-factory';

export interface BenchBed {
  env: TestWorkflowEnvironment;
  sandbox: Sandbox;
  clients: ProviderClients;
  taskQueue: string;
  close(): Promise<void>;
}

/** What every benchmark stands on: the dev server, the sandbox and one running worker. */
export async function startBenchBed(
  taskQueue: string,
  sandboxConfig: SandboxConfig,
  worker: Partial<WorkerOptions> = {},
  options: {
    devServerArgs?: string[];
    existingServer?: { address: string; namespace: string };
    /** TENSORONE_MAX_RPS: the worker runs the provider queues (as the worker process does) at this limit. */
    tensoroneMaxRps?: number;
    /** Provider activities on the provider queues as the worker process runs them, with or without a limit. */
    providerQueues?: boolean;
  } = {},
): Promise<BenchBed> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  // A server the caller runs (the cluster of `npm run cluster`), or a fresh dev server.
  const env = options.existingServer
    ? await TestWorkflowEnvironment.createFromExistingServer(options.existingServer)
    : await startDevServer(
        (await ensureEngines({ testServer: false })).devServer!,
        options.devServerArgs ? { extraArgs: options.devServerArgs } : {},
      );
  const sandbox = await startSandbox(sandboxConfig);
  const clients = createProviderClients(sandbox.endpoints);
  const w = await createWorkerGroup({
    connection: env.nativeConnection,
    taskQueue,
    providers: clients,
    settings: { ...defaultWorkerSettings(), TENSORONE_MAX_RPS: options.tensoroneMaxRps },
    // A benchmark ends its worker at once; `worker` varies what a benchmark measures.
    overrides: { shutdownGraceTime: 0, ...worker },
    providerQueues: options.providerQueues ?? options.tensoroneMaxRps !== undefined,
  });
  const running = w.run();
  return {
    env,
    sandbox,
    clients,
    taskQueue,
    async close() {
      w.shutdown();
      await running;
      await sandbox.close();
      await env.teardown();
    },
  };
}
