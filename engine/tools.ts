import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EngineProvisionError } from './errors';

/** Fails at once, naming the tool, when it is not on PATH — never a hang deep inside a build. */
export function requireTool(command: string, versionArgs: string[], what: string): void {
  const probe = spawnSync(command, versionArgs, { stdio: 'ignore', timeout: 20_000 });
  if (probe.error || probe.status !== 0) {
    throw new EngineProvisionError(
      `${what} is missing: '${command}' is not on PATH. Install it, or point the project at an engine you already run (see docs/operations.md, "Configuration").`,
    );
  }
}

/** An engine the user names (TEMPORAL_CLI_PATH …) must be an executable file. */
export function requireExecutable(file: string, variable: string): string {
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new EngineProvisionError(`${variable}=${file} is not an executable file.`);
  }
  return path.resolve(file);
}
