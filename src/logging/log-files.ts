import fs from 'node:fs';
import path from 'node:path';

/**
 * Where the processes this project starts keep their logs, so the terminal shows progress and results
 * only: `.data/logs/` under the current directory (as `.data/temporal.db`), or FTP_LOG_DIR.
 */
export function logDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.FTP_LOG_DIR || path.join('.data', 'logs'));
}

/** The log file of one process kind (`starter`, `worker`, `dev-server`…), its folder created. */
export function logFile(kind: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = logDir(env);
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${kind}.log`);
}

/** A path as a person reads it in a message: relative to the current directory when inside it. */
export function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Appends one JSON line to `file`; a log that cannot be written never fails the command. */
export function appendJsonLine(file: string, record: Record<string, unknown>): boolean {
  try {
    fs.appendFileSync(file, `${JSON.stringify(record)}\n`);
    return true;
  } catch {
    return false;
  }
}
