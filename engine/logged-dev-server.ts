import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { TypedSearchAttributes, type SearchAttributeType } from '@temporalio/common';
import { devServerTuningArgs } from './dev-server-tuning';

/**
 * The main job's dev server as a child process whose output (its banner, its warnings) goes to a log
 * file instead of the terminal the job shows progress in. Same server and tuning as `startDevServer`;
 * ready once it prints its "Server:" line, which it does after the frontend accepts connections.
 */

export interface LoggedDevServerOptions {
  ip: string;
  port: number;
  uiPort: number;
  dbFilename: string;
  searchAttributes: { name: string; type: SearchAttributeType }[];
  /** Added after the tuning arguments. */
  extraArgs?: string[];
  /** Where its standard output and error go (appended). */
  logFile: string;
  /** How long it may take to start. */
  startTimeoutMs?: number;
}

export interface LoggedDevServer {
  address: string;
  teardown(): Promise<void>;
}

export function startLoggedDevServer(
  binary: string,
  options: LoggedDevServerOptions,
): Promise<LoggedDevServer> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    options.ip,
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--db-filename',
    options.dbFilename,
    '--log-format',
    'json',
    '--log-level',
    'warn',
    ...options.searchAttributes.flatMap(({ name, type }) => [
      '--search-attribute',
      `${name}=${TypedSearchAttributes.toMetadataType(type)}`,
    ]),
    ...devServerTuningArgs(),
    ...(options.extraArgs ?? []),
  ];
  const log = fs.openSync(options.logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', log] as const });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const teardown = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    fs.closeSync(log);
  };
  return new Promise<LoggedDevServer>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void teardown().finally(() =>
        reject(new Error(`the Temporal dev server ${why} (its log: ${options.logFile})`)),
      );
    };
    const timer = setTimeout(
      () => fail(`did not start within ${(options.startTimeoutMs ?? 60_000) / 1000} s`),
      options.startTimeoutMs ?? 60_000,
    );
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      fs.writeSync(log, chunk);
      if (seen.includes('Server:')) return;
      seen += chunk.toString();
      if (seen.includes('Server:')) {
        clearTimeout(timer);
        child.off('exit', onEarlyExit);
        resolve({ address: `${options.ip}:${options.port}`, teardown });
      }
    });
    const onEarlyExit = (code: number | null) => fail(`exited (${code ?? 'signal'}) before it was ready`);
    child.once('exit', onEarlyExit);
    child.once('error', (e) => fail(`could not start: ${e.message}`));
  });
}
