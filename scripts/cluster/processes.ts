import fs from 'node:fs';
import { portAnswers } from '../../src/config/port-answers';

export { portAnswers };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in `file` when that process is alive and its command line contains `marker` (no pid reuse). */
export function livePidFromFile(file: string, marker: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0].trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(marker) ? pid : undefined;
  } catch {
    return pid; // no /proc: trust the pid file
  }
}

/** Ports among `ports` that something still listens on. */
export async function boundPorts(ports: Record<string, number>, host: string): Promise<string[]> {
  const bound: string[] = [];
  for (const [what, port] of Object.entries(ports))
    if (await portAnswers(port, host)) bound.push(`${port} (${what})`);
  return bound;
}

/** Polls `check` until it returns a value other than undefined, or gives up after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  everyMs = 500,
): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= until) return undefined;
    await sleep(everyMs);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function terminate(pid: number, graceMs: number): Promise<'stopped' | 'killed'> {
  if (!isAlive(pid)) return 'stopped';
  process.kill(pid, 'SIGTERM');
  if (await waitFor(() => (isAlive(pid) ? undefined : true), graceMs, 200)) return 'stopped';
  process.kill(pid, 'SIGKILL');
  await waitFor(() => (isAlive(pid) ? undefined : true), 10_000, 100);
  return 'killed';
}

/** The last lines of a log file that look like an error, for a one-line failure message. */
export function lastErrorLine(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.trim().split('\n').slice(-200).reverse();
  const line =
    lines.find((l) => /"level":"(error|fatal)"|FATAL|ERROR|Unable to|Incorrect Usage|panic/i.test(l)) ??
    lines[0];
  if (!line) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: string; error?: string };
    return [entry.msg, entry.error].filter(Boolean).join(': ');
  } catch {
    return line.trim().slice(0, 300);
  }
}
