import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { createProviderClients } from '../../src/providers/config';
import { createTensorOneClient } from '../../src/providers/tensorone/client';
import type { SandboxConfig, Sandbox } from '../../sandbox/server';
import { startSandbox } from '../../sandbox/server';
import { startTimeSkippingEnv, uniqueTaskQueue } from './temporal';
import { workflowCode } from '../../src/config/workflow-code';
import { PROVIDER_QUEUE_INTERCEPTORS } from '../../src/provider-workers';
import { providerTaskQueue, QUEUED_PROVIDERS } from '../../src/workflows/provider-queues';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

export interface WorkflowTestBed {
  env: TestWorkflowEnvironment;
  sandbox: Sandbox;
  worker: Worker;
  taskQueue: string;
  /** Runs the worker while `fn` runs. */
  withWorker<T>(fn: () => Promise<T>): Promise<T>;
  teardown(): Promise<void>;
}

/**
 * The real thing on virtual time: a time-skipping Temporal server, the real workflows and activities,
 * and a provider sandbox whose clock follows the server's, so a 10-minute epoch is 10 virtual minutes.
 */
export async function startWorkflowTestBed(
  sandboxConfig: SandboxConfig = {},
  options: {
    /** The TensorOne client's request timeout (default 30 s). */
    tensoroneTimeoutMs?: number;
    /** A time-skipping server to share (one per file; beds on it run one after another): not torn down here. */
    shared?: TestWorkflowEnvironment;
    /**
     * As the worker process runs: provider activities on provider task queues (the interceptor, and
     * a worker per provider queue with the same activities).
     */
    providerQueues?: boolean;
  } = {},
): Promise<WorkflowTestBed> {
  const env = options.shared ?? (await startTimeSkippingEnv());
  const sandbox = await startSandbox({
    epochMs: 10 * MINUTE,
    queueMs: 2 * MINUTE,
    deployMs: 3 * MINUTE,
    seed: 11,
    timeSource: () => env.currentTimeMs(),
    ...sandboxConfig,
  });
  const taskQueue = uniqueTaskQueue('wf');
  const activities = createActivities({
    ...createProviderClients(sandbox.endpoints),
    tensorone: createTensorOneClient({
      ...sandbox.endpoints.tensorone,
      timeoutMs: options.tensoroneTimeoutMs,
    }),
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    ...workflowCode(),
    ...(options.providerQueues ? { interceptors: { workflowModules: [PROVIDER_QUEUE_INTERCEPTORS] } } : {}),
    activities,
  });
  const providerWorkers = options.providerQueues
    ? await Promise.all(
        QUEUED_PROVIDERS.map((provider) =>
          Worker.create({
            connection: env.nativeConnection,
            taskQueue: providerTaskQueue(taskQueue, provider),
            activities,
          }),
        ),
      )
    : [];
  let running: Promise<void> | undefined;
  return {
    env,
    sandbox,
    worker,
    taskQueue,
    async withWorker<T>(fn: () => Promise<T>): Promise<T> {
      running ??= Promise.all([worker, ...providerWorkers].map((w) => w.run())).then(() => undefined);
      return fn();
    },
    async teardown() {
      if (running) {
        for (const w of [worker, ...providerWorkers]) w.shutdown();
        await running;
      }
      await sandbox.close();
      if (!options.shared) await env.teardown();
    },
  };
}

/** Lets virtual time pass in steps until `probe` holds (the server skips time only while someone waits). */
export async function advanceUntil<T>(
  env: TestWorkflowEnvironment,
  probe: () => Promise<T | undefined | false>,
  step = MINUTE,
  maxSteps = 2000,
): Promise<T> {
  for (let i = 0; i < maxSteps; i++) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await env.sleep(step);
  }
  throw new Error('condition not reached in virtual time');
}
