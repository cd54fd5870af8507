import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { createProviderClients } from '../../src/providers/config';
import { createTensorOneClient } from '../../src/providers/tensorone/client';
import type { SandboxConfig, Sandbox } from '../../sandbox/server';
import { startSandbox } from '../../sandbox/server';
import { NO_FAULTS } from '../../sandbox/faults';
import { pipelineWorkflowId, type PipelineInput } from '../../src/domain/pipeline-input';
import { fineTuneToDeploy } from '../../src/workflows';
import { startTimeSkippingEnv, uniqueTaskQueue } from './temporal';
import { createWorkerGroup, type WorkerGroup } from '../../src/worker-factory';
import { testWorkerSettings } from './workflow-bundles';

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
    /** With `providerQueues`: TENSORONE_MAX_RPS as the worker process would have it. */
    tensoroneMaxRps?: number;
    /** With `providerQueues`: MARQTUNE_MAX_RPS as the worker process would have it. */
    marqtuneMaxRps?: number;
    /** Worker options a test varies on top of the bed's (e.g. how often heartbeats reach the server). */
    workerOverrides?: Partial<WorkerOptions>;
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
  const group = await createWorkerGroup({
    connection: env.nativeConnection,
    taskQueue,
    providers: {
      ...createProviderClients(sandbox.endpoints),
      tensorone: createTensorOneClient({
        ...sandbox.endpoints.tensorone,
        timeoutMs: options.tensoroneTimeoutMs,
      }),
    },
    settings: {
      ...testWorkerSettings(options.providerQueues),
      TENSORONE_MAX_RPS: options.tensoroneMaxRps,
      MARQTUNE_MAX_RPS: options.marqtuneMaxRps,
    },
    // A test ends its worker at once: activities still running are cancelled, not waited for.
    overrides: { shutdownGraceTime: 0, ...options.workerOverrides },
    providerQueues: options.providerQueues,
  });
  const worker = group.workers[0];
  let running: Promise<void> | undefined;
  return {
    env,
    sandbox,
    worker,
    taskQueue,
    async withWorker<T>(fn: () => Promise<T>): Promise<T> {
      running ??= group.run();
      return fn();
    },
    async teardown() {
      await sandbox.close();
      if (options.shared) return lingerUntilTeardown(options.shared, () => stop(group, running));
      await stop(group, running);
      await env.teardown();
    },
  };
}

type TestBedOptions = NonNullable<Parameters<typeof startWorkflowTestBed>[1]>;

/** One time-skipping server for the file, started before its tests and torn down after them. */
export function useSharedTimeSkippingEnv(): () => TestWorkflowEnvironment {
  let env: TestWorkflowEnvironment | undefined;
  beforeAll(async () => {
    env = await startTimeSkippingEnv();
  });
  afterAll(() => env?.teardown());
  return () => {
    if (!env) throw new Error('the shared time-skipping server has not started');
    return env;
  };
}

/**
 * A workflow test bed started before the enclosing block's tests and torn down after them, its sandbox
 * without faults before each test. `shared` gives the file's time-skipping server when it has one.
 */
export function useWorkflowTestBed(
  sandboxConfig: SandboxConfig = {},
  options: Omit<TestBedOptions, 'shared'> & { shared?: () => TestWorkflowEnvironment } = {},
): WorkflowTestBed {
  let started: WorkflowTestBed | undefined;
  const bed = () => {
    if (!started) throw new Error('the workflow test bed has not started');
    return started;
  };
  beforeAll(async () => {
    started = await startWorkflowTestBed(sandboxConfig, { ...options, shared: options.shared?.() });
  });
  afterAll(() => started?.teardown());
  beforeEach(() => {
    bed().sandbox.state.faults = { ...NO_FAULTS };
  });
  return {
    get env() {
      return bed().env;
    },
    get sandbox() {
      return bed().sandbox;
    },
    get worker() {
      return bed().worker;
    },
    get taskQueue() {
      return bed().taskQueue;
    },
    withWorker: (fn) => bed().withWorker(fn),
    teardown: () => bed().teardown(),
  };
}

/** Starts a pipeline on the bed's task queue under its own workflow id (it runs inside `withWorker`). */
export function startPipeline(bed: WorkflowTestBed, input: PipelineInput) {
  return bed.env.client.workflow.start(fineTuneToDeploy, {
    args: [input],
    taskQueue: bed.taskQueue,
    workflowId: pipelineWorkflowId(input.name),
  });
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

/** Stops the bed's workers; one never run is run and stopped, or closing its connection would wait on it. */
async function stop(group: WorkerGroup, running: Promise<void> | undefined): Promise<void> {
  const run = running ?? group.run();
  group.shutdown();
  await run;
}

const lingering = new WeakMap<TestWorkflowEnvironment, (() => Promise<void>)[]>();

/**
 * On a shared server a bed's worker outlives the bed: the long-lived workflows it started (serving
 * slots wake daily) would otherwise leave workflow tasks no one polls, and a time-skipping server does
 * not skip time past a pending workflow task — the next bed's runs would wait forever. The workers stop
 * when the shared server is torn down.
 */
function lingerUntilTeardown(env: TestWorkflowEnvironment, stopWorker: () => Promise<void>): void {
  const stops = lingering.get(env);
  if (stops) return void stops.push(stopWorker);
  lingering.set(env, [stopWorker]);
  const teardown = env.teardown.bind(env);
  env.teardown = async () => {
    await Promise.all((lingering.get(env) ?? []).map((s) => s()));
    await teardown();
  };
}
