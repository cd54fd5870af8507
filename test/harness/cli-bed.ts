import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { startSandbox, type Sandbox, type SandboxConfig } from '../../sandbox/server';
import { createProviderClients } from '../../src/providers/config';
import { main } from '../../src/starter';
import { createWorker, type WorkerWiring } from '../../src/worker-factory';
import { connectDevServer, type DevServerHandle, uniqueTaskQueue } from './temporal';
import { testWorkerSettings } from './workflow-bundles';

/** What a CLI run left: its exit code (null when a spawned process died of a signal) and its output. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const repo = path.resolve(__dirname, '../..');
const tsx = path.join(repo, 'node_modules/.bin/tsx');

/** The CLI as its own process. Asynchronous: a worker in this process keeps answering meanwhile. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(tsx, ['src/starter.ts', ...args], { cwd: repo, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * `main()` of the CLI in this process with `env` set for the call only: the same parsing, without a
 * process's start-up cost.
 */
export async function runCliInProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<CliRun & { code: number }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let stdout = '';
  let stderr = '';
  const outSpy = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true));
  const errSpy = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true));
  try {
    return { code: await main(['node', 'starter', ...args]), stdout, stderr };
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
    process.env = saved;
  }
}

export type SandboxTimings = Pick<SandboxConfig, 'epochMs' | 'queueMs' | 'deployMs'>;

export interface CliBedOptions {
  /** Prefix of the bed's own task queue. */
  name: string;
  /** Start a sandbox with these timings; none without. */
  sandbox?: SandboxTimings;
  /** Run a worker on the bed's task queue against the sandbox for the whole file. */
  worker?: boolean;
}

/** A test file's dev server, sandbox and worker, and the CLI pointed at them. */
export interface CliBed {
  readonly dev: DevServerHandle;
  readonly sandbox: Sandbox;
  readonly taskQueue: string;
  /** This process's environment with the dev server's address and the bed's task queue. */
  env(): NodeJS.ProcessEnv;
  /** The CLI as its own process against the bed; `env` is laid over the bed's. */
  cli(args: string[], env?: NodeJS.ProcessEnv): Promise<CliRun>;
  /** The CLI in this process against the bed; `env` is laid over the bed's address and task queue. */
  inProcess(args: string[], env?: Record<string, string>): Promise<CliRun & { code: number }>;
  /** A worker (not yet running) on `taskQueue` whose activities call the bed's sandbox. */
  createWorker(taskQueue: string, wiring?: Partial<WorkerWiring>): Promise<Worker>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A bed to start and close by hand (for files whose own set-up must wrap it). */
export function cliBed(options: CliBedOptions): CliBed {
  const taskQueue = uniqueTaskQueue(options.name);
  let dev: DevServerHandle | undefined;
  let sandbox: Sandbox | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const bedEnv = () => ({ TEMPORAL_ADDRESS: bed.dev.address, TEMPORAL_TASK_QUEUE: taskQueue });
  const bed: CliBed = {
    get dev() {
      if (!dev) throw new Error('the CLI bed has not started');
      return dev;
    },
    get sandbox() {
      if (!sandbox) throw new Error('the CLI bed has no sandbox');
      return sandbox;
    },
    taskQueue,
    env: () => ({ ...process.env, ...bedEnv() }),
    cli: (args, env = {}) => spawnCli(args, { ...bed.env(), ...env }),
    inProcess: (args, env = {}) => runCliInProcess(args, { ...bedEnv(), ...env }),
    createWorker: (queue, wiring = {}) =>
      createWorker({
        connection: bed.dev.nativeConnection,
        taskQueue: queue,
        providers: createProviderClients(bed.sandbox.endpoints),
        settings: testWorkerSettings(wiring.providerQueues),
        overrides: { shutdownGraceTime: 0 },
        ...wiring,
      }),
    async start() {
      dev = await connectDevServer();
      if (options.sandbox) sandbox = await startSandbox(options.sandbox);
      if (options.worker) {
        worker = await bed.createWorker(taskQueue);
        running = worker.run();
      }
    },
    async close() {
      worker?.shutdown();
      await running;
      await sandbox?.close();
      await dev?.close();
    },
  };
  return bed;
}

/** A bed started before this file's tests and closed after them. */
export function useCliBed(options: CliBedOptions): CliBed {
  const bed = cliBed(options);
  beforeAll(() => bed.start());
  afterAll(() => bed.close());
  return bed;
}
