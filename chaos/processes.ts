/**
 * The processes a chaos or adversary run drives, as production runs them: the worker (prebuilt
 * workflow bundle, killed by SIGKILL and restarted) and the starter CLI (an operator's command). Their
 * output is kept, so every secret scan covers it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Sandbox } from '../sandbox/server';

const repo = path.resolve(__dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ProviderKeys {
  tensorone: string;
  tensormesh: string;
  marqtune: string;
  hfToken: string;
}

export interface WorkerProcess {
  start(): void;
  /** SIGKILL: the worker dies mid-whatever, no graceful shutdown. */
  kill(): void;
  /** Everything it printed. */
  readonly log: string[];
}

/** A worker process on `taskQueue` against the sandbox; `env` adds settings (e.g. TENSORONE_MAX_RPS). */
export function workerProcess(options: {
  address: string;
  taskQueue: string;
  bundle: string;
  sandbox: Sandbox;
  keys: ProviderKeys;
  env?: Record<string, string>;
}): WorkerProcess {
  const log: string[] = [];
  let worker: ChildProcess | undefined;
  const { sandbox, keys } = options;
  return {
    log,
    start() {
      // One process (node with tsx's loader), so SIGKILL hits the worker itself, not a wrapper.
      worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
        cwd: repo,
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: options.address,
          TEMPORAL_TASK_QUEUE: options.taskQueue,
          WORKER_WORKFLOW_BUNDLE: options.bundle,
          TENSORONE_BASE_URL: sandbox.endpoints.tensorone.baseURL,
          TENSORONE_API_KEY: keys.tensorone,
          TENSORMESH_BASE_URL: sandbox.endpoints.tensormesh.baseURL,
          TENSORMESH_API_KEY: keys.tensormesh,
          TENSORMESH_HF_TOKEN: keys.hfToken,
          MARQTUNE_BASE_URL: sandbox.endpoints.marqtune.baseURL,
          MARQTUNE_API_KEY: keys.marqtune,
          LOG_LEVEL: 'INFO',
          ...options.env,
        },
      });
      worker.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
      worker.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
    },
    kill() {
      worker?.kill('SIGKILL');
    },
  };
}

/**
 * The starter CLI as an operator runs it, tried up to three times when it fails (the server may be
 * restarting; the commands are safe to repeat). Resolves with the last exit code; all output goes to `log`.
 */
export function starterCli(options: {
  address: () => string;
  taskQueue: string;
  log: string[];
  say: (line: string) => void;
  /** Exit 2 is a refusal (bad input, an operator mistake): with this, it is not tried again. */
  stopOnRefusal?: boolean;
}) {
  return async (args: string[]): Promise<number> => {
    for (let attempt = 1; ; attempt++) {
      const output: string[] = [];
      const code = await new Promise<number>((resolve) => {
        const p = spawn(process.execPath, ['--import', 'tsx', 'src/starter.ts', ...args], {
          cwd: repo,
          env: {
            ...process.env,
            TEMPORAL_ADDRESS: options.address(),
            TEMPORAL_TASK_QUEUE: options.taskQueue,
          },
        });
        const keep = (d: Buffer) => (options.log.push(d.toString()), output.push(d.toString()));
        p.stdout.on('data', keep);
        p.stderr.on('data', keep);
        p.on('close', (c) => resolve(c ?? 1));
      });
      if (code === 0) return code;
      // What the operator would read: the command's own last lines.
      options.say(
        `starter ${args[0]} exited ${code} (try ${attempt}): ${output.join('').trim().split('\n').slice(-2).join(' | ')}`,
      );
      if (attempt === 3 || (options.stopOnRefusal && code === 2)) return code;
      await sleep(2000);
    }
  };
}
